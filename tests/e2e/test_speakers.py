"""Who said what, end to end: a two-speaker recording sent to the bot comes back as turns;
naming a speaker on the recording card changes the TXT and VTT exports without re-running
anything."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.bot_chat import new_user, press, wait_text
from tests.conversations import TurnTranscriber, conversation, encode_wav
from tests.services import RunningServices
from voxpersona.localstack.fake_telegram import BotMessage, FakeTelegram, FakeUser
from voxpersona.localstack.fake_telegram_models import message_dict

pytestmark = pytest.mark.timeout(240)

TURNS = [
    ("ru_female", "ru_female_0"),
    ("ru_male", "ru_male_0"),
    ("ru_female", "ru_female_1"),
    ("ru_male", "ru_male_1"),
    ("ru_female", "ru_female_2"),
]


@pytest.fixture
def turns_transcriber(services: RunningServices) -> Iterator[TurnTranscriber]:
    """The session's fake OpenAI answers with one segment per turn for this test's audio."""
    fake = services.openai
    previous = fake.transcriber
    transcriber = TurnTranscriber()
    fake.transcriber = transcriber
    yield transcriber
    fake.transcriber = previous


async def exports(tg: FakeTelegram, user: FakeUser, card: BotMessage) -> dict[str, str]:
    """Press TXT and VTT on the card; the two files' texts by extension."""
    sent = len(tg.messages_to(user.id))
    press(tg, user, card, "TXT")
    press(tg, user, card, "VTT")

    def files() -> dict[str, str]:
        # Other messages (the result's analysis) may still be arriving in this chat.
        return {
            m.filename.rsplit(".", 1)[-1]: (m.document or b"").decode()
            for m in tg.messages_to(user.id)[sent:]
            if m.filename and m.document is not None
        }

    await tg.wait_for(lambda: {"txt", "vtt"} <= files().keys(), timeout=20)
    return files()


async def test_two_speakers_come_back_as_turns_and_names_reach_the_exports(
    services: RunningServices, turns_transcriber: TurnTranscriber
) -> None:
    tg = services.telegram
    user = new_user("ru")
    samples, reference = conversation(TURNS)
    assert [t.speaker for t in reference] == [1, 2, 1, 2, 1]
    audio = turns_transcriber.expect(encode_wav(samples), reference)
    tg.user_sends_document(user, audio, file_name="интервью.wav", mime_type="audio/wav")

    # The chat transcript, as turns.
    transcript = await wait_text(tg, user.id, "Спикер 1: turn 0", timeout=120)
    assert (
        "Спикер 1: turn 0\n\nСпикер 2: turn 1\n\nСпикер 1: turn 2\n\nСпикер 2: turn 3"
        "\n\nСпикер 1: turn 4"
    ) in (transcript.text or "")

    # The card, its exports before any name.
    tg.user_sends_text(user, "/files")
    card = await wait_text(tg, user.id, "Ваши записи")
    edits = len(card.edits)
    press(tg, user, card, "интервью.wav")
    await tg.wait_for(lambda: len(card.edits) > edits, timeout=10)
    before = await exports(tg, user, card)
    assert "Спикер 2: turn 1" in before["txt"]
    assert "<v Спикер 2>turn 1" in before["vtt"]

    # Name speaker 2: the card's button asks for a reply, the reply names them.
    press(tg, user, card, "Имена спикеров")
    prompt = await wait_text(tg, user.id, "🔖")
    assert "1. Спикер 1" in (prompt.text or "")
    assert "2. Спикер 2" in (prompt.text or "")
    reply = message_dict(
        prompt.message_id + 1000,
        user.private_chat(),
        user.to_api(),
        text="2 Анна",
        reply_to_message=prompt.payload,
    )
    tg.push_update({"message": reply})
    await wait_text(tg, user.id, "Готово: Спикер 2 — «Анна»")

    after = await exports(tg, user, card)
    assert "Анна: turn 1 turn 3" not in after["txt"]  # turns stay apart: speaker 1 between
    assert "Анна: turn 1" in after["txt"]
    assert "Спикер 1: turn 0" in after["txt"]
    assert "Спикер 2" not in after["txt"]
    assert "<v Анна>turn 1" in after["vtt"]
    assert "<v Анна>turn 3" in after["vtt"]
    assert "Спикер 2" not in after["vtt"]

    # A number alone brings the default label back; a speaker the recording lacks is refused.
    for text in ("2", "7 Никто"):
        tg.push_update(
            {
                "message": message_dict(
                    prompt.message_id + 1001 + len(text),
                    user.private_chat(),
                    user.to_api(),
                    text=text,
                    reply_to_message=prompt.payload,
                )
            }
        )
    await wait_text(tg, user.id, "Готово: снова «Спикер 2»")
    await wait_text(tg, user.id, "В этой записи нет спикера 7")
    again = await exports(tg, user, card)
    assert "Спикер 2: turn 1" in again["txt"]
    assert "Анна" not in again["vtt"]
