"""Each transcript segment (and word, where word timestamps exist) gets a speaker."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from reactor.diarization.base import Diarization


@dataclass(frozen=True, slots=True)
class Word:
    start: float
    end: float
    text: str


@dataclass(frozen=True, slots=True)
class SpeakerSegment:
    """A transcript segment with its speaker (1, 2, …; None when nobody was diarized)."""

    start: float
    end: float
    text: str
    speaker: int | None


@dataclass(frozen=True, slots=True)
class TimedText:
    """What the assignment needs of a transcript segment: times, text, optional words."""

    start: float
    end: float
    text: str
    words: Sequence[Word] = ()


def assign_speakers(
    segments: Sequence[TimedText], diarization: Diarization
) -> list[SpeakerSegment]:
    """Speaker per segment by the largest overlap; a segment whose words change speaker is
    split at the change, each part keeping its own words' times and text."""
    out: list[SpeakerSegment] = []
    for segment in segments:
        if not segment.words:
            speaker = diarization.speaker_at(segment.start, segment.end)
            out.append(SpeakerSegment(segment.start, segment.end, segment.text, speaker))
            continue
        out.extend(_split_by_words(segment.words, diarization))
    return out


def _split_by_words(words: Sequence[Word], diarization: Diarization) -> list[SpeakerSegment]:
    parts: list[tuple[int | None, list[Word]]] = []
    for word in words:
        speaker = diarization.speaker_at(word.start, word.end)
        if parts and parts[-1][0] == speaker:
            parts[-1][1].append(word)
        else:
            parts.append((speaker, [word]))
    return [
        SpeakerSegment(
            group[0].start,
            group[-1].end,
            " ".join(w.text.strip() for w in group if w.text.strip()),
            speaker,
        )
        for speaker, group in parts
    ]
