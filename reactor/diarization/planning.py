"""Pure planning: embedding windows inside speech, and window labels back into speaker turns."""

from __future__ import annotations

from collections.abc import Sequence

from reactor.diarization.base import SpeakerTurn

MIN_WINDOW_FRACTION = 0.3  # speech shorter than this share of a window is too short to embed


def plan_windows(
    regions: Sequence[tuple[int, int]], *, window: int, hop: int, total: int
) -> list[tuple[int, int, int, int]]:
    """Windows of ``window`` samples every ``hop`` inside each speech region.

    Returns ``(window_start, window_end, owned_start, owned_end)``: the samples embedded and the
    part of the region the window's label speaks for (its centre ``hop``, the region's edges
    included). A region shorter than a window gets one window centred on it.
    """
    planned = []
    for start, end in regions:
        length = end - start
        if length < window * MIN_WINDOW_FRACTION:
            continue
        if length <= window:
            centre = (start + end) // 2
            first = max(0, min(centre - window // 2, total - window))
            planned.append((first, first + window, start, end))
            continue
        count = 1 + -(-(length - window) // hop)  # ceil: the last window ends at the region end
        step = (length - window) / (count - 1) if count > 1 else 0.0
        firsts = [start + round(i * step) for i in range(count)]
        for index, first in enumerate(firsts):
            owned_start = start if index == 0 else (firsts[index - 1] + window + first) // 2
            owned_end = end if index == count - 1 else (first + window + firsts[index + 1]) // 2
            planned.append((first, first + window, owned_start, owned_end))
    return planned


def turns_from_labels(
    owned: Sequence[tuple[int, int]], labels: Sequence[int], *, sample_rate: int
) -> tuple[SpeakerTurn, ...]:
    """Merge labelled stretches into turns; speakers renumbered 1, 2, … by first appearance."""
    numbering: dict[int, int] = {}
    merged: list[list[int]] = []
    for (start, end), label in sorted(zip(owned, labels, strict=True)):
        speaker = numbering.setdefault(label, len(numbering) + 1)
        # Adjacent stretches of one speaker (a pause under 0.5 s) become one turn.
        if merged and merged[-1][2] == speaker and start - merged[-1][1] <= sample_rate // 2:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end, speaker])
    return tuple(
        SpeakerTurn(start / sample_rate, end / sample_rate, speaker)
        for start, end, speaker in merged
    )
