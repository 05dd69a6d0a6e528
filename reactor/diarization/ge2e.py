"""Resemblyzer's GE2E speaker encoder as a numpy forward pass: no torch at service time.

The network is a 3-layer LSTM (40 mel bands in, 256 hidden) whose last hidden state goes through
a 256x256 linear layer, ReLU and L2 normalisation. The weights ship with the reactor as float16
(``models/ge2e_resemblyzer.npz``, converted from the Resemblyzer wheel's ``pretrained.pt`` by
``scripts/diarization/convert_resemblyzer.py``; Apache-2.0, licence beside them). The forward pass
matches torch's ``nn.LSTM`` gate layout (input, forget, cell, output).
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from reactor.diarization.base import FloatArray
from reactor.diarization.features import HOP, mel_spectrogram, normalize_volume

LAYERS = 3
HIDDEN = 256
WINDOW_FRAMES = 160  # 1.6 s, the partial-utterance length GE2E was trained on
BATCH = 64  # windows per forward pass: bounds memory (64 x 160 x 1024 floats per layer)


def bundled_model_path() -> Path:
    """The embedded default model, inside the installed package."""
    return Path(str(resources.files("reactor.diarization.models") / "ge2e_resemblyzer.npz"))


def _sigmoid(x: FloatArray) -> FloatArray:
    result: FloatArray = (0.5 * (1.0 + np.tanh(0.5 * x))).astype(np.float32, copy=False)
    return result


def _required_arrays() -> set[str]:
    kinds = ("weight_ih", "weight_hh", "bias_ih", "bias_hh")
    lstm = {f"lstm_{kind}_l{layer}" for kind in kinds for layer in range(LAYERS)}
    return lstm | {"linear_weight", "linear_bias"}


class GE2EEncoder:
    """The embedder of :class:`reactor.diarization.base.SpeakerEmbedder` for GE2E weights."""

    sample_rate = 16_000
    window_seconds = WINDOW_FRAMES * HOP / 16_000

    def __init__(self, weights: dict[str, FloatArray], *, name: str) -> None:
        self.name = name
        self._w = weights

    @classmethod
    def load(cls, path: Path | None = None) -> GE2EEncoder:
        """Load the weights (float32 in memory) from ``path`` or the bundled file."""
        path = path or bundled_model_path()
        with np.load(path) as archive:
            weights = {key: archive[key].astype(np.float32) for key in archive.files}
        missing = _required_arrays() - set(weights)
        if missing:
            raise ValueError(f"not a GE2E weights file (missing {', '.join(sorted(missing))})")
        name = "resemblyzer-ge2e" if path == bundled_model_path() else f"ge2e:{path.stem}"
        return cls(weights, name=name)

    def forward(self, mels: FloatArray) -> FloatArray:
        """Embeddings of a batch of ``(batch, frames, 40)`` mel windows, ``(batch, 256)``."""
        x = mels.astype(np.float32, copy=False)
        hidden = np.zeros((x.shape[0], HIDDEN), dtype=np.float32)
        for layer in range(LAYERS):
            w_ih, w_hh = self._w[f"lstm_weight_ih_l{layer}"], self._w[f"lstm_weight_hh_l{layer}"]
            bias = self._w[f"lstm_bias_ih_l{layer}"] + self._w[f"lstm_bias_hh_l{layer}"]
            # The input projection of every frame at once; only the recurrence is sequential.
            projected = x @ w_ih.T + bias
            w_hh_t = np.ascontiguousarray(w_hh.T)
            hidden = np.zeros((x.shape[0], HIDDEN), dtype=np.float32)
            cell = np.zeros_like(hidden)
            outputs = np.empty((x.shape[0], x.shape[1], HIDDEN), dtype=np.float32)
            for t in range(x.shape[1]):
                gates = projected[:, t] + hidden @ w_hh_t
                i, f = _sigmoid(gates[:, :HIDDEN]), _sigmoid(gates[:, HIDDEN : 2 * HIDDEN])
                g, o = np.tanh(gates[:, 2 * HIDDEN : 3 * HIDDEN]), _sigmoid(gates[:, 3 * HIDDEN :])
                cell = f * cell + i * g
                hidden = o * np.tanh(cell)
                outputs[:, t] = hidden
            x = outputs
        raw = np.maximum(hidden @ self._w["linear_weight"].T + self._w["linear_bias"], 0.0)
        norms = np.linalg.norm(raw, axis=1, keepdims=True)
        embeddings: FloatArray = (raw / np.maximum(norms, 1e-12)).astype(np.float32)
        return embeddings

    def embed(self, audio: FloatArray, windows: list[tuple[int, int]]) -> FloatArray:
        """One embedding per sample range of 16 kHz ``audio`` (each cut or padded to 1.6 s)."""
        if not windows:
            return np.zeros((0, HIDDEN), dtype=np.float32)
        mel = mel_spectrogram(normalize_volume(audio))
        mel = np.pad(mel, ((0, WINDOW_FRAMES), (0, 0)))
        starts = [start // HOP for start, _ in windows]
        out = []
        for first in range(0, len(starts), BATCH):
            batch = np.stack([mel[s : s + WINDOW_FRAMES] for s in starts[first : first + BATCH]])
            out.append(self.forward(batch))
        return np.concatenate(out)
