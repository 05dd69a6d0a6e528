"""Passages of users' recordings: cutting, embedding, storage and hybrid search.

This package owns the ``passages``, ``passage_recordings`` and ``passage_users`` tables.
"""

from voxpersona.passages.cutting import CutRules, Passage, Segment, cut_passages
from voxpersona.passages.indexer import PassageIndexer, RebuildReport, TranscriptSource
from voxpersona.passages.schema import ensure_schema
from voxpersona.passages.search import PassageHit, PassageSearch, VectorCache
from voxpersona.passages.store import IndexStats, PassageStore, index_stats

__all__ = [
    "CutRules",
    "IndexStats",
    "Passage",
    "PassageHit",
    "PassageIndexer",
    "PassageSearch",
    "PassageStore",
    "RebuildReport",
    "Segment",
    "TranscriptSource",
    "VectorCache",
    "cut_passages",
    "ensure_schema",
    "index_stats",
]
