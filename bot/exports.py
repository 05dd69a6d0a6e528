"""Transcript exports: TXT, Markdown, SRT and WebVTT (from the segments), and DOCX.

Pure functions from a :class:`TranscriptDocument` to bytes; the bot sends them as files.
Cues may carry a speaker's display name (``bot.speakers`` fills it when diarization found more
than one voice): TXT and DOCX then read as turns, Markdown and SRT prefix the name, WebVTT uses
``<v Name>`` voice tags.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from docx import Document


class ExportFormat(StrEnum):
    TXT = "txt"
    MD = "md"
    SRT = "srt"
    VTT = "vtt"
    DOCX = "docx"


@dataclass(frozen=True, slots=True)
class Cue:
    start: float
    end: float
    text: str
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class TranscriptDocument:
    title: str
    text: str
    created_at: datetime | None = None
    language: str | None = None
    cues: Sequence[Cue] = field(default_factory=tuple)


MEDIA_TYPES = {
    ExportFormat.TXT: "text/plain; charset=utf-8",
    ExportFormat.MD: "text/markdown; charset=utf-8",
    ExportFormat.SRT: "application/x-subrip",
    ExportFormat.VTT: "text/vtt; charset=utf-8",
    ExportFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def timestamp(seconds: float, *, separator: str) -> str:
    """``3725.5`` → ``01:02:05,500`` (SRT) or ``01:02:05.500`` (VTT)."""
    millis = max(0, round(seconds * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    secs, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def _cues(document: TranscriptDocument) -> list[Cue]:
    """Segments with text, in time order; a transcript without segments is one cue."""
    cues = [c for c in sorted(document.cues, key=lambda c: (c.start, c.end)) if c.text.strip()]
    return cues or ([Cue(0.0, 0.0, document.text)] if document.text.strip() else [])


def _has_speakers(document: TranscriptDocument) -> bool:
    return any(cue.speaker for cue in document.cues)


def _named(cue: Cue) -> str:
    return f"{cue.speaker}: {cue.text.strip()}" if cue.speaker else cue.text.strip()


def _merged_turns(document: TranscriptDocument) -> list[Cue]:
    """Consecutive cues of one speaker as one."""
    merged: list[Cue] = []
    for cue in _cues(document):
        if merged and merged[-1].speaker == cue.speaker:
            last = merged[-1]
            merged[-1] = Cue(
                last.start, cue.end, f"{last.text.strip()} {cue.text.strip()}", cue.speaker
            )
        else:
            merged.append(cue)
    return merged


def to_txt(document: TranscriptDocument) -> bytes:
    if _has_speakers(document):
        return ("\n\n".join(_named(turn) for turn in _merged_turns(document)) + "\n").encode()
    return (document.text.strip() + "\n").encode("utf-8")


def to_markdown(document: TranscriptDocument) -> bytes:
    lines = [f"# {document.title}", ""]
    if document.created_at is not None:
        lines += [f"*{document.created_at:%Y-%m-%d %H:%M}*", ""]
    if document.cues:
        for cue in _cues(document):
            stamp = f"**[{timestamp(cue.start, separator='.')[:8]}]**"
            name = f" **{cue.speaker}:**" if cue.speaker else ""
            lines.append(f"{stamp}{name} {cue.text.strip()}")
            lines.append("")
    else:
        lines += [document.text.strip(), ""]
    return "\n".join(lines).encode("utf-8")


def to_srt(document: TranscriptDocument) -> bytes:
    blocks = []
    for number, cue in enumerate(_cues(document), start=1):
        start = timestamp(cue.start, separator=",")
        end = timestamp(max(cue.end, cue.start), separator=",")
        blocks.append(f"{number}\n{start} --> {end}\n{_named(cue)}\n")
    return "\n".join(blocks).encode("utf-8")


def to_vtt(document: TranscriptDocument) -> bytes:
    blocks = ["WEBVTT\n"]
    for cue in _cues(document):
        start = timestamp(cue.start, separator=".")
        end = timestamp(max(cue.end, cue.start), separator=".")
        # "-->" inside cue text would end the cue early.
        text = cue.text.strip().replace("-->", "→")
        if cue.speaker:
            text = f"<v {_vtt_escape(cue.speaker)}>{text}"
        blocks.append(f"{start} --> {end}\n{text}\n")
    return "\n".join(blocks).encode("utf-8")


def _vtt_escape(name: str) -> str:
    """A voice annotation ends at ">" and may not hold "&" or "<" raw (WebVTT, 4.2.2)."""
    escaped = name.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\n", " ").replace("-->", "→")


def to_docx(document: TranscriptDocument) -> bytes:
    doc = Document()
    doc.add_heading(document.title, level=1)
    if document.created_at is not None:
        doc.add_paragraph(f"{document.created_at:%Y-%m-%d %H:%M}")
    if document.cues:
        for cue in _cues(document):
            paragraph = doc.add_paragraph()
            paragraph.add_run(f"[{timestamp(cue.start, separator='.')[:8]}] ").bold = True
            if cue.speaker:
                paragraph.add_run(f"{cue.speaker}: ").bold = True
            paragraph.add_run(cue.text.strip())
    else:
        for block in document.text.strip().split("\n\n"):
            doc.add_paragraph(block)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


_EXPORTERS = {
    ExportFormat.TXT: to_txt,
    ExportFormat.MD: to_markdown,
    ExportFormat.SRT: to_srt,
    ExportFormat.VTT: to_vtt,
    ExportFormat.DOCX: to_docx,
}


def export(document: TranscriptDocument, fmt: ExportFormat) -> bytes:
    """The transcript in ``fmt``."""
    return _EXPORTERS[fmt](document)
