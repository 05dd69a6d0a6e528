"""Bad input never crashes the consumer: each case gets one clear log line and a precise
outcome (or recording status), against the real stack."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import quote_plus

import asyncpg
import nats
import pytest
import pytest_asyncio
from structlog.testing import capture_logs

from reactor.app import build_transcriber, transcribe_options
from reactor.pipeline import Outcome, PipelineDeps, handle_event
from reactor.results import ResultPublisher
from tests.audio import ogg_opus
from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_settings,
    running_reactor,
    upload,
    wait_idle,
    wait_row,
)
from tests.services import RunningServices
from voxpersona.recordings import Recordings
from voxpersona.storage import MinioObjectStore

USER = 5
GOOD_KEY = f"audio/{USER}/2026/01/02/5b0f6a1e-9c1d-4b52-8a63-2f7e1d9b0c44.ogg"


def payload(
    key: str, *, bucket: str, event: str = "s3:ObjectCreated:Put", agent: str = "minio-py"
) -> bytes:
    """MinIO's shape: ``Key`` decoded, ``s3.object.key`` query-escaped."""
    obj = {
        "key": quote_plus(key, safe=""),
        "size": 10,
        "eTag": "abc123",
        "sequencer": "187A9C3F2B1D0E42",
        "userMetadata": {"X-Amz-Meta-User-Id": str(USER), "X-Amz-Meta-Chat-Id": str(USER)},
    }
    record = {
        "eventName": event,
        "s3": {"bucket": {"name": bucket}, "object": obj},
        "source": {"userAgent": agent},
    }
    return json.dumps({"EventName": event, "Key": f"{bucket}/{key}", "Records": [record]}).encode()


@pytest_asyncio.fixture(loop_scope="session")
async def deps(services: RunningServices) -> AsyncIterator[PipelineDeps]:
    settings = services.reactor_settings
    pool = await asyncpg.create_pool(dsn(services), min_size=1, max_size=2)
    nc = await nats.connect(settings.nats.url)
    try:
        yield PipelineDeps(
            store=MinioObjectStore(settings.minio),
            recordings=Recordings(pool),
            transcriber=build_transcriber(settings),
            publisher=ResultPublisher(nc.jetstream(), settings.streams.results_subject),
            owner="bad-input-test",
            lease=timedelta(seconds=10),
            transcribe_options=transcribe_options(settings),
        )
    finally:
        await nc.close()
        await pool.close()


async def no_heartbeat() -> None:
    return None


CASES = [
    pytest.param(b"{not json", Outcome.REJECTED, "malformed_event", id="malformed-json"),
    pytest.param(
        json.dumps({"type": "push", "ref": "refs/heads/main"}).encode(),
        Outcome.REJECTED,
        "malformed_event",
        id="not-minio",
    ),
    pytest.param(
        payload(GOOD_KEY, bucket="someone-elses-bucket"),
        Outcome.IGNORED,
        "foreign_object",
        id="other-bucket",
    ),
    pytest.param(
        payload("notes/5/x.ogg", bucket="AUDIO"), Outcome.IGNORED, "foreign_object", id="prefix"
    ),
    pytest.param(
        payload("audio/5/../../etc/passwd.ogg", bucket="AUDIO"),
        Outcome.REJECTED,
        "invalid_key",
        id="dot-dot",
    ),
    pytest.param(
        payload("audio/5/2026/01/02/Запись встречи 1+2.ogg", bucket="AUDIO"),
        Outcome.REJECTED,
        "invalid_key",
        id="cyrillic-plus",
    ),
    pytest.param(
        payload(GOOD_KEY, bucket="AUDIO", event="s3:ObjectCreated:PutTagging"),
        Outcome.IGNORED,
        "not_new_content",
        id="tagging",
    ),
]


@pytest.mark.parametrize(("raw", "outcome", "code"), CASES)
async def test_bad_events_get_a_precise_outcome_and_log_line(
    deps: PipelineDeps, raw: bytes, outcome: Outcome, code: str
) -> None:
    raw = raw.replace(b'"AUDIO', f'"{deps.store.audio_bucket}'.encode())
    with capture_logs() as logs:
        result = await handle_event(raw, deps, no_heartbeat)
    assert result is outcome
    lines = [entry for entry in logs if entry.get("code") == code]
    assert len(lines) == 1, logs
    assert lines[0]["event"] in ("event.rejected", "event.ignored")


async def test_url_encoded_cyrillic_and_plus_decode_exactly(deps: PipelineDeps) -> None:
    key = "audio/5/2026/01/02/Запись встречи 1+2.ogg"
    raw = payload(key, bucket=deps.store.audio_bucket)
    assert "%D0%97" in json.loads(raw)["Records"][0]["s3"]["object"]["key"]
    with capture_logs() as logs:
        await handle_event(raw, deps, no_heartbeat)
    [line] = [entry for entry in logs if entry.get("code") == "invalid_key"]
    assert line["key"] == key  # "+" is a plus, "+"-for-space became a space


async def test_bad_payloads_on_the_wire_do_not_stop_the_consumer(
    services: RunningServices,
) -> None:
    settings = services.reactor_settings
    nc = await nats.connect(settings.nats.url)
    try:
        js = nc.jetstream()
        for param in CASES:
            await js.publish(settings.streams.events_subject, param.values[0])  # type: ignore[arg-type]
        await js.publish(settings.streams.events_subject, b"")
        await js.publish(settings.streams.events_subject, b"\xff\xfe binary")
    finally:
        await nc.close()
    await wait_idle(settings)
    services.assert_alive()


async def test_zero_byte_object_and_text_named_ogg_fail_precisely(
    services: RunningServices,
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio)
    ru, en = new_user(services, "ru"), new_user(services, "en")
    async with running_reactor(settings):
        empty = await upload(minio, ru, b"", **{"interface_language": "ru"})
        text = await upload(
            minio, en, b"just some notes, not sound at all\n" * 20, interface_language="en"
        )
        audio = await upload(minio, en, ogg_opus(0.4, frequency=500.0), interface_language="en")
        empty_row = await wait_row(dsn(services), empty)
        text_row = await wait_row(dsn(services), text)
        audio_row = await wait_row(dsn(services), audio)
    assert (empty_row["status"], empty_row["failure_code"]) == ("failed", "empty_object")
    assert (text_row["status"], text_row["failure_code"]) == ("failed", "not_audio")
    assert audio_row["status"] == "done"
    await services.telegram.wait_for(
        lambda: (
            any("файл пустой" in (m.text or "") for m in services.telegram.messages_to(ru.id))
            and any("not an audio" in (m.text or "") for m in services.telegram.messages_to(en.id))
        ),
        timeout=15,
    )
    # Nothing that is not audio was sent to the transcription API.
    sizes = {r.size for r in services.openai.transcription_requests}
    assert 0 not in sizes
    assert len(b"just some notes, not sound at all\n" * 20) not in sizes
