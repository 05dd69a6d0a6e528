"""Joining chunk transcripts into one transcript, in order.

Pure logic. Segment times are shifted by each chunk's start; where two chunks overlap (a hard
cut, no pause nearby) the words both transcribed are kept once, and a word the cut sliced in
half is dropped on the side where it is a fragment.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from reactor.chunking import Chunk
from reactor.transcription import Segment, Transcript

# How many words at each side of a boundary are compared, and how many fragment words the
# matched run may leave at the very end of one chunk or the start of the next.
MAX_OVERLAP_WORDS = 24
FRAGMENT_SLACK = 2
_WORD_CHARS = re.compile(r"[^\w]+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class ChunkTranscript:
    chunk: Chunk
    transcript: Transcript


def _norm(word: str) -> str:
    return _WORD_CHARS.sub("", word.casefold())


def _run_length(tail: Sequence[str], head: Sequence[str]) -> int:
    length = 0
    while length < min(len(tail), len(head)) and tail[length] == head[length]:
        length += 1
    return length


def overlap_cut(tail: Sequence[str], head: Sequence[str]) -> tuple[int, int]:
    """Words to drop from the end of ``tail`` and from the start of ``head`` so the words both
    chunks heard appear once.

    The repeated run must end within :data:`FRAGMENT_SLACK` words of the end of ``tail`` and
    begin within as many words of the start of ``head`` (anything outside it on that side is a
    fragment of a word the cut sliced). A single-word run counts only when it sits exactly at
    both edges, so a common word like "and" cannot stitch two unrelated places together.
    """
    t = [_norm(w) for w in tail[-MAX_OVERLAP_WORDS:]]
    h = [_norm(w) for w in head[:MAX_OVERLAP_WORDS]]
    best = (0, 0, 0)  # run length, drop from tail, drop from head
    for i in range(len(t)):
        for j in range(min(FRAGMENT_SLACK, len(h) - 1) + 1):
            run = _run_length(t[i:], h[j:])
            if run == 0 or not t[i]:
                continue
            left_over = len(t) - (i + run)
            if left_over > FRAGMENT_SLACK:
                continue
            if run == 1 and (left_over or j):
                continue
            if run > best[0]:
                best = (run, left_over, j + run)
    return best[1], best[2]


def _segments_of(part: ChunkTranscript) -> list[Segment]:
    """The chunk's segments on the recording's clock (one synthetic segment if none came)."""
    offset = part.chunk.start
    found = part.transcript.segments or [
        Segment(start=0.0, end=part.chunk.duration, text=part.transcript.text)
    ]
    return [
        Segment(start=s.start + offset, end=s.end + offset, text=s.text.strip())
        for s in found
        if s.text.strip()
    ]


def _drop_tail_words(segments: list[Segment], count: int) -> None:
    while count > 0 and segments:
        words = segments[-1].text.split()
        if len(words) <= count:
            count -= len(words)
            segments.pop()
        else:
            last = segments[-1]
            segments[-1] = Segment(start=last.start, end=last.end, text=" ".join(words[:-count]))
            count = 0


def _drop_head_words(segments: list[Segment], count: int) -> None:
    while count > 0 and segments:
        words = segments[0].text.split()
        if len(words) <= count:
            count -= len(words)
            segments.pop(0)
        else:
            first = segments[0]
            segments[0] = Segment(start=first.start, end=first.end, text=" ".join(words[count:]))
            count = 0


def _words(segments: Sequence[Segment]) -> list[str]:
    return [word for s in segments for word in s.text.split()]


def _language(parts: Sequence[ChunkTranscript]) -> str | None:
    votes = Counter(p.transcript.language for p in parts if p.transcript.language)
    return votes.most_common(1)[0][0] if votes else None


def stitch(parts: Sequence[ChunkTranscript], *, duration: float | None = None) -> Transcript:
    """One transcript from the chunks' transcripts (any order in, chunk order out)."""
    if not parts:
        raise ValueError("nothing to stitch")
    ordered = sorted(parts, key=lambda p: p.chunk.index)
    segments: list[Segment] = []
    previous: Chunk | None = None
    for part in ordered:
        incoming = _segments_of(part)
        if previous is not None and part.chunk.start < previous.end:
            drop_tail, drop_head = overlap_cut(_words(segments), _words(incoming))
            _drop_tail_words(segments, drop_tail)
            _drop_head_words(incoming, drop_head)
        segments.extend(incoming)
        previous = part.chunk
    first = ordered[0].transcript
    return Transcript(
        text=" ".join(s.text for s in segments),
        language=_language(ordered),
        duration=duration if duration is not None else ordered[-1].chunk.end,
        segments=segments,
        engine=first.engine,
        model=first.model,
    )
