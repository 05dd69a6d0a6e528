"""The bot SIGKILLed between two parts of a long transcript: the restarted bot sends the parts
the delivery journal has not seen confirmed, and only those — every part exactly once."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio

from tests.audio import ogg_opus
from tests.bot_chat import new_user
from tests.cli import minio_env
from tests.reactor_harness import upload, wait_row
from tests.services import TELEGRAM_TEST_TOKEN, RunningServices
from voxpersona.localstack.fake_openai import (
    FakeSegment,
    FakeTranscript,
    TranscriptionRequest,
    default_transcriber,
)
from voxpersona.localstack.fake_telegram import FakeTelegram

BOT = str(Path(sys.executable).parent / "voxpersona-bot")
SENTENCE = "Договорились перенести релиз на следующую неделю и проверить бюджет. "


@pytest_asyncio.fixture(loop_scope="session")
async def own_telegram() -> AsyncIterator[FakeTelegram]:
    """A Telegram only the bot under test talks to (the session bot cannot reach its chats)."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def long_transcripts(services: RunningServices) -> Iterator[str]:
    text = SENTENCE * 130  # ~9k characters: three messages

    def transcribe(path: Path, request: TranscriptionRequest) -> FakeTranscript:
        return FakeTranscript(
            text=text, language="russian", duration=600.0, segments=[FakeSegment(0, 600, text)]
        )

    services.openai.transcriber = transcribe
    yield text
    services.openai.transcriber = default_transcriber


def bot_env(services: RunningServices, telegram: FakeTelegram, durable: str) -> dict[str, str]:
    stack = services.stack
    return {
        "PATH": "/usr/bin:/bin",
        "HOME": tempfile.gettempdir(),
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TEST_TOKEN,
        "TELEGRAM_API_URL": telegram.base_url,
        **minio_env(stack.minio_settings()),
        "NATS_URL": stack.nats_settings().url,
        "DATABASE_URL": stack.database_settings().url.get_secret_value(),
        "VOXPERSONA_BOT_DURABLE": durable,
        "VOXPERSONA_BOT_HTTP_PORT": "0",
        "VOXPERSONA_SPOOL_DIR": tempfile.mkdtemp(prefix="vp-spool-"),
        "VOXPERSONA_MAX_TEXT_MESSAGES": "5",
        # A wide gap between parts, and a dead bot's result redelivered soon.
        "VOXPERSONA_DELIVERY_PRIVATE_INTERVAL_SECONDS": "3",
        "VOXPERSONA_DELIVERY_ACK_WAIT_SECONDS": "3",
        "VOXPERSONA_LOG_FORMAT": "json",
    }


@contextlib.contextmanager
def bot_process(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("ab") as out:
        process = subprocess.Popen([BOT], env=env, stdout=out, stderr=subprocess.STDOUT)
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


async def _journaled(dsn: str, recording_id: object, part: str, timeout: float = 60) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(timeout):
            while True:
                found = await conn.fetchval(
                    "SELECT 1 FROM bot_deliveries WHERE recording_id = $1 AND part = $2",
                    recording_id,
                    part,
                )
                if found:
                    return
                await asyncio.sleep(0.02)
    finally:
        await conn.close()


@pytest.mark.timeout(240)
async def test_bot_killed_between_two_parts_sends_every_part_exactly_once(
    services: RunningServices, own_telegram: FakeTelegram, long_transcripts: str, tmp_path: Path
) -> None:
    user = new_user("ru")
    own_telegram.add_chat(user)
    env = bot_env(services, own_telegram, durable=f"bot-kill-{user.id}")
    dsn = services.reactor_settings.database.url.get_secret_value()
    with bot_process(env, tmp_path / "first.log") as first:
        key = await upload(
            services.stack.minio_settings(),
            user,
            ogg_opus(0.3, frequency=940.0),
            scenario="none",  # the transcript alone: no analysis message
        )
        row = await wait_row(dsn, key, until="notified_at IS NOT NULL", timeout=60)
        await _journaled(dsn, row["id"], "transcript:1")
        first.send_signal(signal.SIGKILL)  # part 1 confirmed, part 2 waits for its turn
        first.wait()
    before = [m.text or "" for m in own_telegram.messages_to(user.id)]
    assert len(before) == 1, before
    with bot_process(env, tmp_path / "second.log"):
        await own_telegram.wait_for(lambda: len(own_telegram.messages_to(user.id)) >= 3, 90)
        await asyncio.sleep(5.0)  # nothing more comes
    parts = [m.text or "" for m in own_telegram.messages_to(user.id)]
    assert len(parts) == 3, parts
    assert len(set(parts)) == 3
    assert parts[0] == before[0]
    assert " ".join(p.split("\n\n", 1)[-1] for p in parts).split() == long_transcripts.split()
