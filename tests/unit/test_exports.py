from __future__ import annotations

import io
from datetime import datetime

import docx
import pytest

from bot.exports import Cue, ExportFormat, TranscriptDocument, export, timestamp

DOC = TranscriptDocument(
    title="Интервью с клиентом",
    text="Добрый день. Расскажите о проекте.",
    created_at=datetime(2026, 11, 24, 10, 30),
    language="ru",
    cues=(
        Cue(3.5, 5.25, "Расскажите о проекте."),
        Cue(0.0, 3.5, "Добрый день."),
        Cue(5.25, 6.0, "  "),
    ),
)


def test_timestamps() -> None:
    assert timestamp(0, separator=",") == "00:00:00,000"
    assert timestamp(3725.5, separator=",") == "01:02:05,500"
    assert timestamp(59.9996, separator=".") == "00:01:00.000"


def test_srt_is_numbered_ordered_and_skips_empty_cues() -> None:
    assert export(DOC, ExportFormat.SRT).decode() == (
        "1\n00:00:00,000 --> 00:00:03,500\nДобрый день.\n\n"
        "2\n00:00:03,500 --> 00:00:05,250\nРасскажите о проекте.\n"
    )


def test_vtt_has_header_and_dot_timestamps() -> None:
    text = export(DOC, ExportFormat.VTT).decode()
    assert text.startswith("WEBVTT\n\n00:00:00.000 --> 00:00:03.500\nДобрый день.\n")
    assert "00:00:03.500 --> 00:00:05.250\nРасскажите о проекте." in text


def test_txt_and_markdown() -> None:
    assert export(DOC, ExportFormat.TXT).decode() == DOC.text + "\n"
    markdown = export(DOC, ExportFormat.MD).decode()
    assert markdown.startswith("# Интервью с клиентом\n\n*2026-11-24 10:30*")
    assert "**[00:00:03]** Расскажите о проекте." in markdown


def test_docx_opens_and_holds_the_text() -> None:
    document = docx.Document(io.BytesIO(export(DOC, ExportFormat.DOCX)))
    text = "\n".join(p.text for p in document.paragraphs)
    assert "Интервью с клиентом" in text
    assert "[00:00:00] Добрый день." in text


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_transcript_without_segments_still_exports(fmt: ExportFormat) -> None:
    plain = TranscriptDocument(title="x", text="Только текст.")
    assert "Только текст." in (
        "\n".join(p.text for p in docx.Document(io.BytesIO(export(plain, fmt))).paragraphs)
        if fmt is ExportFormat.DOCX
        else export(plain, fmt).decode()
    )
