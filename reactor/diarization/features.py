"""Resemblyzer's front-end in numpy: a 40-band mel power spectrogram (not log), 25/10 ms.

Reimplements ``librosa.feature.melspectrogram(y, sr=16000, n_fft=400, hop_length=160,
n_mels=40)`` (librosa >= 0.10: centred frames, zero padding, periodic Hann window, power 2,
Slaney mel scale and area normalisation) and Resemblyzer's volume normalisation, so the GE2E
weights see the features they were trained on without librosa. Checked against librosa by
``scripts/diarization/check_against_resemblyzer.py``.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from reactor.diarization.base import FloatArray

SAMPLE_RATE = 16_000
N_FFT = 400  # 25 ms
HOP = 160  # 10 ms
N_MELS = 40
TARGET_DBFS = -30.0
INT16_MAX = 2**15 - 1


def _hz_to_mel(hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    hz = np.asarray(hz, dtype=np.float64)
    mel = hz / (200.0 / 3)
    log_region = hz >= 1000.0
    mel[log_region] = 15.0 + np.log(hz[log_region] / 1000.0) / (np.log(6.4) / 27.0)
    return mel


def _mel_to_hz(mel: np.ndarray) -> np.ndarray:
    mel = np.asarray(mel, dtype=np.float64)
    hz = mel * (200.0 / 3)
    log_region = mel >= 15.0
    hz[log_region] = 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel[log_region] - 15.0))
    return hz


@cache
def mel_filters(
    sample_rate: int = SAMPLE_RATE, n_fft: int = N_FFT, n_mels: int = N_MELS
) -> FloatArray:
    """Triangular Slaney-normalised filters, ``(n_mels, 1 + n_fft // 2)``."""
    fft_freqs = np.linspace(0, sample_rate / 2, 1 + n_fft // 2)
    edges = _mel_to_hz(np.linspace(0.0, _hz_to_mel(np.array([sample_rate / 2]))[0], n_mels + 2))
    widths = np.diff(edges)
    ramps = edges[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / widths[:-1, None]
    upper = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    weights *= (2.0 / (edges[2 : n_mels + 2] - edges[:n_mels]))[:, None]
    return weights.astype(np.float32)


@cache
def _window(n_fft: int = N_FFT) -> np.ndarray:
    # Periodic Hann (scipy.signal.get_window("hann", n, fftbins=True)), as librosa uses.
    return (0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)).astype(np.float32)


def mel_spectrogram(wav: FloatArray) -> FloatArray:
    """``(frames, 40)`` mel power spectrogram; frame ``i`` is centred on sample ``160 * i``."""
    padded = np.pad(wav.astype(np.float32, copy=False), N_FFT // 2)
    frames = 1 + (len(padded) - N_FFT) // HOP if len(padded) >= N_FFT else 0
    if frames == 0:
        return np.zeros((0, N_MELS), dtype=np.float32)
    strides = (padded.strides[0] * HOP, padded.strides[0])
    framed = np.lib.stride_tricks.as_strided(padded, (frames, N_FFT), strides, writeable=False)
    spectrum = np.fft.rfft(framed * _window(), axis=1)
    power = (spectrum.real**2 + spectrum.imag**2).astype(np.float32)
    mel: FloatArray = power @ mel_filters().T
    return mel


def normalize_volume(wav: FloatArray, target_dbfs: float = TARGET_DBFS) -> FloatArray:
    """Raise (never lower) the loudness to ``target_dbfs``, as Resemblyzer's preprocessing."""
    rms = float(np.sqrt(np.mean((wav.astype(np.float64) * INT16_MAX) ** 2))) if len(wav) else 0.0
    if rms == 0.0:
        return wav
    change = target_dbfs - 20 * float(np.log10(rms / INT16_MAX))
    if change < 0:
        return wav
    louder: FloatArray = (wav * 10 ** (change / 20)).astype(np.float32)
    return louder
