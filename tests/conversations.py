"""Conversations with known turns, built from the committed voices and real-speech clips."""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache
from pathlib import Path

import av
import numpy as np

from reactor.diarization.audio import SAMPLE_RATE, decode
from reactor.diarization.base import FloatArray, SpeakerTurn

VOICES = Path(__file__).parent / "fixtures" / "voices"
SPEECH = Path(__file__).parent / "fixtures" / "speech"
PAUSES = (0.45, 0.3, 0.6, 0.35, 0.5)  # seconds between turns, varied like real replies


@cache
def utterance(name: str) -> FloatArray:
    """One clip as 16 kHz mono: ``en_female_2`` (a voice's sentence) or ``en_budget`` (speech)."""
    path = VOICES / f"{name}.ogg"
    samples = decode(path if path.exists() else SPEECH / f"{name}.ogg")[0]
    # The reference turn is where the voice sounds: trim the clip's leading and trailing silence.
    audible = np.flatnonzero(np.abs(samples) > 0.01)
    return samples[audible[0] : audible[-1] + 1] if len(audible) else samples


def conversation(
    turns: Sequence[tuple[str, str]], *, stereo: bool = False, crosstalk_db: float = -24.0
) -> tuple[FloatArray, tuple[SpeakerTurn, ...]]:
    """``(channels, samples)`` audio and the reference turns for ``[(speaker, clip), …]``.

    Speakers are numbered by first appearance. ``stereo`` puts each of two speakers on its own
    channel, with the other's voice leaking in ``crosstalk_db`` quieter (as on a phone line).
    """
    numbering: dict[str, int] = {}
    pieces: list[tuple[int, FloatArray]] = []
    reference: list[SpeakerTurn] = []
    cursor = int(0.3 * SAMPLE_RATE)
    for index, (speaker, clip) in enumerate(turns):
        number = numbering.setdefault(speaker, len(numbering) + 1)
        samples = utterance(clip)
        pieces.append((cursor, samples))
        reference.append(
            SpeakerTurn(cursor / SAMPLE_RATE, (cursor + len(samples)) / SAMPLE_RATE, number)
        )
        cursor += len(samples) + int(PAUSES[index % len(PAUSES)] * SAMPLE_RATE)
    channels = 2 if stereo else 1
    audio = np.zeros((channels, cursor), dtype=np.float32)
    leak = float(10 ** (crosstalk_db / 20))
    for (start, samples), turn in zip(pieces, reference, strict=True):
        if stereo:
            own = (turn.speaker - 1) % 2
            audio[own, start : start + len(samples)] += samples
            audio[1 - own, start : start + len(samples)] += leak * samples
        else:
            audio[0, start : start + len(samples)] += samples
    return audio, tuple(reference)


def encode_wav(audio: FloatArray) -> bytes:
    """16-bit PCM WAV bytes (mono or stereo) for tests that go through a file."""
    buffer = io.BytesIO()
    layout = "stereo" if audio.shape[0] == 2 else "mono"
    with av.open(buffer, mode="w", format="wav") as output:
        stream = output.add_stream("pcm_s16le", rate=SAMPLE_RATE)
        stream.layout = layout
        pcm = (np.clip(audio, -1, 1) * 32767).astype(np.int16)
        frame = av.AudioFrame.from_ndarray(pcm.T.reshape(1, -1), format="s16", layout=layout)
        frame.sample_rate = SAMPLE_RATE
        for packet in stream.encode(frame):
            output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()
