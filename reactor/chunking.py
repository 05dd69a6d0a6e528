"""Planning how to split long or large audio into chunks the transcription API accepts.

Pure logic, no I/O: it works on a duration and a loudness envelope that :mod:`reactor.media`
measured. Cuts fall in the middle of a pause where one exists near the limit; otherwise the
audio is cut in fixed windows that overlap slightly, and :mod:`reactor.stitching` removes the
words the overlap repeats.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

# Extensions OpenAI's transcription endpoint accepts (``.oga`` deliberately absent: several
# OpenAI-compatible servers reject it, and we never produce it).
API_EXTENSIONS = frozenset({"flac", "m4a", "mp3", "mp4", "mpeg", "mpga", "ogg", "wav", "webm"})


@dataclass(frozen=True, slots=True)
class ChunkLimits:
    """What one upload may be, and how chunks are encoded and cut."""

    max_seconds: float
    max_bytes: int
    bitrate: int  # bits per second of the encoded chunks
    overlap: float = 1.5  # seconds shared by two fixed-window chunks
    search: float = 90.0  # how far before the limit to look for a pause
    min_silence: float = 0.3  # shortest pause worth cutting in

    def max_chunk_seconds(self) -> float:
        """The longest chunk that fits both the duration and the byte limit (10 % headroom)."""
        by_bytes = self.max_bytes * 8 / self.bitrate * 0.9
        return min(self.max_seconds, by_bytes)


@dataclass(frozen=True, slots=True)
class Chunk:
    """Seconds ``start``..``end`` of the recording."""

    index: int
    start: float
    end: float

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Envelope:
    """Loudness in dBFS of consecutive windows of ``window`` seconds."""

    window: float
    levels: Sequence[float]


def needs_transcoding(*, duration: float, size: int, extension: str, limits: ChunkLimits) -> bool:
    """Whether the file must be re-encoded (split, or into a format the API accepts)."""
    return (
        duration > limits.max_seconds
        or size > limits.max_bytes
        or extension.lower() not in API_EXTENSIONS
    )


def silence_threshold(levels: Sequence[float], *, floor: float = -60.0) -> float:
    """The level under which a window counts as a pause: a little above the quietest tenth
    of the recording (its noise floor), and never above -30 dBFS."""
    if not levels:
        return floor
    ordered = sorted(levels)
    noise = ordered[len(ordered) // 10]
    return min(max(noise + 8.0, floor), -30.0)


def find_silences(envelope: Envelope, *, min_length: float) -> list[tuple[float, float]]:
    """Runs of quiet windows at least ``min_length`` seconds long, as (start, end) seconds."""
    threshold = silence_threshold(envelope.levels)
    runs: list[tuple[float, float]] = []
    run_start: int | None = None
    for i, level in enumerate([*envelope.levels, 0.0]):  # the sentinel closes a trailing run
        quiet = level <= threshold and i < len(envelope.levels)
        if quiet and run_start is None:
            run_start = i
        elif not quiet and run_start is not None:
            if (i - run_start) * envelope.window >= min_length:
                runs.append((run_start * envelope.window, i * envelope.window))
            run_start = None
    return runs


def _pause_before(
    limit: float, start: float, silences: Sequence[tuple[float, float]], search: float
) -> float | None:
    """The middle of the longest pause whose middle lies in ``[limit - search, limit]``."""
    best: tuple[float, float] | None = None
    for begin, end in silences:
        middle = (begin + end) / 2
        if start < middle <= limit and middle >= limit - search:
            length = end - begin
            if best is None or length > best[0] or (length == best[0] and middle > best[1]):
                best = (length, middle)
    return best[1] if best is not None else None


def plan_chunks(
    duration: float, limits: ChunkLimits, silences: Sequence[tuple[float, float]] = ()
) -> list[Chunk]:
    """Cover ``0..duration`` with chunks no longer than :meth:`ChunkLimits.max_chunk_seconds`.

    Cut in a pause where possible (no overlap needed); otherwise cut hard at the limit and
    start the next chunk ``overlap`` seconds earlier.
    """
    if duration <= 0:
        raise ValueError("duration must be positive")
    longest = limits.max_chunk_seconds()
    if longest <= 2 * limits.overlap:
        raise ValueError("chunks must be longer than twice the overlap")
    search = min(limits.search, longest / 2)
    chunks: list[Chunk] = []
    start = 0.0
    while duration - start > longest:
        limit = start + longest
        cut = _pause_before(limit, start, silences, search)
        if cut is not None:
            chunks.append(Chunk(len(chunks), start, cut))
            start = cut
        else:
            chunks.append(Chunk(len(chunks), start, limit))
            start = limit - limits.overlap
    chunks.append(Chunk(len(chunks), start, duration))
    return chunks
