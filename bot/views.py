"""How recordings look in the library: card texts, list labels, export documents (pure)."""

from __future__ import annotations

import re
from datetime import datetime

from bot.exports import TranscriptDocument
from bot.i18n import Language, human_size, t
from bot.repos.library import Card, TranscriptRow
from bot.speakers import cues as cues_for
from bot.speakers import spoken_segments

MAX_LABEL = 48
_UNSAFE_FILENAME = re.compile(r"[^\w\-. ]+", re.UNICODE)


def when(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M}"


def display_name(name: str | None, created_at: datetime, language: Language) -> str:
    return name or t(language, "unnamed", date=when(created_at))


def status_text(card: Card, language: Language) -> str:
    text = t(language, f"rec_status.{card.status}")
    if card.audio_state != "present":
        text = t(language, "rec_status.audio_gone", status=text)
    return text


def duration_text(seconds: float | None, language: Language) -> str:
    if not seconds:
        return t(language, "unknown")
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def card_text(card: Card, language: Language) -> str:
    text = t(
        language,
        "card",
        name=display_name(card.name, card.created_at, language),
        date=when(card.created_at),
        duration=duration_text(card.duration_seconds, language),
        size=human_size(card.size_bytes, language) if card.size_bytes else t(language, "unknown"),
        status=status_text(card, language),
    )
    if card.notes:
        text += "\n" + t(language, "card_notes", notes=card.notes)
    return text


def list_label(card: Card, language: Language) -> str:
    """One line per recording in /files and /search: date, name, status."""
    icon = {"done": "✅", "failed": "⚠️"}.get(card.status, "⏳")
    name = display_name(card.name, card.created_at, language)
    label = f"{icon} {card.created_at:%d.%m} {name}"
    return label if len(label) <= MAX_LABEL else label[: MAX_LABEL - 1] + "…"


def pages(total: int, size: int) -> int:
    return max(1, -(-total // size))


def transcript_document(row: TranscriptRow, language: Language) -> TranscriptDocument:
    # Speakers (with the user's names) when diarization found several voices.
    cues = tuple(cues_for(spoken_segments(row.segments), row.speaker_names, language))
    return TranscriptDocument(
        title=display_name(row.name, row.created_at, language),
        text=row.text,
        created_at=row.created_at,
        language=row.language,
        cues=cues,
    )


def export_filename(row: TranscriptRow, extension: str, language: Language) -> str:
    """A safe file name from the recording's name (Cyrillic kept, path characters dropped)."""
    base = _UNSAFE_FILENAME.sub("_", display_name(row.name, row.created_at, language)).strip("._ ")
    return f"{(base or 'transcript')[:60]}.{extension}"
