"""Diarization error rate: missed speech, false alarm and speaker confusion over reference speech.

Frame-based (10 ms), no collar, overlapping speech counted per speaker; hypothesis speakers are
mapped to reference speakers one-to-one to minimise the error (Hungarian assignment).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reactor.diarization.base import SpeakerTurn

STEP = 0.01


def _activity(turns: Sequence[SpeakerTurn], frames: int) -> tuple[list[int], np.ndarray]:
    speakers = sorted({t.speaker for t in turns})
    active = np.zeros((len(speakers), frames), dtype=bool)
    for turn in turns:
        active[speakers.index(turn.speaker), round(turn.start / STEP) : round(turn.end / STEP)] = (
            True
        )
    return speakers, active


def diarization_error_rate(
    reference: Sequence[SpeakerTurn], hypothesis: Sequence[SpeakerTurn]
) -> float:
    """DER in [0, …): 0 is perfect; 1.0 with no reference speech means only false alarms."""
    from scipy.optimize import linear_sum_assignment

    end = max([t.end for t in [*reference, *hypothesis]], default=0.0)
    frames = round(end / STEP) + 1
    _, ref = _activity(reference, frames)
    _, hyp = _activity(hypothesis, frames)
    ref_count, hyp_count = ref.sum(axis=0), hyp.sum(axis=0)
    total = int(ref_count.sum())
    # Correctly attributed frames under the best one-to-one speaker mapping.
    overlap = (ref[:, None, :] & hyp[None, :, :]).sum(axis=2) if len(ref) and len(hyp) else None
    matched = 0
    if overlap is not None:
        rows, cols = linear_sum_assignment(-overlap)
        matched = int(overlap[rows, cols].sum())
    errors = int(np.maximum(ref_count, hyp_count).sum()) - matched
    return errors / total if total else float(errors > 0)
