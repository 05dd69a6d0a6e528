"""Crashes and outages on the real local stack: a reactor killed mid-transcription, NATS and
PostgreSQL restarted under load, and two reactor processes sharing one durable consumer."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.audio import ogg_opus
from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_env,
    reactor_settings,
    rows_for,
    running_reactor,
    upload,
    wait_row,
)
from tests.services import OPENAI_TEST_KEY, RunningServices
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.stack import LocalStack
from voxpersona.settings import ReactorSettings

REACTOR = str(Path(sys.executable).parent / "voxpersona-reactor")


@pytest_asyncio.fixture(loop_scope="session")
async def openai_double() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY) as server:
        yield server


@pytest.fixture
def local_stack(services: RunningServices) -> LocalStack:
    if not isinstance(services.stack, LocalStack):
        pytest.skip("stopping and restarting servers needs the local stack")
    return services.stack


@contextlib.contextmanager
def reactor_process(settings: ReactorSettings, log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen(
            [REACTOR], env=reactor_env(settings), stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def texts(services: RunningServices, chat_id: int) -> list[str]:
    return [m.text or "" for m in services.telegram.messages_to(chat_id)]


async def test_reactor_killed_mid_transcription_is_redelivered_once(
    services: RunningServices, openai_double: FakeOpenAI, tmp_path: Path
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(
        services, minio, openai=openai_double, analysis_enabled=False, ack_wait_seconds=3
    )
    openai_double.set_latency("transcriptions", 30.0)
    user = new_user(services, "en")
    with reactor_process(settings, tmp_path / "first.log") as first:
        key = await upload(minio, user, ogg_opus(0.3, frequency=810.0))
        for _ in range(600):  # until the transcription request is in flight
            if openai_double.transcription_requests:
                break
            await asyncio.sleep(0.05)
        assert openai_double.transcription_requests
        first.send_signal(signal.SIGKILL)  # no drain, no nak, no lease release
        first.wait()
    openai_double.set_latency("transcriptions", 0.0)
    with reactor_process(settings, tmp_path / "second.log"):
        row = await wait_row(dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
        await asyncio.sleep(1.0)
    assert row["status"] == "done"
    assert len(openai_double.transcription_requests) == 2  # the killed one and the redelivery
    await services.telegram.wait_for(
        lambda: any("fake transcript" in t for t in texts(services, user.id)), timeout=15
    )
    assert sum("fake transcript" in t for t in texts(services, user.id)) == 1


async def test_two_reactor_processes_share_200_events_without_duplicates(
    services: RunningServices, openai_double: FakeOpenAI, tmp_path: Path
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(
        services, minio, openai=openai_double, analysis_enabled=False, reactor_concurrency=8
    )
    user = new_user(services, "en")
    audio = ogg_opus(0.2, frequency=820.0)
    logs = [tmp_path / "a.log", tmp_path / "b.log"]
    with reactor_process(settings, logs[0]), reactor_process(settings, logs[1]):
        limit = asyncio.Semaphore(8)

        async def one() -> str:
            async with limit:
                return await upload(minio, user, audio)

        keys = await asyncio.gather(*(one() for _ in range(200)))
        prefix = f"audio/{user.id}/"
        async with asyncio.timeout(120):
            while True:
                rows = await rows_for(dsn(services), prefix)
                if len(rows) == 200 and all(r["notified_at"] is not None for r in rows):
                    break
                await asyncio.sleep(0.3)
    assert sorted(r["object_key"] for r in rows) == sorted(keys)
    assert all(r["status"] == "done" and r["attempts"] == 1 for r in rows)
    assert len(openai_double.transcription_requests) == 200
    announced = [
        sum(1 for line in log.read_text().splitlines() if '"recording.announced"' in line)
        for log in logs
    ]
    assert sum(announced) == 200
    assert all(count > 0 for count in announced), announced  # both processes did work
    await services.telegram.wait_for(
        lambda: sum("fake transcript" in t for t in texts(services, user.id)) >= 200, timeout=60
    )
    await asyncio.sleep(1.0)
    assert sum("fake transcript" in t for t in texts(services, user.id)) == 200


async def test_nats_restart_mid_stream_loses_no_event(
    services: RunningServices, local_stack: LocalStack, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai_double, analysis_enabled=False)
    user = new_user(services, "en")
    async with running_reactor(settings):
        keys = [await upload(minio, user, ogg_opus(0.2, frequency=830.0)) for _ in range(5)]
        await asyncio.to_thread(local_stack.nats.stop)
        # MinIO keeps events in its queue while NATS is away.
        keys += [await upload(minio, user, ogg_opus(0.2, frequency=840.0)) for _ in range(5)]
        await asyncio.sleep(1.0)
        await asyncio.to_thread(local_stack.nats.start)
        for key in keys:
            await wait_row(dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
    rows = await rows_for(dsn(services), f"audio/{user.id}/")
    assert len(rows) == 10
    assert all(r["status"] == "done" for r in rows)
    await services.telegram.wait_for(
        lambda: sum("fake transcript" in t for t in texts(services, user.id)) >= 10, timeout=60
    )
    await asyncio.sleep(1.0)
    assert sum("fake transcript" in t for t in texts(services, user.id)) == 10


async def test_postgres_down_for_a_while_retries_and_loses_nothing(
    services: RunningServices, local_stack: LocalStack, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai_double, analysis_enabled=False)
    user = new_user(services, "en")
    async with running_reactor(settings):
        await asyncio.to_thread(local_stack.postgres.stop)
        try:
            keys = [await upload(minio, user, ogg_opus(0.2, frequency=850.0)) for _ in range(5)]
            await asyncio.sleep(3.0)  # every delivery meanwhile fails and is nak'ed
        finally:
            await asyncio.to_thread(local_stack.postgres.start)
        for key in keys:
            await wait_row(dsn(services), key, until="notified_at IS NOT NULL", timeout=90)
    rows = await rows_for(dsn(services), f"audio/{user.id}/")
    assert len(rows) == 5
    assert all(r["status"] == "done" for r in rows)
    await services.telegram.wait_for(
        lambda: sum("fake transcript" in t for t in texts(services, user.id)) >= 5, timeout=60
    )
    assert sum("fake transcript" in t for t in texts(services, user.id)) == 5
