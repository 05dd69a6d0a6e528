"""Hybrid ranking, pure: reciprocal rank fusion of the vector and the full-text rankings."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import TypeVar

K = TypeVar("K", bound=Hashable)

# Cormack, Clarke & Büttcher (SIGIR 2009), "Reciprocal Rank Fusion outperforms Condorcet and
# individual rank learning methods": k = 60 damps the weight of the very top ranks.
RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Sequence[Sequence[K]], *, k: int = RRF_K, weights: Sequence[float] | None = None
) -> list[tuple[K, float]]:
    """Items of all ``rankings`` (best first each), ordered by ``sum(weight / (k + rank))``.

    Ties keep the order in which items were first seen (earlier rankings first)."""
    if weights is not None and len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[K, float] = {}
    for index, ranking in enumerate(rankings):
        weight = 1.0 if weights is None else weights[index]
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
    return sorted(scores.items(), key=lambda pair: -pair[1])


def top_per_group(
    ranked: Sequence[tuple[K, float]], group: Mapping[K, Hashable], per_group: int
) -> list[tuple[K, float]]:
    """Keep at most ``per_group`` items of each group (a recording), in ranked order."""
    seen: dict[Hashable, int] = {}
    kept: list[tuple[K, float]] = []
    for item, score in ranked:
        key = group[item]
        if seen.get(key, 0) < per_group:
            seen[key] = seen.get(key, 0) + 1
            kept.append((item, score))
    return kept
