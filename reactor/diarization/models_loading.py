"""Which speaker embedder to load: the bundled GE2E weights, or a production model by path.

- nothing configured: the GE2E d-vector bundled with the reactor (``resemblyzer-ge2e``);
- a ``.npz`` file: GE2E weights in the bundled file's layout;
- a ``.onnx`` file: a speaker-embedding network over 80-band log filterbanks (WeSpeaker
  ResNet34, 3D-Speaker CAM++, ECAPA-TDNN exports, as sherpa-onnx distributes them).
"""

from __future__ import annotations

from pathlib import Path

from reactor.diarization.base import SpeakerEmbedder
from reactor.diarization.ge2e import GE2EEncoder
from voxpersona.lifecycle import StartupError

MODEL_SETTING = "VOXPERSONA_DIARIZATION_MODEL"


def load_embedder(path: Path | None, *, device: str = "auto") -> SpeakerEmbedder:
    """The embedder for ``path``; a missing or unreadable file is a :class:`StartupError`."""
    if path is None:
        return GE2EEncoder.load()
    if not path.is_file():
        raise StartupError(f"configuration error: {MODEL_SETTING}={str(path)!r} does not exist")
    try:
        if path.suffix == ".npz":
            return GE2EEncoder.load(path)
        if path.suffix == ".onnx":
            from reactor.diarization.onnx_embedder import OnnxEmbedder

            embedder: SpeakerEmbedder = OnnxEmbedder.load(path, device=device)
            return embedder
    except Exception as exc:
        raise StartupError(
            f"configuration error: {MODEL_SETTING}={str(path)!r} cannot be loaded "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from None
    raise StartupError(
        f"configuration error: {MODEL_SETTING} must name a .onnx or .npz file, got {path.name!r}"
    )
