"""Nothing lost at the last delivery: a reactor SIGKILLed on every delivery of one event ends in
a dead letter an operator can list, a user who is told, and a reactor that goes on."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from tests.audio import ogg_opus
from tests.cli import run_voxpersona
from tests.integration.test_reactor_resilience import reactor_process, texts
from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_settings,
    upload,
    wait_row,
)
from tests.services import OPENAI_TEST_KEY, RunningServices
from voxpersona.localstack.fake_openai import FakeOpenAI


@pytest_asyncio.fixture(loop_scope="session")
async def openai_double() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY) as server:
        yield server


async def _requests_reach(openai: FakeOpenAI, count: int, timeout: float = 60) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if len(openai.transcription_requests) >= count:
                return
            await asyncio.sleep(0.05)


async def test_reactor_killed_on_every_delivery_dead_letters_tells_the_user_and_goes_on(
    services: RunningServices, openai_double: FakeOpenAI, tmp_path: Path
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(
        services,
        minio,
        openai=openai_double,
        analysis_enabled=False,
        ack_wait_seconds=3,
        max_deliver=2,
    )
    user = new_user(services, "en")
    openai_double.set_latency("transcriptions", 60.0)
    poison = await upload(minio, user, ogg_opus(0.3, frequency=870.0), interface_language="en")
    for attempt in (1, 2):  # every delivery the reactor allows kills the reactor
        with reactor_process(settings, tmp_path / f"killed-{attempt}.log") as process:
            await _requests_reach(openai_double, attempt)
            process.send_signal(signal.SIGKILL)
            process.wait()
    openai_double.set_latency("transcriptions", 0.0)
    with reactor_process(settings, tmp_path / "after.log"):
        failed = await wait_row(
            dsn(services), poison, until="status = 'failed' AND notified_at IS NOT NULL", timeout=90
        )
        next_one = await upload(minio, user, ogg_opus(0.3, frequency=880.0))
        done = await wait_row(dsn(services), next_one, until="notified_at IS NOT NULL", timeout=60)
    # The poison event was not run a third time: the third delivery was dead-lettered unrun.
    assert len(openai_double.transcription_requests) == 3
    assert (failed["failure_code"], done["status"]) == ("retries_exhausted", "done")
    code, output = await run_voxpersona(
        "dlq", "list", env={"NATS_URL": settings.nats.url}, drop=("NATS_", "DATABASE_")
    )
    assert code == 0, output
    listed = [line for line in output.splitlines() if poison in line]
    assert len(listed) == 1, output
    assert "\tdeliveries_exhausted\t" in listed[0]
    await services.telegram.wait_for(
        lambda: (
            sum("unavailable for too long" in t for t in texts(services, user.id)) == 1
            and sum("fake transcript" in t for t in texts(services, user.id)) == 1
        ),
        timeout=30,
    )
