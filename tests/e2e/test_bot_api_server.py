"""The bot against what the real Bot API server does: a --local server's files read from disk,
groups that see nothing of a user's library, status edits under flood control, the audio quota
of documents, and command menus for every client language."""

from __future__ import annotations

import asyncio
import hashlib
import io
import shutil
import tempfile
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import numpy as np
import pytest
import pytest_asyncio

from bot.app import run_bot
from reactor.app import run_reactor
from tests.audio import encode_pcm, ogg_opus, tone_pcm
from tests.bot_chat import (
    answers,
    button_data,
    new_user,
    texts,
    transcript_count,
    wait_text,
)
from tests.services import TELEGRAM_TEST_TOKEN, RunningServices, make_reactor_settings
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.fake_telegram import FakeChat, FakeTelegram
from voxpersona.localstack.fake_telegram_models import message_dict
from voxpersona.localstack.stack import LocalStack
from voxpersona.settings import BotSettings, TelegramSettings, VoxSettings
from voxpersona.storage import MinioObjectStore

MB = 1024 * 1024


def wav(seconds: float, *, rate: int, channels: int, width: int) -> bytes:
    """Ten seconds of tone, one of silence, repeated: real audio with pauses to cut on."""
    t = np.arange(rate * 10) / rate
    if width == 1:
        tone = (128 + 60 * np.sin(2 * np.pi * 440 * t)).astype(np.uint8)
        pause = np.full(rate, 128, dtype=np.uint8)
    else:
        tone = (9000 * np.sin(2 * np.pi * 440 * t)).astype("<i2")
        pause = np.zeros(rate, dtype="<i2")
    block = np.concatenate([tone, pause])
    frames = np.resize(block, int(seconds * rate))
    if channels == 2:
        frames = np.repeat(frames, 2)
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(frames.tobytes())
    return buffer.getvalue()


# ------------------------------------------------------------------ a --local Bot API server


@dataclass
class LocalModeServices:
    telegram: FakeTelegram
    files_dir: Path
    stack: LocalStack


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def local_mode(fake_openai: FakeOpenAI) -> AsyncIterator[LocalModeServices]:
    """Bot and reactor of their own, the bot behind a fake Bot API server in --local mode
    whose files live in a folder the bot reads (as the shared volume in docker compose)."""
    files_dir = Path(tempfile.mkdtemp(prefix="vp-local-bot-api-"))
    async with (
        LocalStack() as stack,
        FakeTelegram(local_mode=True, files_dir=files_dir) as telegram,
    ):
        reactor_settings = make_reactor_settings(stack, fake_openai)
        bot_settings = BotSettings(
            telegram=TelegramSettings(
                bot_token=TELEGRAM_TEST_TOKEN,  # type: ignore[arg-type]
                api_url=telegram.base_url,
                local_api=True,
                local_files_dir=files_dir,
            ),
            minio=stack.minio_settings(),
            nats=stack.nats_settings(),
            database=stack.database_settings(),
            vox=VoxSettings(spool_dir=Path(tempfile.mkdtemp(prefix="vp-spool-"))),
        )
        stop = asyncio.Event()
        tasks = [
            asyncio.create_task(run_reactor(reactor_settings, stop)),
            asyncio.create_task(run_bot(bot_settings, stop)),
        ]
        try:
            yield LocalModeServices(telegram, files_dir, stack)
        finally:
            stop.set()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            shutil.rmtree(files_dir, ignore_errors=True)
        assert not [r for r in results if isinstance(r, BaseException)], results


async def test_a_30_mb_recording_through_a_local_bot_api_server(
    local_mode: LocalModeServices,
) -> None:
    tg = local_mode.telegram
    tg.download_bytes_per_second = 100 * MB  # getFile waits for the server's own download
    user = new_user("en")
    audio = await asyncio.to_thread(wav, 180.0, rate=44100, channels=2, width=2)
    assert len(audio) > 30 * 1000 * 1000  # over the public Bot API's 20 MB
    tg.user_sends_document(user, audio, file_name="meeting.wav", mime_type="audio/wav")

    await tg.wait_for(lambda: transcript_count(tg, user.id) >= 1, timeout=120)
    await wait_text(tg, user.id, "✅", timeout=30)
    # The bot read the file from the server's folder (there is no /file/ route to use)...
    [stored_file] = list(local_mode.files_dir.rglob("file_*.wav"))
    assert stored_file.stat().st_size == len(audio)
    # ...and MinIO holds exactly those bytes.
    store = MinioObjectStore(local_mode.stack.minio_settings())
    [obj] = await store.list_user_recordings(user.id)
    body = b"".join([chunk async for chunk in store.iter_object(store.audio_bucket, obj.key)])
    assert hashlib.sha256(body).digest() == hashlib.sha256(audio).digest()
    assert not any("20.0 MB" in text for text in texts(tg, user.id))


