"""Every kind of message a recording can come in, the limits, the status message's progress,
the scenario buttons, caption metadata, file reuse and group chats — in the fake chat."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
from collections.abc import AsyncIterator, Iterator

import nats
import pytest

from bot.progress import STAGE_ORDER
from tests.audio import ogg_opus
from tests.bot_chat import has_text, new_user, press, texts, transcript_count, wait_text
from tests.bot_media import video_mp4
from tests.services import RunningServices
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.contracts.progress import ProgressMessage, Stage
from voxpersona.localstack.fake_telegram import FakeChat
from voxpersona.localstack.fake_telegram_models import message_dict
from voxpersona.storage import MinioObjectStore

STAGE_TEXTS = {
    Stage.DONE: "received and processed",
    Stage.RECEIVED: "Recording received.",
    Stage.UPLOADING: "Storing the recording",
    Stage.QUEUED: "queued for transcription",
    Stage.TRANSCRIBING: "Transcribing",
    Stage.ANALYSING: "Analysing",
}


@pytest.fixture
def slow_transcriber(services: RunningServices) -> Iterator[RunningServices]:
    """Transcription takes a few seconds, so the user can act while it runs."""
    services.openai.set_latency("transcriptions", 3.0)
    yield services
    services.openai.set_latency("transcriptions", 0.0)


@pytest.fixture
async def progress_log(services: RunningServices) -> AsyncIterator[list[ProgressMessage]]:
    """Every progress message the reactor publishes (core NATS, a listener of our own)."""
    seen: list[ProgressMessage] = []
    nc = await nats.connect(services.reactor_settings.nats.url)

    async def on_message(msg: nats.aio.msg.Msg) -> None:
        seen.append(ProgressMessage.model_validate_json(msg.data))

    await nc.subscribe(services.reactor_settings.streams.progress_subject, cb=on_message)
    yield seen
    await nc.close()


async def stored_metadata(services: RunningServices, user_id: int) -> RecordingMetadata:
    store = MinioObjectStore(services.reactor_settings.minio)
    [obj] = await store.list_user_recordings(user_id)
    info = await store.stat(store.audio_bucket, obj.key)
    assert obj.size == info.size
    return RecordingMetadata.from_user_metadata(info.metadata)


def stage_of(text: str) -> Stage:
    return next(stage for stage, fragment in STAGE_TEXTS.items() if fragment in text)


async def test_audio_file_video_note_and_video_are_transcribed(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("en")
    tg.user_sends_audio(
        user, ogg_opus(0.5, frequency=300.0), 1, file_name="call.ogg", mime_type="audio/ogg"
    )
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 1, timeout=20)
    tg.user_sends_video_note(user, video_mp4(1.0, frequency=350.0), duration=1)
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 2, timeout=20)
    tg.user_sends_video(user, video_mp4(1.2, frequency=380.0), duration=1)
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 3, timeout=20)

    store = MinioObjectStore(services.reactor_settings.minio)
    objects = await store.list_user_recordings(user.id)
    types = sorted(
        [(await store.stat(store.audio_bucket, o.key)).content_type or "" for o in objects]
    )
    assert types == ["audio/ogg", "video/mp4", "video/mp4"]


async def test_text_and_stickers_get_an_explanation(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("ru")
    tg.user_sends_text(user, "привет")
    reply = await wait_text(tg, user.id, "Я принимаю")
    assert "видео" in (reply.text or "")


async def test_too_big_for_the_public_bot_api(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("en")
    big = tg.add_file(ogg_opus(0.2), suffix=".mp3", file_size=25 * 1024 * 1024, folder="music")
    tg.user_sends_audio(user, big, 600, file_name="lecture.mp3", mime_type="audio/mpeg")
    reply = await wait_text(tg, user.id, "only lets bots download files up to 20.0 MB")
    assert "25.0 MB" in (reply.text or "")
    assert "local Bot API server" in (reply.text or "")  # what to do about it
    assert not tg.calls("getFile") or all(
        c.params.get("file_id") != big.file_id for c in tg.calls("getFile")
    )


async def test_status_message_is_edited_through_every_stage(
    slow_transcriber: RunningServices, progress_log: list[ProgressMessage]
) -> None:
    services = slow_transcriber
    tg = services.telegram
    user = new_user("en")
    tg.user_sends_voice(user, ogg_opus(0.6, frequency=525.0), duration=1)
    await wait_text(tg, user.id, "fake transcript")
    status = await wait_text(tg, user.id, "✅")
    # One status message, edited (never a second one), stages only moving forward.
    shown = [*status.edits, status.text or ""]
    assert stage_of(shown[0]) is Stage.RECEIVED
    ranks = [STAGE_ORDER.index(stage_of(text)) for text in shown]
    assert ranks == sorted(ranks), shown
    assert sum("Recording received" in text for text in texts(tg, user.id)) == 1
    # The reactor reported transcription (with seconds) and analysis for this very message.
    mine = [p for p in progress_log if p.status_message_id == status.message_id]
    mine = [p for p in mine if p.chat_id == user.id]
    stages = [p.stage for p in mine]
    assert Stage.TRANSCRIBING in stages
    assert Stage.ANALYSING in stages
    assert stages.index(Stage.ANALYSING) > stages.index(Stage.TRANSCRIBING)
    final = [p for p in mine if p.stage is Stage.TRANSCRIBING][-1]
    assert final.fraction == 1.0
    assert (final.chunk, final.chunks) == (1, 1)
    # Edits stayed within Telegram's rate: at least the editor's interval apart.
    edits = [
        c.at
        for c in tg.calls("editMessageText")
        if (c.chat_id, c.message_id) == (user.id, status.message_id)
    ]
    assert all(b - a >= 1.9 for a, b in itertools.pairwise(edits)), tg.describe()


async def test_scenario_buttons_and_caption_travel_with_the_recording(
    slow_transcriber: RunningServices,
) -> None:
    services = slow_transcriber
    tg = services.telegram
    user = new_user("en")
    tg.user_sends_document(
        user,
        ogg_opus(0.5, frequency=610.0),
        file_name="встреча.ogg",
        mime_type="audio/ogg",
        caption="Интервью с Ёлкиной\nобсудили бюджет — «срочно»",
    )
    status = await wait_text(tg, user.id, "Recording received.")
    press(tg, user, status, "Interview")
    await wait_text(tg, user.id, "Interview analysis:", timeout=30)
    meta = await stored_metadata(services, user.id)
    assert meta.title == "Интервью с Ёлкиной"
    assert meta.notes == "обсудили бюджет — «срочно»"
    assert meta.original_name == "встреча.ogg"
    assert meta.status_message_id == status.message_id
    assert not has_text(tg, user.id, "Summary:")  # the default was replaced, not added to


async def test_same_file_again_reuses_the_finished_transcript(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("ru")
    audio = ogg_opus(0.45, frequency=733.0)
    file = tg.add_file(audio, suffix=".oga", folder="voice")
    tg.user_sends_voice(user, file, duration=1)
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 1, timeout=20)
    await wait_text(tg, user.id, "✅")
    digest = hashlib.sha256(audio).hexdigest()
    calls = sum(r.sha256 == digest for r in services.openai.transcription_requests)

    tg.user_sends_voice(user, file, duration=1)  # the same file_unique_id
    await wait_text(tg, user.id, "уже расшифрован")
    await tg.wait_for(lambda: transcript_count(tg, user.id) == 2, timeout=20)
    assert sum(r.sha256 == digest for r in services.openai.transcription_requests) == calls
    store = MinioObjectStore(services.reactor_settings.minio)
    assert len(await store.list_user_recordings(user.id)) == 1  # nothing uploaded again

    # Another user sending the same file gets a transcription of their own (privacy).
    other = new_user("ru")
    tg.user_sends_voice(other, file, duration=1)
    await tg.wait_for(lambda: transcript_count(tg, other.id) == 1, timeout=20)
    assert not has_text(tg, other.id, "уже расшифрован")


async def test_group_chat_transcribes_only_when_asked(services: RunningServices) -> None:
    tg = services.telegram
    user = new_user("en")
    group = FakeChat(id=-(user.id), title="Planning")
    voice = tg.user_sends_voice(user, ogg_opus(0.4, frequency=820.0), duration=1, chat=group)
    tg.user_sends_text(user, "just chatting", chat=group)
    tg.user_sends_text(user, "/help", chat=group)
    await wait_text(tg, group.id, "What I can do")
    assert transcript_count(tg, group.id) == 0  # the voice alone did nothing

    tg.user_sends_text(user, "/transcribe", chat=group)  # not a reply: explained
    await wait_text(tg, group.id, "Reply /transcribe")
    command = message_dict(
        voice["message_id"] + 100,
        group.to_api(),
        user.to_api(),
        text="/transcribe",
        entities=[{"type": "bot_command", "offset": 0, "length": 11}],
        reply_to_message=voice,
    )
    tg.push_update({"message": command})
    await tg.wait_for(lambda: transcript_count(tg, group.id) == 1, timeout=20)
    meta = await stored_metadata(services, user.id)
    assert (meta.chat_id, meta.message_id) == (group.id, voice["message_id"])
    await asyncio.sleep(0)  # let the delivery's bookkeeping finish before the next test
    assert json.dumps(meta.model_dump())
