"""Speakers in transcripts: display names and chat turns (pure).

Segments carry a speaker number (1, 2, …) from diarization, or None. A speaker-name map from
the recording card ("Speaker 2 = Анна") replaces the default label, so renaming re-renders the
chat transcript and every export without re-running anything. A transcript with one speaker (or
none) shows no labels at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.exports import Cue

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