# ------------------------------------------------------------------ groups


async def test_files_search_and_card_buttons_in_a_group_reveal_nothing(
    services: RunningServices,
) -> None:
    tg = services.telegram
    user = new_user("en")
    tg.user_sends_document(
        user,
        ogg_opus(0.4, frequency=905.0),
        file_name="secret.ogg",
        mime_type="audio/ogg",
        caption="Salary talk with Boris",
    )
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 1, timeout=30)
    tg.user_sends_text(user, "/files")
    listing = await wait_text(tg, user.id, "Your recordings")
    card_button = button_data(listing, "Salary talk")

    group = FakeChat(id=-(user.id), title="Team")
    for command in ("/files", "/search salary", "/delete_all", "/invite 3", "/lang"):
        tg.user_sends_text(user, command, chat=group)
    tg.user_sends_text(user, "/files@some_other_bot", chat=group)  # not for this bot
    await tg.wait_for(lambda: len(tg.messages_to(group.id)) >= 5, timeout=20)
    pointer = tg.messages_to(group.id)[0]
    tg.user_presses_button(user, pointer, card_button)  # a library button, in the group
    await tg.wait_for(lambda: "private chat" in " ".join(answers(tg)), timeout=20)
    await asyncio.sleep(1.0)  # anything more the bot would post arrives by now

    in_group = texts(tg, group.id)
    assert len(in_group) == 5
    assert all("only in a private chat with me: @voxpersona_test_bot" in t for t in in_group)
    assert not any("Salary" in t or "secret" in t or "fake transcript" in t for t in in_group)
    assert not [c for c in tg.calls("sendDocument") if c.chat_id == group.id]


# ------------------------------------------------------------------ flood control


@pytest.fixture
def slow_transcriber(services: RunningServices) -> Iterator[RunningServices]:
    services.openai.set_latency("transcriptions", 2.0)
    yield services
    services.openai.set_latency("transcriptions", 0.0)


async def test_a_burst_of_progress_edits_under_429s_ends_on_the_final_stage(
    slow_transcriber: RunningServices,
) -> None:
    tg = slow_transcriber.telegram
    user = new_user("en")
    tg.inject_error("editMessageText", status=429, retry_after=1, times=3, chat_id=user.id)
    tg.user_sends_voice(user, ogg_opus(0.5, frequency=955.0), duration=1)
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 1, timeout=30)
    status = await wait_text(tg, user.id, "Recording received and processed", timeout=30)
    assert status.text == "✅ Recording received and processed."
    flood_waits = [
        c
        for c in tg.rejected
        if c.chat_id == user.id and (c.error or "").startswith("Too Many Requests")
    ]
    assert flood_waits  # the status edits did run into Telegram's flood control


# ------------------------------------------------------------------ quota of documents


async def usage_row(services: RunningServices, user_id: int) -> asyncpg.Record | None:
    conn = await asyncpg.connect(services.reactor_settings.database.url.get_secret_value())
    try:
        row: asyncpg.Record | None = await conn.fetchrow(
            "SELECT recordings, audio_seconds FROM bot_usage WHERE user_id = $1", user_id
        )
        return row
    finally:
        await conn.close()


async def test_a_40_minute_wav_document_counts_40_minutes(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("en")
    audio = await asyncio.to_thread(wav, 40 * 60, rate=8000, channels=1, width=1)
    assert len(audio) < 20 * MB  # fits the public Bot API's download limit
    tg.user_sends_document(user, audio, file_name="lecture.wav", mime_type="audio/x-wav")
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 1, timeout=120)
    charged = await usage_row(services, user.id)
    assert charged is not None
    assert charged["audio_seconds"] == pytest.approx(2400, abs=1)  # estimated from the header

    # The next recording's quota check settles the real duration the reactor measured.
    tg.user_sends_voice(user, ogg_opus(0.3, frequency=965.0), duration=1)
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 2, timeout=60)
    await asyncio.sleep(0.5)  # its upload's bookkeeping follows the quota check
    settled = await usage_row(services, user.id)
    assert settled is not None
    assert settled["recordings"] == 2
    assert settled["audio_seconds"] == pytest.approx(2400 + 1, abs=2)


# ------------------------------------------------------------------ menus


