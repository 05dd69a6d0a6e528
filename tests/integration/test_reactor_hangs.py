"""Hangs and leaks on the real local stack: a stage past its deadline is retried, PostgreSQL
statements are bounded, and scratch directories of a killed reactor are swept at start-up."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import openai
import pytest
import pytest_asyncio

from bot.app import open_resources as open_bot_resources
from reactor.app import open_resources as open_reactor_resources
from reactor.transcription.openai_engine import OpenAITranscriber
from reactor.workspace import LOCK_NAME, ROOT_NAME, Workspace, sweep
from tests.audio import ogg_opus
from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_env,
    reactor_settings,
    running_reactor,
    upload,
    wait_row,
)
from tests.services import OPENAI_TEST_KEY, RunningServices
from voxpersona.localstack.fake_openai import FakeOpenAI

REACTOR = str(Path(sys.executable).parent / "voxpersona-reactor")


@pytest_asyncio.fixture(loop_scope="session")
async def openai_double() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY) as server:
        yield server


async def test_a_hung_transcription_passes_its_deadline_and_is_retried(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(
        services,
        minio,
        openai=openai_double,
        analysis_enabled=False,
        transcription_deadline_seconds=2,
        transcription_deadline_per_audio_second=0,
    )
    # The SDK's own timeout is far away: only the stage deadline can end the hang in time.
    settings = settings.model_copy(
        update={"openai": settings.openai.model_copy(update={"timeout": 600.0})}
    )
    openai_double.hang_next("transcriptions", 300.0)
    user = new_user(services, "en")
    async with running_reactor(settings):
        key = await upload(minio, user, ogg_opus(0.3, frequency=910.0))
        row = await wait_row(dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
    assert row["status"] == "done"
    assert row["attempts"] == 2  # the hung one, cancelled at its deadline, and the retry
    assert len(openai_double.transcription_requests) == 2


@pytest.mark.parametrize("service", ["reactor", "bot"])
async def test_postgres_statements_are_bounded_by_command_timeout(
    services: RunningServices, service: str
) -> None:
    if service == "reactor":
        settings = services.reactor_settings
        opened = open_reactor_resources(
            settings.model_copy(
                update={
                    "vox": settings.vox.model_copy(
                        update={"database_command_timeout_seconds": 0.5, "http_port": 0}
                    )
                }
            ),
            transcriber=services_transcriber(),
        )
    else:
        bot_settings = services.bot_settings
        opened = open_bot_resources(
            bot_settings.model_copy(
                update={
                    "vox": bot_settings.vox.model_copy(
                        update={"database_command_timeout_seconds": 0.5, "bot_http_port": 0}
                    )
                }
            )
        )
    async with opened as resources:
        pool: asyncpg.Pool = resources.pool
        started = asyncio.get_running_loop().time()
        with pytest.raises(TimeoutError):
            await pool.fetchval("SELECT pg_sleep(30)")
        assert asyncio.get_running_loop().time() - started < 20
        assert await pool.fetchval("SELECT 1") == 1  # the pool recovers


def services_transcriber() -> OpenAITranscriber:
    """Any transcriber: opening the reactor's resources must not load a model."""
    return OpenAITranscriber(openai.AsyncOpenAI(api_key="unused"), model="whisper-1")


def test_a_live_workspace_is_kept_a_dead_one_swept(tmp_path: Path) -> None:
    dead = tmp_path / ROOT_NAME / "12345-dead"
    dead.mkdir(parents=True)
    (dead / LOCK_NAME).touch()  # its owner is gone: nobody holds the lock
    (dead / "vp-x" / "audio.ogg").parent.mkdir()
    (dead / "vp-x" / "audio.ogg").write_bytes(b"left behind")
    young = tmp_path / ROOT_NAME / "12346-starting"
    young.mkdir()  # no lock file yet: a reactor creating it right now

    with Workspace(tmp_path) as live:
        assert not dead.exists()
        assert young.exists()
        assert sweep(tmp_path / ROOT_NAME) == []  # a second reactor leaves the live one be
        assert live.exists()
        old = os.stat(young).st_mtime - 3600
        os.utime(young, (old, old))
        assert sweep(tmp_path / ROOT_NAME) == [young.name]
    assert not live.exists()  # a clean stop removes its own


def _reactor(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen([REACTOR], env=env, stdout=out, stderr=subprocess.STDOUT)


def _scratch_files(root: Path) -> list[Path]:
    return [p for p in root.glob("*/vp-*/*") if p.is_file()]


async def test_a_killed_reactors_scratch_directory_is_gone_after_restart(
    services: RunningServices, openai_double: FakeOpenAI, tmp_path: Path
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai_double, analysis_enabled=False)
    work = tmp_path / "work"
    env = {
        **reactor_env(settings),
        "VOXPERSONA_WORK_DIR": str(work),
        "VOXPERSONA_HTTP_PORT": "0",
        # Not under test here, and loading the speaker model lengthens start-up (a SIGTERM
        # that arrives during start-up is acted on once it is done).
        "VOXPERSONA_DIARIZATION_ENABLED": "false",
    }
    root = work / ROOT_NAME
    openai_double.set_latency("transcriptions", 60.0)
    user = new_user(services, "en")
    first = _reactor(env, tmp_path / "first.log")
    try:
        await upload(minio, user, ogg_opus(0.3, frequency=920.0))
        async with asyncio.timeout(60):
            while not _scratch_files(root):  # noqa: ASYNC110 - another process writes them
                await asyncio.sleep(0.1)
        left = _scratch_files(root)
        first.send_signal(signal.SIGKILL)
        first.wait()
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert all(p.exists() for p in left)  # SIGKILL: nothing cleaned up
    killed_dir = left[0].parents[1]
    openai_double.set_latency("transcriptions", 0.0)
    second = _reactor(env, tmp_path / "second.log")
    try:
        async with asyncio.timeout(60):
            while killed_dir.exists():  # noqa: ASYNC110 - another process removes it
                await asyncio.sleep(0.1)
        assert [d for d in root.iterdir() if d.is_dir()]  # the new reactor's own
    finally:
        second.send_signal(signal.SIGTERM)
        second.wait(timeout=90)  # start-up may still be loading models on a busy machine
    assert '"workspace.swept"' in (tmp_path / "second.log").read_text()
