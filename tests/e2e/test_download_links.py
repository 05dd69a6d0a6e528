"""Download links are signed for MINIO_PUBLIC_URL (the host users reach), and never posted in a
group: the library is not shown there, and a download button pressed there points to the
private chat (where the link then comes).

A bot of its own (every download a link; its MinIO settings name a public URL, here another
name of the same S3 server), no reactor: the recording row is written as the reactor would."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import aiohttp
import asyncpg
import pytest_asyncio

from bot.app import run_bot
from tests.audio import ogg_opus
from tests.bot_chat import answers, button_data, has_text, new_user, press, wait_text
from tests.services import make_bot_settings
from tests.stacks import Stack
from voxpersona.contracts.keys import new_audio_key
from voxpersona.contracts.subjects import StreamNames
from voxpersona.localstack.fake_telegram import FakeChat, FakeTelegram
from voxpersona.recordings.schema import migrate
from voxpersona.settings import BotOptions, MinioSettings
from voxpersona.storage import MinioObjectStore


@dataclass
class LinkBot:
    telegram: FakeTelegram
    minio: MinioSettings
    dsn: str


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def link_bot(stack: Stack) -> AsyncIterator[LinkBot]:
    async with FakeTelegram() as telegram:
        base = make_bot_settings(stack, telegram)
        endpoint = stack.minio_settings().endpoint
        minio = stack.minio_settings(
            audio_bucket_name=f"vp-links-{uuid.uuid4().hex[:10]}",
            # The same server under another name: what users reach is not what services use.
            public_url=f"http://localhost:{endpoint.rsplit(':', 1)[1]}",
        )
        await MinioObjectStore(minio).ensure_buckets(minio.audio_bucket_name)
        settings = base.model_copy(
            update={
                "minio": minio,
                "options": BotOptions(download_inline_max_bytes=0, download_link_ttl_seconds=300),
                "streams": StreamNames(
                    results_stream="VP_LINKS_RESULTS",
                    results_subject="vplinks.results",
                    bot_durable="bot-links",
                    progress_subject="vplinks.progress",
                    progress_queue="bot-links-progress",
                ),
            }
        )
        dsn = settings.database.url.get_secret_value()
        conn = await asyncpg.connect(dsn)
        try:
            await migrate(conn)
        finally:
            await conn.close()
        stop = asyncio.Event()
        task = asyncio.create_task(run_bot(settings, stop))
        await telegram.wait_for(lambda: bool(telegram.calls("setMyCommands")), timeout=30)
        yield LinkBot(telegram, minio, dsn)
        stop.set()
        await asyncio.wait_for(task, timeout=30)


async def test_links_come_privately_and_never_into_a_group(link_bot: LinkBot) -> None:
    tg = link_bot.telegram
    user = new_user("en", "Dana")
    group = FakeChat(id=-(user.id), title="Team")
    audio = ogg_opus(0.3, frequency=515.0)
    key = str(new_audio_key(user.id, "ogg", now=datetime.now(UTC)))
    store = MinioObjectStore(link_bot.minio)
    info = await store.put_bytes(store.audio_bucket, key, audio, content_type="audio/ogg")
    conn = await asyncpg.connect(link_bot.dsn)
    try:  # what the reactor would have written
        await conn.execute(
            "INSERT INTO recordings (id, bucket, object_key, etag, user_id, chat_id, status,"
            " size_bytes, original_name, transcript_text) VALUES ($1, $2, $3, $4, $5, $5,"
            " 'done', $6, 'standup.ogg', 'text')",
            uuid.uuid4(),
            store.audio_bucket,
            key,
            info.etag or "etag",
            user.id,
            len(audio),
        )
    finally:
        await conn.close()
    tg.user_sends_text(user, "/start")  # the user has a private chat with the bot
    await tg.wait_for(lambda: bool(tg.messages_to(user.id)), timeout=10)

    tg.user_sends_text(user, "/files")
    listing = await wait_text(tg, user.id, "Your recordings")
    edits = len(listing.edits)
    press(tg, user, listing, "standup.ogg")
    await tg.wait_for(lambda: len(listing.edits) > edits, timeout=10)
    download = button_data(listing, "Download")

    # In a group: /files and the download button only point to the private chat.
    tg.user_sends_text(user, "/files", chat=group)
    pointer = await wait_text(tg, group.id, "private chat")
    tg.user_presses_button(user, pointer, download)
    await tg.wait_for(lambda: any("private chat" in text for text in answers(tg)), timeout=10)
    assert not has_text(tg, user.id, "valid for 5 min")

    tg.user_presses_button(user, listing, download)
    message = await wait_text(tg, user.id, "valid for 5 min")
    assert not has_text(tg, group.id, "X-Amz-Signature")
    assert not has_text(tg, group.id, "standup")
    url = (message.text or "").split("\n")[-1]
    parts = urlsplit(url)
    assert parts.netloc == urlsplit(link_bot.minio.public_url or "").netloc
    assert parts.netloc.startswith("localhost:")
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        assert response.status == 200
        assert await response.read() == audio
