"""Decoding any audio file to 16 kHz float samples, keeping up to two channels (PyAV)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np

from reactor.diarization.base import FloatArray
from reactor.errors import PermanentError

SAMPLE_RATE = 16_000


def decode(path: Path) -> FloatArray:
    """``(channels, samples)`` float32 at 16 kHz; channels is 1, or 2 for a stereo source."""
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise PermanentError("not_audio", "the file has no audio stream")
            stream = container.streams.audio[0]
            layout = "stereo" if stream.codec_context.channels == 2 else "mono"
            resampler = av.AudioResampler(format="fltp", layout=layout, rate=SAMPLE_RATE)
            pieces = []
            for frame in container.decode(stream):
                pieces += [p.to_ndarray() for p in resampler.resample(frame)]
            pieces += [p.to_ndarray() for p in resampler.resample(None)]
    except av.FFmpegError as exc:
        raise PermanentError("undecodable_audio", f"cannot decode: {exc}") from exc
    channels = 2 if layout == "stereo" else 1
    if not pieces:
        return np.zeros((channels, 0), dtype=np.float32)
    samples: FloatArray = np.concatenate(pieces, axis=1).astype(np.float32, copy=False)
    return samples


def mixdown(audio: FloatArray) -> FloatArray:
    """The mean of the channels, one dimension."""
    mixed: FloatArray = audio.mean(axis=0).astype(np.float32, copy=False)
    return mixed
