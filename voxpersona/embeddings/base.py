"""The embedding interface both services use: the reactor embeds passages, the bot queries."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
import numpy.typing as npt

Vectors = npt.NDArray[np.float32]


class EmbeddingError(Exception):
    """Embedding failed. ``transient``: worth retrying later (network, 429, 5xx)."""

    def __init__(self, code: str, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.code = code
        self.transient = transient


class Embedder(Protocol):
    """Turns text into L2-normalised float32 vectors.

    ``model_id`` names the model and every option that changes its vectors: it is stored with
    each vector, and vectors of another ``model_id`` are never compared with this one's.
    """

    @property
    def model_id(self) -> str: ...

    async def embed_passages(self, texts: Sequence[str]) -> Vectors:
        """One row per text, shape ``(len(texts), dim)``."""
        ...

    async def embed_query(self, text: str) -> Vectors:
        """Shape ``(dim,)``."""
        ...


def normalised(vectors: Vectors) -> Vectors:
    """Rows scaled to unit length (zero rows stay zero), so a dot product is the cosine."""
    matrix = np.atleast_2d(np.asarray(vectors, dtype=np.float32))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    scaled: Vectors = np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)
    return scaled