async def test_a_user_with_a_spanish_client_sees_a_command_menu(services: RunningServices) -> None:
    tg = services.telegram
    await tg.wait_for(lambda: bool(tg.menus.shown_to("es")), timeout=20)
    menu = tg.menus.shown_to("es")
    assert {"files", "search", "help"} <= {c["command"] for c in menu}
    assert menu[0]["description"] == "My recordings"
    user = new_user("es", name="Lucía")
    tg.user_sends_text(user, "/help")
    await wait_text(tg, user.id, "What I can do")  # and the bot answers her in English
    group_menu = tg.menus.shown_to("es", chat_type="group")
    assert [c["command"] for c in group_menu] == ["transcribe", "help"]


async def test_transcribe_asked_just_before_a_group_upgrade_answers_in_the_supergroup(
    services: RunningServices,
) -> None:
    tg = services.telegram
    user = new_user("en")
    group = FakeChat(id=-(user.id), title="Growing team")
    voice = tg.user_sends_voice(user, ogg_opus(0.4, frequency=985.0), duration=1, chat=group)
    command = message_dict(
        voice["message_id"] + 1,
        group.to_api(),
        user.to_api(),
        text="/transcribe",
        entities=[{"type": "bot_command", "offset": 0, "length": 11}],
        reply_to_message=voice,
    )
    tg.push_update({"message": command})
    supergroup = tg.upgrade_group(group)  # before the bot gets to answer

    await tg.wait_for(lambda: transcript_count(tg, supergroup.id) == 1, timeout=30)
    await wait_text(tg, supergroup.id, "✅", timeout=30)
    assert transcript_count(tg, group.id) == 0
    assert any("upgraded to a supergroup" in (c.error or "") for c in tg.rejected)


async def test_voice_messages_in_mp3_and_m4a_are_stored_as_what_they_are(
    services: RunningServices,
) -> None:
    tg = services.telegram
    user = new_user("en")
    pcm = tone_pcm(0.5, rate=44100, frequency=1005.0)
    mp3 = encode_pcm(pcm, container="mp3", codec="libmp3lame", rate=44100)
    m4a = encode_pcm(tone_pcm(0.5, frequency=1015.0), container="ipod", codec="aac")
    # sendVoice accepts OGG/Opus, MP3 and M4A: a voice message is not always OGG.
    tg.user_sends_voice(user, mp3, duration=1, mime_type="audio/mpeg")
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 1, timeout=30)
    tg.user_sends_voice(user, m4a, duration=1, mime_type="audio/mp4")
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 2, timeout=30)

    store = MinioObjectStore(services.reactor_settings.minio)
    objects = await store.list_user_recordings(user.id)
    stored = sorted(
        [
            (o.key.rsplit(".", 1)[-1], (await store.stat(store.audio_bucket, o.key)).content_type)
            for o in objects
        ]
    )
    assert stored == [("m4a", "audio/mp4"), ("mp3", "audio/mpeg")]


async def test_a_document_longer_than_the_quota_left_is_refused_before_it_is_stored(
    services: RunningServices,
) -> None:
    tg = services.telegram
    user = new_user("en")
    # 10 MB at 100 bytes a second: its header says 27 hours, more than the 600 minutes a day.
    audio = await asyncio.to_thread(wav, 10 * 1000 * 1000 / 100, rate=100, channels=1, width=1)
    tg.user_sends_document(user, audio, file_name="marathon.wav", mime_type="audio/wav")
    status = await wait_text(tg, user.id, "longer than what is left of today's limit", timeout=30)
    assert "(600 min)" in (status.text or "")
    store = MinioObjectStore(services.reactor_settings.minio)
    assert await store.list_user_recordings(user.id) == []
    assert await usage_row(services, user.id) is None  # nothing charged


async def test_delete_all_answers_the_button_first_and_reports_after(
    services: RunningServices,
) -> None:
    tg = services.telegram
    user = new_user("en")
    tg.user_sends_voice(user, ogg_opus(0.3, frequency=1025.0), duration=1)
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 1, timeout=30)
    await wait_text(tg, user.id, "✅", timeout=30)
    tg.user_sends_text(user, "/delete_all")
    confirm = await wait_text(tg, user.id, "Delete ALL your recordings")
    query = tg.user_presses_button(user, confirm, button_data(confirm, "Yes, delete everything"))
    report = await wait_text(tg, user.id, "Recordings deleted: 1", timeout=30)

    [answer] = [
        c
        for c in tg.calls("answerCallbackQuery")
        if c.params.get("callback_query_id") == query["id"]
    ]
    assert answer.params.get("text") == "🗑 Deleting…"
    [edit] = [
        c
        for c in tg.calls("editMessageText")
        if c.message_id == report.message_id and "Recordings deleted" in (c.text or "")
    ]
    assert answer.at <= edit.at  # the query was answered before the work, not after
