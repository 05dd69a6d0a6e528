"""Speakers in transcripts: display names and chat turns (pure).

Segments carry a speaker number (1, 2, …) from diarization, or None. A speaker-name map from
the recording card ("Speaker 2 = Анна") replaces the default label, so renaming re-renders the
chat transcript and every export without re-running anything. A transcript with one speaker (or
none) shows no labels at all.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bot.exports import Cue
from voxpersona.recordings.queries import StoredTranscript

# Default labels by the user's language; English for any other language.
SPEAKER_WORD = {"ru": "Спикер", "en": "Speaker"}


@dataclass(frozen=True, slots=True)
class SpokenSegment:
    """A transcript segment as stored: times in seconds, text, speaker number or None."""

    start: float
    end: float
    text: str
    speaker: int | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    """Consecutive segments of one speaker, merged."""

    start: float
    end: float
    speaker: str | None
    text: str


def speaker_name(number: int, names: Mapping[int, str], language: str | None) -> str:
    """The user's name for the speaker, else "Спикер 2" / "Speaker 2"."""
    chosen = names.get(number, "").strip()
    return chosen or f"{SPEAKER_WORD.get(language or 'en', SPEAKER_WORD['en'])} {number}"


def _labelled(segments: Sequence[SpokenSegment]) -> bool:
    return len({s.speaker for s in segments if s.speaker is not None and s.text.strip()}) > 1


def cues(
    segments: Sequence[SpokenSegment], names: Mapping[int, str], language: str | None
) -> list[Cue]:
    """Export cues; each carries its speaker's display name when there is more than one."""
    labelled = _labelled(segments)
    return [
        Cue(
            s.start,
            s.end,
            s.text,
            speaker_name(s.speaker, names, language)
            if labelled and s.speaker is not None
            else None,
        )
        for s in segments
    ]


def turns(
    segments: Sequence[SpokenSegment], names: Mapping[int, str], language: str | None
) -> list[Turn]:
    """Segments in time order, consecutive ones of one speaker merged into a turn."""
    labelled = _labelled(segments)
    merged: list[Turn] = []
    for segment in sorted(segments, key=lambda s: (s.start, s.end)):
        text = segment.text.strip()
        if not text:
            continue
        name = (
            speaker_name(segment.speaker, names, language)
            if labelled and segment.speaker is not None
            else None
        )
        if merged and merged[-1].speaker == name:
            last = merged[-1]
            merged[-1] = Turn(last.start, max(last.end, segment.end), name, f"{last.text} {text}")
        else:
            merged.append(Turn(segment.start, segment.end, name, text))
    return merged


def chat_transcript(
    segments: Sequence[SpokenSegment], names: Mapping[int, str], language: str | None
) -> str:
    """The transcript for the chat: "Спикер 1: …" turns separated by blank lines; without
    speakers, the plain text."""
    made = turns(segments, names, language)
    return "\n\n".join(f"{t.speaker}: {t.text}" if t.speaker else t.text for t in made)


def spoken_segments(stored: Sequence[Mapping[str, Any]]) -> list[SpokenSegment]:
    """Segments as the recordings module stores them (``speaker`` only when diarized)."""
    return [
        SpokenSegment(
            float(s.get("start", 0.0)),
            float(s.get("end", 0.0)),
            str(s.get("text", "")),
            int(s["speaker"]) if s.get("speaker") is not None else None,
        )
        for s in stored
    ]


def with_turns(stored: StoredTranscript, language: str | None) -> StoredTranscript:
    """The transcript as the chat shows it: its text as speaker turns (with the user's names)
    when diarization found several voices; otherwise unchanged."""
    segments = spoken_segments(stored.segments)
    if not _labelled(segments):
        return stored
    return replace(stored, text=chat_transcript(segments, stored.speaker_names, language))


# The recording a "name the speakers" prompt is about: its last line, "🔖 <recording id hex>".
# A reply to the prompt carries the prompt's text back (Telegram's reply_to_message), so the
# bot keeps no state between the button and the reply; the id is only ever looked up together
# with the id of the user who replied.
PROMPT_MARK = re.compile(r"🔖 ([0-9a-f]{32})\s*$")
_NAMING = re.compile(r"^\s*(?:[^\d\s]+\s+)?(\d{1,2})\s*(?:[=:—–-]\s*)?(.*?)\s*$", re.S)
MAX_NAME = 40


def prompt_recording(text: str | None) -> uuid.UUID | None:
    """The recording id a naming prompt ends with."""
    found = PROMPT_MARK.search(text or "")
    return uuid.UUID(hex=found.group(1)) if found else None


def parse_naming(text: str) -> tuple[int, str] | None:
    """ "2 Анна", "Speaker 2 = Анна", "2" (forget the name) → (2, "Анна"); None: not a naming.
    Names keep to one line of ``MAX_NAME`` characters (they label every turn)."""
    found = _NAMING.match(text)
    if found is None or int(found.group(1)) < 1:
        return None
    name = " ".join(found.group(2).split())[:MAX_NAME].strip()
    return int(found.group(1)), name


def speaker_numbers(segments: Sequence[SpokenSegment]) -> list[int]:
    """The speakers who said something, in number order."""
    return sorted({s.speaker for s in segments if s.speaker is not None and s.text.strip()})
