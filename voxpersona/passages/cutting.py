"""Cutting a timed transcript into passages: pure, no I/O.

A passage is what the index embeds and what an answer cites: a stretch of roughly 20–60 s of
speech, cut where a speaker hands over or where the talk pauses, so that one passage holds one
thought of one speaker where the recording allows it. Short turns (a "yes", a question) are kept
with their neighbours: a five-second passage carries too little meaning to be found.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# Bump when the cutting rules change: stored passages cut by older rules are then re-indexed.
CUTTING_VERSION = 1


@dataclass(frozen=True, slots=True)
class Segment:
    """One timed piece of a transcript as the transcriber (or the diarizer) produced it."""

    start: float
    end: float
    text: str
    speaker: str | None = None


@dataclass(frozen=True, slots=True)
class Passage:
    """One cut: ``seq`` counts from 0 within the recording; ``speaker`` is None when mixed.

    ``text`` labels each change of speaker (for readers and the LLM); ``spoken`` is the words
    alone, which is what gets embedded (labels would pull all mixed passages together)."""

    seq: int
    start: float
    end: float
    text: str
    speaker: str | None
    spoken: str = ""

    def embedding_text(self) -> str:
        return self.spoken or self.text


@dataclass(frozen=True, slots=True)
class CutRules:
    """``min_seconds`` before a pause or a turn may end a passage; ``max_seconds`` always ends
    one; ``pause_seconds`` of silence counts as a pause."""

    min_seconds: float = 20.0
    max_seconds: float = 60.0
    pause_seconds: float = 1.5

    def __post_init__(self) -> None:
        if not 0 < self.min_seconds <= self.max_seconds:
            raise ValueError("need 0 < min_seconds <= max_seconds")
        if self.pause_seconds < 0:
            raise ValueError("pause_seconds must not be negative")


def segments_from_json(raw: Iterable[Mapping[str, Any]]) -> list[Segment]:
    """Segments as stored in ``recordings.transcript_segments`` (``start``, ``end``, ``text``
    and, after diarization, ``speaker``); pieces without text or usable times are skipped."""
    found: list[Segment] = []
    for item in raw:
        text = str(item.get("text") or "").strip()
        try:
            start, end = float(item.get("start", 0.0)), float(item.get("end", 0.0))
        except (TypeError, ValueError):
            continue
        if not text or not (math.isfinite(start) and math.isfinite(end)):
            continue
        speaker = item.get("speaker")
        found.append(Segment(start, max(start, end), text, str(speaker) if speaker else None))
    return found


def cut_passages(segments: Sequence[Segment], rules: CutRules | None = None) -> list[Passage]:
    """The passages of ``segments`` (in time order), numbered from 0."""
    rules = rules or CutRules()
    ordered = sorted(
        (piece for s in segments if s.text.strip() for piece in _split_long(s, rules.max_seconds)),
        key=lambda s: (s.start, s.end),
    )
    groups: list[list[Segment]] = []
    for segment in ordered:
        if groups and not _ends_before(groups[-1], segment, rules):
            groups[-1].append(segment)
        else:
            groups.append([segment])
    groups = _merge_short_tail(groups, rules)
    return [_passage(seq, group) for seq, group in enumerate(groups)]


def transcript_fingerprint(segments: Sequence[Segment]) -> str:
    """A hash of what the passages are cut from: a changed transcript gets a new one."""
    payload = [CUTTING_VERSION, [[s.start, s.end, s.text, s.speaker] for s in segments]]
    encoded = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode()).hexdigest()[:32]


def _ends_before(group: list[Segment], segment: Segment, rules: CutRules) -> bool:
    """Does the passage ``group`` end before ``segment`` starts?"""
    start = group[0].start
    if segment.end - start > rules.max_seconds:
        return True
    if group[-1].end - start < rules.min_seconds:
        return False
    turn = segment.speaker != group[-1].speaker
    pause = segment.start - group[-1].end >= rules.pause_seconds
    return turn or pause


def _merge_short_tail(groups: list[list[Segment]], rules: CutRules) -> list[list[Segment]]:
    """A last passage of a few seconds joins the one before when both still fit."""
    if len(groups) < 2:
        return groups
    tail, before = groups[-1], groups[-2]
    short = tail[-1].end - tail[0].start < rules.min_seconds / 2
    fits = tail[-1].end - before[0].start <= rules.max_seconds
    if short and fits:
        return [*groups[:-2], before + tail]
    return groups


def _split_long(segment: Segment, max_seconds: float) -> list[Segment]:
    """A segment longer than a passage may be, cut into equal word runs with times shared out
    in proportion (a transcriber without pauses can emit minutes as one segment)."""
    duration = segment.end - segment.start
    words = segment.text.split()
    pieces = min(len(words), math.ceil(duration / max_seconds)) if duration > max_seconds else 1
    if pieces <= 1:
        return [Segment(segment.start, segment.end, segment.text.strip(), segment.speaker)]
    step = duration / pieces
    size = math.ceil(len(words) / pieces)
    return [
        Segment(
            segment.start + i * step,
            segment.start + (i + 1) * step,
            " ".join(words[i * size : (i + 1) * size]),
            segment.speaker,
        )
        for i in range(pieces)
        if words[i * size : (i + 1) * size]
    ]


def _passage(seq: int, group: list[Segment]) -> Passage:
    speakers = {s.speaker for s in group}
    if len(speakers) == 1:
        text = " ".join(s.text.strip() for s in group)
        return Passage(seq, group[0].start, group[-1].end, text, group[0].speaker, text)
    # Mixed turns: each change of speaker is labelled so the reader (and the LLM) knows who spoke.
    lines: list[str] = []
    previous: str | None = None
    for s in group:
        if s.speaker != previous or not lines:
            lines.append(f"{s.speaker or '?'}: {s.text.strip()}")
        else:
            lines[-1] += " " + s.text.strip()
        previous = s.speaker
    spoken = " ".join(s.text.strip() for s in group)
    return Passage(seq, group[0].start, group[-1].end, "\n".join(lines), None, spoken)
