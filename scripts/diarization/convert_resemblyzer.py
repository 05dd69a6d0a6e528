"""Convert Resemblyzer's GE2E weights (``pretrained.pt``) to the .npz the reactor ships.

Reproducible, and needs neither torch nor Resemblyzer installed: the wheel is a zip and
``pretrained.pt`` is a legacy (pre-1.6) torch checkpoint, i.e. a few pickles followed by the raw
little-endian float32 storages, which this script reads with the standard library and numpy.

    pip download --no-deps resemblyzer==0.1.4 -d /tmp/resemblyzer
    python scripts/diarization/convert_resemblyzer.py \
        /tmp/resemblyzer/Resemblyzer-0.1.4-py3-none-any.whl

writes ``reactor/diarization/models/ge2e_resemblyzer.npz``: the LSTM and linear weights only
(the checkpoint's optimizer state is dropped), stored as float16 (half the size; the embeddings
match the original within the tolerance ``check_against_resemblyzer.py`` verifies). Resemblyzer
is Apache-2.0: its licence travels next to the weights (``RESEMBLYZER-LICENSE``).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import io
import pickle
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

PRETRAINED_SHA256 = "39373b86598fa3da9fcddee6142382efe09777e8d37dc9c0561f41f0070f134e"
OUT_DIR = Path(__file__).resolve().parents[2] / "reactor" / "diarization" / "models"
LEGACY_MAGIC = 0x1950A86A20F9469CFC6C
KEPT = ("lstm.", "linear.")


class _Storage:
    def __init__(self, key: str, numel: int) -> None:
        self.key, self.numel = key, numel
        self.data: np.ndarray | None = None


class _TensorRef:
    def __init__(self, storage: _Storage, offset: int, size: tuple[int, ...]) -> None:
        self.storage, self.offset, self.size = storage, offset, size

    def array(self) -> np.ndarray:
        assert self.storage.data is not None
        count = int(np.prod(self.size))
        flat = self.storage.data[self.offset : self.offset + count]
        return flat.reshape(self.size).copy()  # all tensors here are contiguous (stride check)


class _CheckpointUnpickler(pickle.Unpickler):
    """Rebuilds tensors as references into storages that are read afterwards."""

    def __init__(self, file: io.BufferedIOBase, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self.storages = storages

    def find_class(self, module: str, name: str) -> Any:
        if module == "collections" and name == "OrderedDict":
            return collections.OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return self._rebuild
        if module == "torch" and name.endswith("Storage"):
            if name != "FloatStorage":
                raise ValueError(f"unexpected storage type {name}")
            return name
        raise pickle.UnpicklingError(f"refusing {module}.{name}")

    @staticmethod
    def _rebuild(
        storage: _Storage, offset: int, size: tuple[int, ...], stride: tuple[int, ...], *_: Any
    ) -> _TensorRef:
        expected = tuple(int(np.prod(size[i + 1 :])) for i in range(len(size)))
        if tuple(stride) != expected:
            raise ValueError("non-contiguous tensor")
        return _TensorRef(storage, offset, tuple(size))

    def persistent_load(self, pid: Any) -> _Storage:
        kind, _storage_type, key, _location, numel, view = pid
        if kind != "storage" or view is not None:
            raise ValueError(f"unexpected persistent id {pid!r}")
        return self.storages.setdefault(key, _Storage(key, numel))


def read_legacy_checkpoint(data: bytes) -> dict[str, np.ndarray]:
    """The ``model_state`` arrays of a legacy torch checkpoint."""
    stream = io.BytesIO(data)
    if pickle.load(stream) != LEGACY_MAGIC or pickle.load(stream) != 1001:
        raise ValueError("not a legacy torch checkpoint")
    sys_info = pickle.load(stream)
    if not sys_info.get("little_endian", False):
        raise ValueError("big-endian checkpoint")
    storages: dict[str, _Storage] = {}
    checkpoint = _CheckpointUnpickler(stream, storages).load()
    for key in pickle.load(stream):
        numel = int(np.frombuffer(stream.read(8), dtype="<i8")[0])
        storage = storages[key]
        if numel != storage.numel:
            raise ValueError(f"storage {key}: {numel} != {storage.numel}")
        storage.data = np.frombuffer(stream.read(numel * 4), dtype="<f4")
    return {name: ref.array() for name, ref in checkpoint["model_state"].items()}


def pretrained_bytes(source: Path) -> tuple[bytes, bytes]:
    """``pretrained.pt`` and the licence text, from the wheel (or a .pt beside a LICENSE)."""
    if source.suffix == ".whl":
        with zipfile.ZipFile(source) as wheel:
            names = wheel.namelist()
            licence = next(n for n in names if n.endswith(".dist-info/LICENSE"))
            return wheel.read("resemblyzer/pretrained.pt"), wheel.read(licence)
    return source.read_bytes(), (source.parent / "LICENSE").read_bytes()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path, help="Resemblyzer-0.1.4 wheel or pretrained.pt")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args()
    checkpoint, licence = pretrained_bytes(args.source)
    digest = hashlib.sha256(checkpoint).hexdigest()
    print(f"pretrained.pt sha256 {digest}")
    if digest != PRETRAINED_SHA256:
        sys.exit(f"unexpected pretrained.pt (expected sha256 {PRETRAINED_SHA256})")
    state = read_legacy_checkpoint(checkpoint)
    kept = {
        k.replace(".", "_"): v.astype(np.float16) for k, v in state.items() if k.startswith(KEPT)
    }
    args.out_dir.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out_dir / "ge2e_resemblyzer.npz", **kept)
    (args.out_dir / "RESEMBLYZER-LICENSE").write_bytes(licence)
    for name, array in sorted(kept.items()):
        print(f"{name}: {array.shape}")


if __name__ == "__main__":
    main()
