"""Transcriber faults, dead letters and requeue, duplicates and removals, each against its own
audio bucket and reactor group on the real local stack."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path

import nats
import pytest_asyncio

from reactor.dead_letters import HEADER_CODE
from tests.audio import ogg_opus
from tests.cli import run_voxpersona
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
from tests.services import OPENAI_TEST_KEY, RunningServices
from voxpersona.cli import dlq
from voxpersona.contracts.subjects import StreamNames
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.settings import ReactorSettings
from voxpersona.storage import MinioObjectStore

SHARED = Path(__file__).resolve().parents[1] / "fixtures" / "minio_events"


@pytest_asyncio.fixture(loop_scope="session")
async def openai_double() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY) as server:
        yield server


def texts(services: RunningServices, chat_id: int) -> list[str]:
    return [m.text or "" for m in services.telegram.messages_to(chat_id)]


async def test_throttling_and_server_errors_then_success(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai_double, analysis_enabled=False)
    # The SDK retries twice by itself; five failures force JetStream redeliveries too.
    openai_double.fail_next("transcriptions", 429, times=2, retry_after=0.1)
    openai_double.fail_next("transcriptions", 500, times=3)
    user = new_user(services, "en")
    async with running_reactor(settings):
        key = await upload(minio, user, ogg_opus(0.3, frequency=610.0), interface_language="en")
        row = await wait_row(dsn(services), key, timeout=60)
    assert row["status"] == "done"
    assert row["attempts"] >= 2
    statuses = [s for endpoint, s in openai_double.request_log if endpoint == "transcriptions"]
    assert statuses == [429, 429, 500, 500, 500, 200]
    await services.telegram.wait_for(
        lambda: sum("fake transcript" in t for t in texts(services, user.id)) == 1, timeout=15
    )


async def test_rejected_on_every_call_fails_with_reason_and_user_is_told(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai_double, analysis_enabled=False)
    openai_double.fail_next("transcriptions", 400, times=50, message="Invalid file format.")
    user = new_user(services, "ru")
    async with running_reactor(settings):
        key = await upload(minio, user, ogg_opus(0.3, frequency=620.0), interface_language="ru")
        row = await wait_row(dsn(services), key)
        await wait_idle(settings)
    assert (row["status"], row["failure_code"]) == ("failed", "transcriber_rejected")
    assert "Invalid file format" in row["failure_reason"]
    assert row["attempts"] == 1  # a 400 is never retried
    await services.telegram.wait_for(
        lambda: any("не принял файл" in t for t in texts(services, user.id)), timeout=15
    )


async def dlq_cli(settings: ReactorSettings, *args: str) -> list[str]:
    """Run ``voxpersona dlq ARGS`` as an operator would; return its output lines."""
    code, output = await run_voxpersona(
        "dlq", *args, env={"NATS_URL": settings.nats.url}, drop=("NATS_", "DATABASE_")
    )
    assert code == 0, output
    return output.splitlines()


async def test_exhausted_deliveries_dead_letter_then_requeue_finishes(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(
        services, minio, openai=openai_double, analysis_enabled=False, max_deliver=2
    )
    openai_double.fail_next("transcriptions", 503, times=1000)
    user = new_user(services, "en")
    names = StreamNames()
    async with running_reactor(settings):
        key = await upload(minio, user, ogg_opus(0.3, frequency=630.0), interface_language="en")
        failed = await wait_row(dsn(services), key, timeout=60)
        nc = await nats.connect(settings.nats.url)
        try:
            js = nc.jetstream()
            letters = [x for x in await dlq.list_letters(js, names) if x.key == key]
            assert len(letters) == 1
            assert letters[0].code == "transcriber_unavailable"
            assert letters[0].deliveries == "2"
            stored = await js.get_msg(names.dead_letter_stream, letters[0].id)
            assert stored.headers is not None
            assert stored.headers[HEADER_CODE] == "transcriber_unavailable"
            assert json.loads(stored.data or b"")["Key"].endswith(key)  # the original event
            await services.telegram.wait_for(
                lambda: any("unavailable for too long" in t for t in texts(services, user.id)),
                timeout=15,
            )
            openai_double.reset()  # the fault clears
            # The operator's view: list, show, requeue through the CLI.
            letter = str(letters[0].id)
            listed = await dlq_cli(settings, "list")
            assert any(line.startswith(f"{letter}\t") and key in line for line in listed)
            shown = await dlq_cli(settings, "show", letter)
            assert f"key: {key}" in shown
            assert "code: transcriber_unavailable" in shown
            assert "s3:ObjectCreated:Put" in "".join(shown)  # the original event, as JSON
            requeued = await dlq_cli(settings, "requeue", letter)
            assert any(letter in line for line in requeued), requeued
            assert not [x for x in await dlq.list_letters(js, names) if x.key == key]
        finally:
            await nc.close()
        done = await wait_row(dsn(services), key, until="status = 'done'", timeout=30)
    assert (failed["status"], failed["failure_code"]) == ("failed", "retries_exhausted")
    assert done["failure_code"] is None
    await services.telegram.wait_for(
        lambda: any("fake transcript" in t for t in texts(services, user.id)), timeout=15
    )


async def test_duplicate_events_at_once_give_one_result(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(
        services, minio, openai=openai_double, analysis_enabled=False, reactor_concurrency=4
    )
    openai_double.set_latency("transcriptions", 0.5)
    user = new_user(services, "en")
    async with running_reactor(settings):
        key = await upload(minio, user, ogg_opus(0.3, frequency=640.0), interface_language="en")
        await wait_row(dsn(services), key, until="notified_at IS NOT NULL")
        original = next(
            e
            for e in services.stack.minio.published
            if e["Key"].endswith(key)  # type: ignore[attr-defined]
        )
        nc = await nats.connect(settings.nats.url)
        try:
            js = nc.jetstream()
            for _ in range(5):  # MinIO's queue replays: same payload, no Nats-Msg-Id
                await js.publish(settings.streams.events_subject, json.dumps(original).encode())
        finally:
            await nc.close()
        await wait_idle(settings)
        await asyncio.sleep(0.5)
    assert len(openai_double.transcription_requests) == 1
    assert sum("fake transcript" in t for t in texts(services, user.id)) == 1


async def test_delete_and_lifecycle_expiry_update_the_row(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai_double, analysis_enabled=False)
    user = new_user(services, "en")
    store = MinioObjectStore(minio)
    async with running_reactor(settings):
        deleted = await upload(minio, user, ogg_opus(0.3, frequency=650.0))
        expired = await upload(minio, user, ogg_opus(0.3, frequency=660.0))
        await wait_row(dsn(services), deleted)
        await wait_row(dsn(services), expired)
        await asyncio.to_thread(store.client.remove_object, store.audio_bucket, deleted)
        # MinIO's lifecycle scanner: a plain delete event whose user agent names ILM expiry.
        ilm = json.loads((SHARED / "ilm-expiry-delete.json").read_text())
        ilm["Key"] = f"{store.audio_bucket}/{expired}"
        ilm["Records"][0]["s3"]["bucket"]["name"] = store.audio_bucket
        ilm["Records"][0]["s3"]["object"]["key"] = expired.replace("/", "%2F")
        ilm["Records"][0]["s3"]["object"]["sequencer"] = "7FFFFFFFFFFFFFFF"
        nc = await nats.connect(settings.nats.url)
        try:
            await nc.jetstream().publish(settings.streams.events_subject, json.dumps(ilm).encode())
        finally:
            await nc.close()
        gone = await wait_row(dsn(services), deleted, until="audio_state <> 'present'")
        aged = await wait_row(dsn(services), expired, until="audio_state <> 'present'")
    assert (gone["audio_state"], gone["status"]) == ("deleted", "done")
    assert gone["transcript_text"]  # the transcript is kept
    assert (aged["audio_state"], aged["status"]) == ("expired", "done")
    assert aged["audio_removed_at"] is not None
