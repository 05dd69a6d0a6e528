"""What the user sees for long transcripts, non-audio files and failed transcriptions."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.splitting import TELEGRAM_MESSAGE_LIMIT
from tests.audio import ogg_opus
from tests.services import RunningServices
from voxpersona.localstack.fake_openai import (
    FakeSegment,
    FakeTranscript,
    TranscriptionRequest,
    default_transcriber,
)
from voxpersona.localstack.fake_telegram import FakeUser

_user_ids = itertools.count(710_000_001)
SENTENCE = "Мы обсудили сроки проекта и договорились вернуться к бюджету в четверг. "


@pytest.fixture
def transcriber_reset(services: RunningServices) -> Iterator[RunningServices]:
    services.openai.reset()
    yield services
    services.openai.transcriber = default_transcriber
    services.openai.reset()


def chat_texts(services: RunningServices, chat_id: int) -> list[str]:
    return [m.text or "" for m in services.telegram.messages_to(chat_id)]


async def test_long_transcript_is_split_and_attached_as_txt(
    transcriber_reset: RunningServices,
) -> None:
    services = transcriber_reset
    long_text = SENTENCE * 400  # ~29k characters: far beyond three messages

    def long_transcript(path: Path, request: TranscriptionRequest) -> FakeTranscript:
        return FakeTranscript(
            text=long_text,
            language="russian",
            duration=3600.0,
            segments=[FakeSegment(0.0, 3600.0, long_text)],
        )

    services.openai.transcriber = long_transcript
    user = FakeUser(id=next(_user_ids), language_code="ru")
    services.telegram.user_sends_voice(user, ogg_opus(0.3), duration=1)
    await services.telegram.wait_for(
        lambda: any(m.document for m in services.telegram.messages_to(user.id)), timeout=20
    )
    messages = services.telegram.messages_to(user.id)
    previews = [m.text for m in messages if m.text and "Расшифровка" in m.text]
    assert len(previews) == 1
    assert len(previews[0]) <= TELEGRAM_MESSAGE_LIMIT
    [document] = [m for m in messages if m.document]
    assert document.filename is not None
    assert document.filename.endswith(".txt")
    assert document.document is not None
    assert document.document.decode("utf-8") == long_text.strip()


async def test_medium_transcript_arrives_as_several_messages(
    transcriber_reset: RunningServices,
) -> None:
    services = transcriber_reset
    text = SENTENCE * 90  # ~6.5k characters: two messages, no document

    services.openai.transcriber = lambda path, request: FakeTranscript(
        text=text, language="russian", duration=60.0
    )
    user = FakeUser(id=next(_user_ids), language_code="ru")
    services.telegram.user_sends_voice(user, ogg_opus(0.3, frequency=550.0), duration=1)
    await services.telegram.wait_for(
        lambda: sum("Мы обсудили" in t for t in chat_texts(services, user.id)) >= 2, timeout=20
    )
    parts = [t for t in chat_texts(services, user.id) if "Мы обсудили" in t]
    assert all(len(part) <= TELEGRAM_MESSAGE_LIMIT for part in parts)
    joined = " ".join(parts)
    assert joined.split()[2:] == text.split()  # header words first, then the whole text
    assert not any(m.document for m in services.telegram.messages_to(user.id))


async def test_document_that_is_not_audio_gets_a_polite_answer(services: RunningServices) -> None:
    user = FakeUser(id=next(_user_ids), language_code="en")
    services.telegram.user_sends_document(
        user,
        b"just some notes, not sound at all" * 10,
        file_name="meeting.ogg",
        mime_type="audio/ogg",
    )
    # The status message comes first; it is edited into the explanation (no second message).
    await services.telegram.wait_for(
        lambda: any("doesn't look like audio" in t for t in chat_texts(services, user.id)),
        timeout=10,
    )
    [reply] = chat_texts(services, user.id)
    assert "doesn't look like audio" in reply


async def test_audio_document_is_checked_by_content_and_accepted(
    services: RunningServices,
) -> None:
    user = FakeUser(id=next(_user_ids), language_code="en")
    services.telegram.user_sends_document(
        user,
        ogg_opus(0.4, frequency=660.0),
        file_name="notes.bin",
        mime_type="application/octet-stream",
    )
    await services.telegram.wait_for(
        lambda: any("fake transcript" in t for t in chat_texts(services, user.id)), timeout=20
    )
    assert any("Recording received" in t for t in chat_texts(services, user.id))


async def test_transcriber_rejecting_the_file_is_explained_in_users_language(
    transcriber_reset: RunningServices,
) -> None:
    services = transcriber_reset
    services.openai.fail_next("transcriptions", 400, message="Audio file might be corrupted")
    user = FakeUser(id=next(_user_ids), language_code="ru")
    services.telegram.user_sends_voice(user, ogg_opus(0.3, frequency=770.0), duration=1)
    await services.telegram.wait_for(
        lambda: any("Не удалось расшифровать" in t for t in chat_texts(services, user.id)),
        timeout=20,
    )
    failure = next(t for t in chat_texts(services, user.id) if "Не удалось" in t)
    assert "сервис распознавания не принял файл" in failure


async def test_transient_transcriber_errors_are_retried_to_success(
    transcriber_reset: RunningServices,
) -> None:
    services = transcriber_reset
    # The SDK retries twice itself; four 500s force a JetStream redelivery as well.
    services.openai.fail_next("transcriptions", 500, times=4)
    user = FakeUser(id=next(_user_ids), language_code="en")
    services.telegram.user_sends_voice(user, ogg_opus(0.3, frequency=880.0), duration=1)
    await services.telegram.wait_for(
        lambda: any("fake transcript" in t for t in chat_texts(services, user.id)), timeout=40
    )
    statuses = [
        status for endpoint, status in services.openai.request_log if endpoint == "transcriptions"
    ]
    assert statuses.count(500) == 4
    assert statuses[-1] == 200
