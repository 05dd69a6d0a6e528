"""Stereo recordings whose channels carry different speakers (phone calls, two-mic recorders).

Within speech, a frame belongs to the channel that is clearly louder. The channels are taken to
be speakers when each of them dominates a fair share of the speech; a mono recording stored as
two identical (or merely panned) channels never qualifies, and is diarized by clustering.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from reactor.diarization.base import FloatArray, SpeakerTurn

FRAME = 800  # 50 ms at 16 kHz
DOMINANCE_DB = 6.0  # a channel this much louder than the other holds the floor
MIN_DOMINATED_SHARE = 0.1  # each channel must hold the floor in this share of speech frames
MIN_DECIDED_SHARE = 0.6  # and most speech frames must have a clearly louder channel
SMOOTHING_FRAMES = 9  # a median over 0.45 s so one frame of crosstalk does not switch


def _frame_levels(audio: FloatArray) -> FloatArray:
    frames = audio.shape[1] // FRAME
    power = (audio[:, : frames * FRAME].reshape(2, frames, FRAME) ** 2).mean(axis=2)
    levels: FloatArray = (10 * np.log10(power + 1e-10)).astype(np.float32)
    return levels


def _speech_frames(regions: Sequence[tuple[int, int]], frames: int) -> np.ndarray:
    mask = np.zeros(frames, dtype=bool)
    for start, end in regions:
        mask[start // FRAME : -(-end // FRAME)] = True
    return mask


def channel_turns(
    audio: FloatArray, regions: Sequence[tuple[int, int]], *, sample_rate: int = 16_000
) -> tuple[SpeakerTurn, ...] | None:
    """Turns with channel = speaker, or None when the channels do not carry different speakers."""
    if audio.shape[0] != 2:
        return None
    levels = _frame_levels(audio)
    speech = _speech_frames(regions, levels.shape[1])
    if not speech.any():
        return None
    difference = levels[0] - levels[1]
    left, right = difference > DOMINANCE_DB, difference < -DOMINANCE_DB
    spoken = int(speech.sum())
    left_share, right_share = (left & speech).sum() / spoken, (right & speech).sum() / spoken
    if min(left_share, right_share) < MIN_DOMINATED_SHARE:
        return None
    if left_share + right_share < MIN_DECIDED_SHARE:
        return None
    channel = _median(np.where(difference >= 0, 0, 1), SMOOTHING_FRAMES)
    return _runs(channel, speech, sample_rate=sample_rate)


def _median(values: np.ndarray, width: int) -> np.ndarray:
    padded = np.pad(values, width // 2, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width)
    smoothed: np.ndarray = np.median(windows, axis=1).round().astype(int)
    return smoothed


def _runs(channel: np.ndarray, speech: np.ndarray, *, sample_rate: int) -> tuple[SpeakerTurn, ...]:
    numbering: dict[int, int] = {}
    turns: list[SpeakerTurn] = []
    seconds = FRAME / sample_rate
    index = 0
    while index < len(channel):
        if not speech[index]:
            index += 1
            continue
        end = index
        while end < len(channel) and speech[end] and channel[end] == channel[index]:
            end += 1
        speaker = numbering.setdefault(int(channel[index]), len(numbering) + 1)
        turns.append(SpeakerTurn(index * seconds, end * seconds, speaker))
        index = end
    return tuple(turns)
