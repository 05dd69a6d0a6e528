"""Production speaker-embedding networks in ONNX (WeSpeaker ResNet34, 3D-Speaker CAM++,
ECAPA-TDNN, as sherpa-onnx distributes them), run with onnxruntime.

They take Kaldi-style features: 80 log mel filterbanks (HTK mel, 20 Hz-8 kHz) over 25 ms Povey
windows every 10 ms, pre-emphasis 0.97, DC removed, samples scaled to 16-bit range, means
subtracted per window; input ``(batch, frames, 80)``, output ``(batch, dim)``. A GPU is used
when onnxruntime has CUDA and ``device`` allows it.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from reactor.diarization.base import FloatArray

SAMPLE_RATE = 16_000
FRAME = 400
SHIFT = 160
N_FFT = 512
N_MELS = 80
LOW_HZ, HIGH_HZ = 20.0, 8000.0
WINDOW_SECONDS = 1.6


def _htk_mel(hz: np.ndarray) -> np.ndarray:
    return 1127.0 * np.log1p(hz / 700.0)


@cache
def kaldi_mel_banks() -> FloatArray:
    """``(80, 257)`` triangular filters, built on the mel scale as Kaldi does."""
    fft_mel = _htk_mel(np.arange(N_FFT // 2 + 1) * SAMPLE_RATE / N_FFT)
    low, high = _htk_mel(np.array(LOW_HZ)), _htk_mel(np.array(HIGH_HZ))
    centres = np.linspace(low, high, N_MELS + 2)
    left, centre, right = centres[:-2, None], centres[1:-1, None], centres[2:, None]
    up = (fft_mel[None, :] - left) / (centre - left)
    down = (right - fft_mel[None, :]) / (right - centre)
    banks: FloatArray = np.maximum(0.0, np.minimum(up, down)).astype(np.float32)
    return banks


@cache
def _povey() -> FloatArray:
    hann = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(FRAME) / (FRAME - 1))
    window: FloatArray = (hann**0.85).astype(np.float32)
    return window


def fbank(wav: FloatArray) -> FloatArray:
    """``(frames, 80)`` log filterbanks of 16 kHz float audio (Kaldi ``snip_edges``)."""
    samples = wav.astype(np.float32) * 32768.0
    frames = 1 + (len(samples) - FRAME) // SHIFT if len(samples) >= FRAME else 0
    if frames == 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    strides = (samples.strides[0] * SHIFT, samples.strides[0])
    framed = np.lib.stride_tricks.as_strided(samples, (frames, FRAME), strides).copy()
    framed -= framed.mean(axis=1, keepdims=True)
    framed[:, 1:] -= 0.97 * framed[:, :-1].copy()
    framed[:, 0] *= 1 - 0.97
    spectrum = np.fft.rfft(framed * _povey(), n=N_FFT, axis=1)
    power = spectrum.real**2 + spectrum.imag**2
    features: FloatArray = np.log(np.maximum(power @ kaldi_mel_banks().T, 1.19e-7))
    return features.astype(np.float32)


class OnnxEmbedder:
    """The embedder of :class:`reactor.diarization.base.SpeakerEmbedder` for ONNX models."""

    sample_rate = SAMPLE_RATE
    window_seconds = WINDOW_SECONDS

    def __init__(self, session: Any, *, name: str) -> None:
        self._session = session
        self._input = session.get_inputs()[0].name
        self.name = name

    @classmethod
    def load(cls, path: Path, *, device: str = "auto") -> OnnxEmbedder:
        import onnxruntime

        available = onnxruntime.get_available_providers()
        providers = ["CPUExecutionProvider"]
        if device in ("auto", "cuda") and "CUDAExecutionProvider" in available:
            providers.insert(0, "CUDAExecutionProvider")
        session = onnxruntime.InferenceSession(str(path), providers=providers)
        return cls(session, name=f"onnx:{path.stem}")

    def embed(self, audio: FloatArray, windows: list[tuple[int, int]]) -> FloatArray:
        if not windows:
            return np.zeros((0, 0), dtype=np.float32)
        batch = []
        for start, end in windows:
            features = fbank(audio[max(0, start) : end])
            batch.append(features - features.mean(axis=0, keepdims=True))
        length = min(len(f) for f in batch)
        stacked = np.stack([f[:length] for f in batch]).astype(np.float32)
        raw = np.asarray(self._session.run(None, {self._input: stacked})[0], dtype=np.float32)
        raw = raw.reshape(len(windows), -1)
        normed: FloatArray = raw / np.maximum(np.linalg.norm(raw, axis=1, keepdims=True), 1e-12)
        return normed
