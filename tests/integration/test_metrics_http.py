"""The services' operators' endpoints, on the in-process bot and reactor: /healthz, /readyz,
the token on /metrics, and counters that move with real traffic."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from tests.audio import ogg_opus
from tests.cli import run_voxpersona
from tests.ops import AUTH, get, scrape, scrape_until
from tests.services import STATUS_TEST_TOKEN, RunningServices
from voxpersona.localstack.fake_telegram import FakeUser
from voxpersona.localstack.stack import LocalStack
from voxpersona.observability.kpis import Samples

_users = itertools.count(910_000_001)


def new_user() -> FakeUser:
    return FakeUser(id=next(_users), first_name="Ops", language_code="en")


async def test_liveness_and_readiness(services: RunningServices) -> None:
    for base, service in ((services.reactor_http, "reactor"), (services.bot_http, "bot")):
        status, body = await get(f"{base}/healthz")
        assert status == 200
        assert service in body
        status, body = await get(f"{base}/readyz")
        assert status == 200, body
        for dependency in ("minio", "nats", "postgres"):
            assert f'"name": "{dependency}"' in body


async def test_metrics_and_status_need_the_token(services: RunningServices) -> None:
    for path in ("/metrics", "/api/status", "/status"):
        status, _ = await get(f"{services.reactor_http}{path}")
        assert status == 401, path
        status, _ = await get(f"{services.reactor_http}{path}?token=wrong")
        assert status == 401, path
    status, text = await get(f"{services.reactor_http}/metrics?token={STATUS_TEST_TOKEN}")
    assert status == 200
    assert "voxpersona_events_consumed_total" in text
    status, _ = await get(f"{services.bot_http}/metrics", AUTH)
    assert status == 200


async def test_counters_move_with_a_voice_message(services: RunningServices) -> None:
    bot_before = await scrape(services.bot_http)
    reactor_before = await scrape(services.reactor_http)
    user = new_user()
    services.telegram.user_sends_voice(user, ogg_opus(0.6, frequency=523.0), duration=1)

    def done(samples: Samples) -> bool:
        acked = samples.get("voxpersona_events_acked_total", outcome="done")
        return acked > reactor_before.get("voxpersona_events_acked_total", outcome="done")

    reactor = await scrape_until(services.reactor_http, done)
    bot = await scrape_until(
        services.bot_http,
        lambda s: (
            s.get("voxpersona_stage_duration_seconds_count", stage="deliver")
            > bot_before.get("voxpersona_stage_duration_seconds_count", stage="deliver")
        ),
    )

    def moved(after: Samples, before: Samples, name: str, **labels: str) -> float:
        return after.get(name, **labels) - before.get(name, **labels)

    assert moved(bot, bot_before, "voxpersona_uploads_received_total") == 1
    assert moved(bot, bot_before, "voxpersona_uploads_stored_total") == 1
    ok_puts = moved(
        bot, bot_before, "voxpersona_minio_operations_total", operation="put_object", outcome="ok"
    )
    assert ok_puts >= 1
    assert moved(reactor, reactor_before, "voxpersona_events_consumed_total") >= 1
    for stage in ("download", "transcribe", "store"):
        count = "voxpersona_stage_duration_seconds_count"
        assert moved(reactor, reactor_before, count, stage=stage) == 1, stage
    assert moved(reactor, reactor_before, "voxpersona_event_processing_seconds_count") >= 1
    assert moved(reactor, reactor_before, "voxpersona_transcribed_audio_seconds_total") > 0
    downloads = moved(
        reactor, reactor_before, "voxpersona_minio_operations_total", operation="fget_object"
    )
    assert downloads >= 1
    assert reactor.get("voxpersona_queue_pending", consumer="reactor") >= 0
    assert reactor.get("voxpersona_dependency_up", dependency="minio") == 1


async def test_a_rejected_upload_is_counted_by_reason(services: RunningServices) -> None:
    before = await scrape(services.bot_http)
    user = new_user()
    services.telegram.user_sends_document(
        user, b"%PDF-1.4 not audio at all" * 40, file_name="notes.pdf", mime_type="application/pdf"
    )
    after = await scrape_until(
        services.bot_http,
        lambda s: (
            s.get("voxpersona_uploads_rejected_total", reason="not_audio")
            > before.get("voxpersona_uploads_rejected_total", reason="not_audio")
        ),
    )
    assert after.get("voxpersona_uploads_stored_total") == before.get(
        "voxpersona_uploads_stored_total"
    )


async def test_a_storage_outage_is_counted_as_a_nak(services: RunningServices) -> None:
    stack = services.stack
    if not isinstance(stack, LocalStack) or stack.minio is None:
        pytest.skip("fault injection needs the local S3 stand-in")
    before = await scrape(services.reactor_http)
    # Every attempt of the reactor's download fails (first try + 2 retries): one nak.
    stack.minio.inject_fault("get", 503, "SlowDown", times=3)
    user = new_user()
    services.telegram.user_sends_voice(user, ogg_opus(0.4, frequency=659.0), duration=1)
    after = await scrape_until(
        services.reactor_http,
        lambda s: (
            s.get("voxpersona_events_acked_total", outcome="done")
            > before.get("voxpersona_events_acked_total", outcome="done")
        ),
    )
    naks = after.get("voxpersona_events_naked_total", code="storage_unavailable")
    assert naks - before.get("voxpersona_events_naked_total", code="storage_unavailable") == 1
    failed_downloads = after.get(
        "voxpersona_minio_operations_total", operation="fget_object", outcome="error"
    ) - before.get("voxpersona_minio_operations_total", operation="fget_object", outcome="error")
    assert failed_downloads == 3


async def test_stats_command_reads_both_services_and_the_index(
    services: RunningServices, tmp_path: Path
) -> None:
    services.telegram.user_sends_voice(new_user(), ogg_opus(0.3, frequency=784.0), duration=1)
    await scrape_until(
        services.bot_http, lambda s: s.get("voxpersona_stage_duration_seconds_count") > 0
    )
    code, output = await run_voxpersona(
        "stats",
        "--json",
        "--metrics-url",
        f"{services.reactor_http}/metrics",
        "--metrics-url",
        f"{services.bot_http}/metrics",
        env={
            "DATABASE_URL": services.reactor_settings.database.url.get_secret_value(),
            "VOXPERSONA_STATUS_TOKEN": STATUS_TEST_TOKEN,
        },
        drop=("MINIO_", "NATS_", "DATABASE_", "OPENAI_", "VOXPERSONA_"),
        cwd=tmp_path,
    )
    assert code == 0, output
    report = json.loads(output)
    kpis = {k["name"]: k for k in report["kpis"]}
    assert kpis["upload success rate"]["value"] > 0
    assert kpis["MinIO availability"]["value"] == 1.0
    assert report["storage"]["recordings"] >= 1
    assert report["error_rates"]["put_object"]["calls"] >= 1
    assert all(source.endswith("read") for source in report["sources"]), report["sources"]


async def test_reactor_readiness_reports_the_transcription_engine(
    services: RunningServices,
) -> None:
    status, body = await get(f"{services.reactor_http}/readyz")
    assert status == 200, body
    assert '"name": "transcriber"' in body
    assert '"engine": "openai"' in body
    assert '"model": "whisper-1"' in body
    assert '"device": "remote"' in body
