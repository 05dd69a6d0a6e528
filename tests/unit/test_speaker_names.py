"""Speakers in the bot: the chat transcript as turns from the stored read model, naming a
speaker from a reply, and exports that follow the names (pure)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from bot.exports import ExportFormat, export
from bot.speakers import parse_naming, prompt_recording, with_turns
from bot.views import transcript_document
from voxpersona.recordings.queries import StoredTranscript, TranscriptRow, speaker_names

SEGMENTS = [
    {"start": 0.0, "end": 1.5, "text": "Как вас зовут?", "speaker": 1},
    {"start": 1.7, "end": 2.5, "text": "Анна.", "speaker": 2},
    {"start": 2.6, "end": 4.0, "text": "Я дизайнер.", "speaker": 2},
]


def test_chat_transcript_comes_as_turns_with_the_users_names() -> None:
    stored = StoredTranscript("Как вас зовут? Анна. Я дизайнер.", None, segments=SEGMENTS)
    assert (
        with_turns(stored, "ru").text == "Спикер 1: Как вас зовут?\n\nСпикер 2: Анна. Я дизайнер."
    )
    named = StoredTranscript(stored.text, None, segments=SEGMENTS, speaker_names={2: "Анна"})
    assert with_turns(named, "en").text == "Speaker 1: Как вас зовут?\n\nАнна: Анна. Я дизайнер."


def test_one_voice_or_no_diarization_keeps_the_plain_text() -> None:
    one = [{**s, "speaker": 1} for s in SEGMENTS]
    stored = StoredTranscript("plain text", None, segments=one)
    assert with_turns(stored, "ru") is stored
    bare = StoredTranscript("plain text", None, segments=[{"start": 0, "end": 1, "text": "x"}])
    assert with_turns(bare, "ru").text == "plain text"


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        ("2 Анна", (2, "Анна")),
        ("Speaker 2 = Анна Петрова", (2, "Анна Петрова")),
        ("Спикер 1: Иван", (1, "Иван")),
        ("3", (3, "")),
        ("2 " + "я" * 80, (2, "я" * 40)),
        ("Анна", None),
        ("0 Никто", None),
    ],
)
def test_a_reply_names_one_speaker(reply: str, expected: tuple[int, str] | None) -> None:
    assert parse_naming(reply) == expected


def test_the_prompt_carries_its_recording() -> None:
    rid = uuid.uuid4()
    assert prompt_recording(f"👥 Speakers…\nReply…\n🔖 {rid.hex}") == rid
    assert prompt_recording("some other message") is None
    assert prompt_recording(None) is None


def test_exports_follow_the_stored_names() -> None:
    names = speaker_names('{"2": "Анна", "x": "ignored"}')
    assert names == {2: "Анна"}
    row = TranscriptRow(
        "Как вас зовут? Анна. Я дизайнер.",
        SEGMENTS,
        "ru",
        "Интервью",
        datetime(2026, 1, 2, tzinfo=UTC),
        speaker_names=names,
    )
    document = transcript_document(row, "ru")
    txt = export(document, ExportFormat.TXT).decode()
    vtt = export(document, ExportFormat.VTT).decode()
    assert "Спикер 1: Как вас зовут?" in txt
    assert "Анна: Анна. Я дизайнер." in txt
    assert "<v Анна>Я дизайнер." in vtt
    assert "<v Спикер 1>Как вас зовут?" in vtt
