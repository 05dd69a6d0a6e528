"""Transcripts with speakers: chat turns, names from the recording card, every export format."""

from __future__ import annotations

import io

import docx

from bot.exports import ExportFormat, TranscriptDocument, export
from bot.speakers import SpokenSegment, chat_transcript, cues, speaker_name, turns

SEGMENTS = (
    SpokenSegment(0.0, 2.0, "Добрый день.", 1),
    SpokenSegment(2.0, 4.5, "Расскажите о себе.", 1),
    SpokenSegment(5.0, 9.0, "Я инженер данных.", 2),
    SpokenSegment(9.0, 9.5, "  ", 2),
    SpokenSegment(10.0, 12.0, "Спасибо.", 1),
)


def document(names: dict[int, str], language: str = "ru") -> TranscriptDocument:
    return TranscriptDocument(
        title="Интервью",
        text=" ".join(s.text for s in SEGMENTS),
        language=language,
        cues=tuple(cues(SEGMENTS, names, language)),
    )


def test_default_names_follow_the_language_and_user_names_win() -> None:
    assert speaker_name(2, {}, "ru") == "Спикер 2"
    assert speaker_name(2, {}, "en") == "Speaker 2"
    assert speaker_name(2, {}, "de") == "Speaker 2"
    assert speaker_name(2, {2: " Анна "}, "ru") == "Анна"
    assert speaker_name(1, {2: "Анна", 1: "  "}, "en") == "Speaker 1"


def test_chat_turns_merge_consecutive_segments_of_one_speaker() -> None:
    assert chat_transcript(SEGMENTS, {}, "ru") == (
        "Спикер 1: Добрый день. Расскажите о себе.\n\n"
        "Спикер 2: Я инженер данных.\n\n"
        "Спикер 1: Спасибо."
    )
    assert chat_transcript(SEGMENTS, {2: "Анна"}, "en").splitlines()[2] == "Анна: Я инженер данных."
    merged = turns(SEGMENTS, {}, "en")
    assert [(t.start, t.end, t.speaker) for t in merged] == [
        (0.0, 4.5, "Speaker 1"),
        (5.0, 9.0, "Speaker 2"),  # the empty segment after it is no speech
        (10.0, 12.0, "Speaker 1"),
    ]


def test_one_voice_or_no_diarization_shows_no_labels() -> None:
    one = [SpokenSegment(0, 1, "Привет.", 1), SpokenSegment(1, 2, "Это заметка.", 1)]
    assert chat_transcript(one, {}, "ru") == "Привет. Это заметка."
    none = [SpokenSegment(0, 1, "Hello.")]
    assert chat_transcript(none, {}, "en") == "Hello."
    assert all(c.speaker is None for c in cues(one, {1: "Анна"}, "ru"))


def test_txt_reads_as_turns_and_renaming_changes_it() -> None:
    assert export(document({}), ExportFormat.TXT).decode() == (
        "Спикер 1: Добрый день. Расскажите о себе.\n\nСпикер 2: Я инженер данных.\n\n"
        "Спикер 1: Спасибо.\n"
    )
    renamed = export(document({2: "Анна"}), ExportFormat.TXT).decode()
    assert "Анна: Я инженер данных." in renamed
    assert "Спикер 2" not in renamed


def test_markdown_and_srt_prefix_the_speaker() -> None:
    markdown = export(document({1: "Иван"}), ExportFormat.MD).decode()
    assert "**[00:00:05]** **Спикер 2:** Я инженер данных." in markdown
    assert "**[00:00:00]** **Иван:** Добрый день." in markdown
    srt = export(document({}), ExportFormat.SRT).decode()
    assert "3\n00:00:05,000 --> 00:00:09,000\nСпикер 2: Я инженер данных.\n" in srt


def test_vtt_uses_voice_tags_with_escaped_names() -> None:
    vtt = export(document({2: "Анна <HR> & co"}), ExportFormat.VTT).decode()
    assert "00:00:00.000 --> 00:00:02.000\n<v Спикер 1>Добрый день.\n" in vtt
    assert "<v Анна &lt;HR&gt; &amp; co>Я инженер данных.\n" in vtt
    plain = TranscriptDocument(title="t", text="x", cues=tuple(cues(SEGMENTS[:2], {}, "ru")))
    assert "<v " not in export(plain, ExportFormat.VTT).decode()


def test_docx_names_the_speaker_of_each_paragraph() -> None:
    data = export(document({2: "Анна"}, language="en"), ExportFormat.DOCX)
    paragraphs = [p.text for p in docx.Document(io.BytesIO(data)).paragraphs]
    assert "[00:00:05] Анна: Я инженер данных." in paragraphs
    assert "[00:00:00] Speaker 1: Добрый день." in paragraphs
