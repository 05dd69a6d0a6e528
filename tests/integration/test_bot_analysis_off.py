"""With no analysis configured the user gets the transcript and one line saying analysis is
off — in their language; a user who chose "no analysis" is not told."""

from __future__ import annotations

import asyncio

import nats

from tests.audio import ogg_opus
from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_settings,
    running_reactor,
    upload,
    wait_row,
)
from tests.services import RunningServices


async def deliveries_done(services: RunningServices) -> None:
    names = services.bot_settings.streams
    nc = await nats.connect(services.bot_settings.nats.url)
    try:
        js = nc.jetstream()
        async with asyncio.timeout(20):
            while True:
                info = await js.consumer_info(names.results_stream, names.bot_durable)
                if info.num_pending == 0 and info.num_ack_pending == 0:
                    return
                await asyncio.sleep(0.1)
    finally:
        await nc.close()


def chat(services: RunningServices, chat_id: int) -> list[str]:
    return [m.text or "" for m in services.telegram.messages_to(chat_id)]


async def test_transcript_with_one_line_saying_analysis_is_off(services: RunningServices) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, analysis_enabled=False)
    ru, en, declined = new_user(services, "ru"), new_user(services, "en"), new_user(services, "en")
    tg = services.telegram
    async with running_reactor(settings):
        await upload(minio, ru, ogg_opus(0.3, frequency=1700.0), interface_language="ru")
        await upload(minio, en, ogg_opus(0.3, frequency=1750.0), interface_language="en")
        key = await upload(
            minio,
            declined,
            ogg_opus(0.3, frequency=1800.0),
            interface_language="en",
            scenario="none",
        )
        await tg.wait_for(lambda: any("выключен" in t for t in chat(services, ru.id)), timeout=20)
        await tg.wait_for(
            lambda: any("switched off" in t for t in chat(services, en.id)), timeout=20
        )
        await tg.wait_for(
            lambda: any("fake transcript" in t for t in chat(services, declined.id)), timeout=20
        )
        row = await wait_row(dsn(services), key)
        await deliveries_done(services)  # the whole delivery, not just its first message
    assert row["analysis_status"] == "none"
    for user in (ru, en):
        texts = chat(services, user.id)
        assert sum("fake transcript" in t for t in texts) == 1
        assert sum("ℹ️" in t for t in texts) == 1
    assert not any("switched off" in t for t in chat(services, declined.id))
