"""MinIO goes away while a user sends a recording: the bot spools it, tells the user it is
queued, survives a restart, and once MinIO is back the recording is uploaded, transcribed and
delivered — nothing lost.

Runs on a stack of its own (the local stand-in is stopped and started), so the session's
services never see the outage.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest_asyncio

from bot.app import run_bot
from bot.spool import Spool
from reactor.app import run_reactor
from tests.audio import ogg_opus
from tests.services import make_bot_settings, make_reactor_settings
from voxpersona.contracts.keys import parse_audio_key
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.fake_telegram import FakeTelegram, FakeUser
from voxpersona.localstack.stack import LocalStack
from voxpersona.settings import BotSettings
from voxpersona.storage import MinioObjectStore

USER = FakeUser(id=720_000_001, first_name="Ольга", language_code="ru")


@pytest_asyncio.fixture(loop_scope="session")
async def outage_stack() -> AsyncIterator[LocalStack]:
    async with LocalStack() as stack:
        yield stack


async def start_bot(settings: BotSettings) -> tuple[asyncio.Event, asyncio.Task[None]]:
    stop = asyncio.Event()
    task = asyncio.create_task(run_bot(settings, stop))
    await asyncio.sleep(0.5)
    if task.done():
        task.result()
    return stop, task


def spooled_entries(spool_dir: Path) -> int:
    spool = Spool(spool_dir, max_bytes=1 << 30)
    spool.open()
    return len(spool.pending())


async def test_recording_sent_during_an_outage_is_delivered_after_it(
    outage_stack: LocalStack, fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    assert outage_stack.minio is not None
    minio = outage_stack.minio
    spool_dir = tmp_path / "spool"
    async with FakeTelegram() as telegram:
        base = make_bot_settings(outage_stack, telegram)
        vox = base.vox.model_copy(update={"spool_dir": spool_dir})
        bot_settings = base.model_copy(update={"vox": vox})
        reactor_stop = asyncio.Event()
        reactor = asyncio.create_task(
            run_reactor(make_reactor_settings(outage_stack, fake_openai), reactor_stop)
        )
        first_stop, first_bot = await start_bot(bot_settings)
        try:
            audio = ogg_opus(0.7, frequency=360.0)
            digest = hashlib.sha256(audio).hexdigest()

            await minio.stop()
            telegram.user_sends_voice(USER, audio, duration=1)
            await telegram.wait_for(lambda: has_text(telegram, "очередь"), timeout=20)
            assert spooled_entries(spool_dir) == 1

            # The bot restarts while MinIO is still down: it starts anyway, spool intact.
            first_stop.set()
            await first_bot
            second_stop, second_bot = await start_bot(bot_settings)
            assert spooled_entries(spool_dir) == 1

            await minio.start()
            await telegram.wait_for(lambda: has_text(telegram, digest[:16]), timeout=30)

            second_stop.set()
            await second_bot
        finally:
            first_stop.set()
            reactor_stop.set()
            await asyncio.gather(first_bot, reactor, return_exceptions=True)

    assert f"fake transcript of {len(audio)} bytes sha256 {digest[:16]}" in transcript(telegram)
    assert spooled_entries(spool_dir) == 0
    assert not any((spool_dir / "quarantine").iterdir())
    rows = await recordings_of(outage_stack, USER.id)
    assert [row["status"] for row in rows] == ["done"]
    key = rows[0]["object_key"]
    assert parse_audio_key(key).user_id == USER.id
    store = MinioObjectStore(outage_stack.minio_settings())
    assert await store.get_bytes(store.audio_bucket, key) == audio


def has_text(telegram: FakeTelegram, fragment: str) -> bool:
    return any(fragment in (m.text or "") for m in telegram.messages_to(USER.id))


def transcript(telegram: FakeTelegram) -> str:
    return "\n".join(m.text or "" for m in telegram.messages_to(USER.id))


async def recordings_of(stack: LocalStack, user_id: int) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(stack.database_settings().url.get_secret_value())
    try:
        rows: list[asyncpg.Record] = await conn.fetch(
            "SELECT status, object_key FROM recordings WHERE user_id = $1", user_id
        )
        return rows
    finally:
        await conn.close()
