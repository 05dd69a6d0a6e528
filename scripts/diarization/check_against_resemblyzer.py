"""Check the torch-free GE2E front-end and encoder against Resemblyzer itself.

Run where torch, librosa and Resemblyzer are installed (never needed by the service or tests):

    python -m venv /tmp/ref && /tmp/ref/bin/pip install torch==2.13.0 resemblyzer av "setuptools<81"
    PYTHONPATH=. /tmp/ref/bin/python scripts/diarization/check_against_resemblyzer.py

Prints, on the committed test voices, the largest relative difference of the mel spectrograms
(ours vs librosa) and the lowest cosine similarity of the embeddings (ours, float16 weights, vs
Resemblyzer's torch model): per 1.6 s window and per whole utterance (``embed_utterance``).
Exits non-zero when they disagree beyond the tolerances below.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import torch
from resemblyzer import VoiceEncoder, audio, preprocess_wav

from reactor.diarization.audio import decode, mixdown
from reactor.diarization.features import mel_spectrogram
from reactor.diarization.ge2e import WINDOW_FRAMES, GE2EEncoder

VOICES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "voices"
MEL_TOLERANCE = 1e-3  # relative to the spectrogram's peak
COSINE_TOLERANCE = 0.999


def main() -> None:
    reference = VoiceEncoder("cpu", verbose=False)
    ours = GE2EEncoder.load()
    worst_mel, worst_window, worst_utterance = 0.0, 1.0, 1.0
    for clip in sorted(VOICES.glob("*.ogg")):
        wav = preprocess_wav(mixdown(decode(clip)), source_sr=None)
        theirs_mel = audio.wav_to_mel_spectrogram(wav)
        our_mel = mel_spectrogram(wav)
        worst_mel = max(worst_mel, float(np.abs(theirs_mel - our_mel).max() / theirs_mel.max()))
        windows = np.stack([theirs_mel[i : i + WINDOW_FRAMES] for i in (0, 40, 80)])
        with torch.no_grad():
            expected = reference(torch.from_numpy(windows)).numpy()
        got = ours.forward(windows)
        worst_window = min(worst_window, float(np.min(np.sum(expected * got, axis=1))))
        utterance = reference.embed_utterance(wav)
        _, mel_slices = reference.compute_partial_slices(len(wav), 1.3, 0.75)
        padded = np.pad(wav, (0, max(0, mel_slices[-1].stop * 160 - len(wav))))
        mel = mel_spectrogram(padded)
        partials = ours.forward(np.stack([mel[s] for s in mel_slices]))
        mean = partials.mean(axis=0)
        worst_utterance = min(worst_utterance, float(utterance @ (mean / np.linalg.norm(mean))))
    print(f"mel: largest difference {worst_mel:.2e} of the peak (tolerance {MEL_TOLERANCE})")
    print(f"window embeddings: lowest cosine {worst_window:.6f} (tolerance {COSINE_TOLERANCE})")
    print(f"utterance embeddings: lowest cosine {worst_utterance:.6f}")
    if worst_mel > MEL_TOLERANCE or min(worst_window, worst_utterance) < COSINE_TOLERANCE:
        sys.exit("the numpy encoder disagrees with Resemblyzer")


if __name__ == "__main__":
    main()
