"""Access modes (invite codes, allowlist, admins), the admins' commands, the per-user rate
limit, the daily quota and flood control — on a second bot of its own, configured for them.

That bot has its own fake Telegram, results stream and audio bucket (with no notification
rule: nothing it stores is processed, which these tests do not need)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp
import asyncpg
import pytest_asyncio

from bot.app import run_bot
from tests.audio import ogg_opus
from tests.bot_chat import new_user, press, texts, wait_text
from tests.services import make_bot_settings
from tests.stacks import Stack
from voxpersona.contracts.keys import new_audio_key
from voxpersona.contracts.subjects import StreamNames
from voxpersona.localstack.fake_telegram import FakeTelegram, FakeUser
from voxpersona.recordings.schema import migrate
from voxpersona.settings import BotOptions, MinioSettings
from voxpersona.storage import MinioObjectStore

ENV_INVITE = "spring-2026"


@dataclass
class AccessBot:
    telegram: FakeTelegram
    admin: FakeUser
    listed: FakeUser
    minio: MinioSettings
    dsn: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def access_bot(stack: Stack) -> AsyncIterator[AccessBot]:
    admin, listed = new_user("en", "Admin"), new_user("ru", "Лиса")
    async with FakeTelegram() as telegram:
        base = make_bot_settings(stack, telegram)
        minio = stack.minio_settings(audio_bucket_name=f"vp-access-{uuid.uuid4().hex[:10]}")
        await MinioObjectStore(minio).ensure_buckets(minio.audio_bucket_name)
        settings = base.model_copy(
            update={
                "minio": minio,
                "options": BotOptions(
                    access_mode="invite",
                    admin_ids=(admin.id,),
                    allowed_users=(listed.id,),
                    invite_codes=(ENV_INVITE,),
                    rate_limit_burst=3,
                    rate_limit_per_minute=1.0,
                    daily_audio_minutes=1.0,
                    updates_burst=10,
                    updates_per_minute=6.0,
                    download_inline_max_bytes=0,  # every download is a link here
                    download_link_ttl_seconds=300,
                ),
                "streams": StreamNames(
                    results_stream="VP_ACCESS_RESULTS",
                    results_subject="vpaccess.results",
                    bot_durable="bot-access",
                    progress_subject="vpaccess.progress",
                    progress_queue="bot-access-progress",
                ),
            }
        )
        await _migrated(settings.database.url.get_secret_value())
        stop = asyncio.Event()
        task = asyncio.create_task(run_bot(settings, stop))
        await telegram.wait_for(lambda: bool(telegram.calls("setMyCommands")), timeout=30)
        yield AccessBot(telegram, admin, listed, minio, settings.database.url.get_secret_value())
        stop.set()
        await task


async def _migrated(dsn: str) -> None:
    """What the reactor does at start-up (no reactor runs for this bot)."""
    conn = await asyncpg.connect(dsn)
    try:
        await migrate(conn)
    finally:
        await conn.close()


async def test_invite_codes(access_bot: AccessBot) -> None:
    tg = access_bot.telegram
    stranger, invited, late = new_user("en"), new_user("ru"), new_user("en")
    tg.user_sends_text(stranger, "/help")
    await wait_text(tg, stranger.id, "invite-only")
    tg.user_sends_voice(stranger, ogg_opus(0.2), duration=1)
    tg.user_sends_text(stranger, "/start not-a-code")
    await wait_text(tg, stranger.id, "invalid or used up")
    assert sum("invite-only" in t for t in texts(tg, stranger.id)) == 2  # voice refused too

    tg.user_sends_text(access_bot.admin, "/invite 1")
    created = await wait_text(tg, access_bot.admin.id, "Invite code:")
    code = (created.text or "").split("/start ")[-1].strip()
    tg.user_sends_text(invited, f"/start {code}")
    await wait_text(tg, invited.id, "Приглашение принято")
    tg.user_sends_text(invited, "/help")
    await wait_text(tg, invited.id, "Что я умею")
    tg.user_sends_text(late, f"/start {code}")  # one use only
    await wait_text(tg, late.id, "invalid or used up")
    tg.user_sends_text(late, f"/start {ENV_INVITE}")  # a code from the configuration
    await wait_text(tg, late.id, "Invite accepted")


async def test_allowlist_and_admin_commands(access_bot: AccessBot) -> None:
    tg = access_bot.telegram
    admin, listed, guest = access_bot.admin, access_bot.listed, new_user("en")
    tg.user_sends_text(listed, "/help")
    await wait_text(tg, listed.id, "Что я умею")
    tg.user_sends_text(listed, "/stats")
    await wait_text(tg, listed.id, "администраторов")

    tg.user_sends_text(admin, f"/allow {guest.id}")
    await wait_text(tg, admin.id, f"Access granted: {guest.id}")
    tg.user_sends_text(guest, "/help")
    await wait_text(tg, guest.id, "What I can do")
    tg.user_sends_text(admin, f"/deny {guest.id}")
    await wait_text(tg, admin.id, f"Access revoked: {guest.id}")
    tg.user_sends_text(guest, "/files")
    denied = await wait_text(tg, guest.id, "private bot")
    assert str(guest.id) in (denied.text or "")
    tg.user_sends_text(admin, "/allow nobody")
    await wait_text(tg, admin.id, "Usage: /allow ID")

    tg.user_sends_text(admin, "/stats")
    stats = await wait_text(tg, admin.id, "Users:")
    assert "Recordings:" in (stats.text or "")
    tg.user_sends_text(admin, "/health")
    health = await wait_text(tg, admin.id, "Health:")
    assert "PostgreSQL: ok" in (health.text or "")
    assert "NATS: ok" in (health.text or "")


async def test_rate_limit_says_when_to_send_again(access_bot: AccessBot) -> None:
    tg = access_bot.telegram
    user = new_user("en")
    await _allow(access_bot, user)
    for i in range(4):
        tg.user_sends_voice(user, ogg_opus(0.2, frequency=300.0 + i), duration=1)
    limited = await wait_text(tg, user.id, "Too many recordings in a row")
    assert "send the next one in 1 min" in (limited.text or "")
    await tg.wait_for(lambda: sum("Recording" in t for t in texts(tg, user.id)) >= 3, timeout=20)
    assert sum("Too many recordings" in t for t in texts(tg, user.id)) == 1


async def test_daily_quota_of_audio_minutes(access_bot: AccessBot) -> None:
    tg = access_bot.telegram
    user = new_user("ru")
    await _allow(access_bot, user)
    tg.user_sends_voice(user, ogg_opus(0.2, frequency=640.0), duration=50)
    await wait_text(tg, user.id, "Запись получена")
    await tg.wait_for(lambda: any("очеред" in t for t in texts(tg, user.id)), timeout=20)
    tg.user_sends_voice(user, ogg_opus(0.2, frequency=650.0), duration=20)  # 70 s > 1 min
    over = await wait_text(tg, user.id, "Дневной лимит исчерпан")
    assert "00:00 UTC" in (over.text or "")


async def test_a_flood_is_dropped_and_others_are_served(access_bot: AccessBot) -> None:
    tg = access_bot.telegram
    flooder, neighbour = new_user("en"), new_user("en")
    await _allow(access_bot, flooder)
    await _allow(access_bot, neighbour)
    for _ in range(40):
        tg.user_sends_text(flooder, "/help")
    tg.user_sends_text(neighbour, "/help")
    await wait_text(tg, neighbour.id, "What I can do")
    await wait_text(tg, flooder.id, "Too many messages")
    helps = sum("What I can do" in t for t in texts(tg, flooder.id))
    assert helps <= 10
    assert sum("Too many messages" in t for t in texts(tg, flooder.id)) == 1


async def _allow(access_bot: AccessBot, user: FakeUser) -> None:
    tg = access_bot.telegram
    tg.user_sends_text(access_bot.admin, f"/allow {user.id}")
    await wait_text(tg, access_bot.admin.id, f"Access granted: {user.id}")


async def test_download_of_a_large_recording_is_a_short_lived_link(access_bot: AccessBot) -> None:
    tg = access_bot.telegram
    user = access_bot.listed
    audio = ogg_opus(0.3, frequency=999.0)
    key = str(new_audio_key(user.id, "ogg", now=datetime.now(UTC)))
    store = MinioObjectStore(access_bot.minio)
    info = await store.put_bytes(store.audio_bucket, key, audio, content_type="audio/ogg")
    conn = await asyncpg.connect(access_bot.dsn)
    try:  # what the reactor would have written (no reactor serves this bot's bucket)
        await conn.execute(
            "INSERT INTO recordings (id, bucket, object_key, etag, user_id, chat_id, status,"
            " size_bytes, original_name, transcript_text) VALUES ($1, $2, $3, $4, $5, $5,"
            " 'done', $6, 'звонок.ogg', 'текст')",
            uuid.uuid4(),
            store.audio_bucket,
            key,
            info.etag or "etag",
            user.id,
            len(audio),
        )
    finally:
        await conn.close()
    tg.user_sends_text(user, "/files")
    listing = await wait_text(tg, user.id, "Ваши записи")
    edits = len(listing.edits)
    press(tg, user, listing, "звонок.ogg")
    await tg.wait_for(lambda: len(listing.edits) > edits, timeout=10)
    press(tg, user, listing, "Скачать")
    message = await wait_text(tg, user.id, "действует 5 мин")
    url = (message.text or "").split("\n")[-1]
    assert "X-Amz-Expires=300" in url
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert await response.read() == audio
