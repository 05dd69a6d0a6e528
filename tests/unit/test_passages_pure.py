"""Passage cutting, rank fusion and the exact scan's helpers: pure, no I/O."""

from __future__ import annotations

import uuid

import numpy as np
import pytest

from voxpersona.embeddings.base import normalised
from voxpersona.passages.cutting import (
    CutRules,
    Segment,
    cut_passages,
    segments_from_json,
    transcript_fingerprint,
)
from voxpersona.passages.ranking import reciprocal_rank_fusion, top_per_group
from voxpersona.passages.search import VectorCache, _Matrix, best_rows


def steady(
    count: int, *, length: float = 5.0, gap: float = 0.2, speaker: str | None = None
) -> list[Segment]:
    """``count`` segments of ``length`` seconds separated by short breaths."""
    return [
        Segment(i * (length + gap), i * (length + gap) + length, f"word{i}", speaker)
        for i in range(count)
    ]


def test_continuous_speech_is_cut_at_the_maximum() -> None:
    passages = cut_passages(steady(30))  # 155 s of one speaker without pauses
    assert [p.seq for p in passages] == list(range(len(passages)))
    assert all(p.end - p.start <= 60.0 for p in passages)
    assert len(passages) == 3
    assert " ".join(p.text for p in passages).split() == [f"word{i}" for i in range(30)]


def test_a_pause_ends_a_passage_once_it_is_long_enough() -> None:
    first = steady(5)  # 0–25.8 s
    later = [Segment(s.start + 40, s.end + 40, s.text + "b") for s in steady(5)]
    passages = cut_passages(first + later)
    assert [(p.start, round(p.end, 1)) for p in passages] == [(0.0, 25.8), (40.0, 65.8)]


def test_a_pause_before_the_minimum_does_not_cut() -> None:
    segments = [Segment(0, 5, "a"), Segment(10, 15, "b"), Segment(16, 30, "c")]
    assert [p.text for p in cut_passages(segments)] == ["a b c"]


def test_speaker_turns_cut_and_short_turns_stay_with_their_neighbours() -> None:
    segments = [
        Segment(0, 22, "Расскажите о бюджете.", "A"),
        Segment(22.1, 45, "Бюджет урезали на треть.", "B"),
        Segment(45.1, 47, "Да.", "A"),
        Segment(47.1, 70, "И это всех беспокоит.", "B"),
    ]
    passages = cut_passages(segments)
    assert passages[0].speaker == "A"
    assert passages[0].text == "Расскажите о бюджете."
    assert (passages[1].speaker, passages[1].text) == ("B", "Бюджет урезали на треть.")
    # A two-second "yes" is too short to stand alone: it opens B's next turn, labelled.
    assert passages[2].speaker is None
    assert passages[2].text == "A: Да.\nB: И это всех беспокоит."
    assert passages[2].embedding_text() == "Да. И это всех беспокоит."
    assert (passages[2].start, passages[2].end) == (45.1, 70)


def test_a_long_segment_is_split_with_proportional_times() -> None:
    words = " ".join(f"w{i}" for i in range(90))
    passages = cut_passages([Segment(0, 150, words)])
    assert len(passages) == 3
    assert [round(p.start) for p in passages] == [0, 50, 100]
    assert passages[-1].end == 150
    assert " ".join(p.text for p in passages) == words


def test_a_short_tail_joins_the_passage_before() -> None:
    segments = [*steady(5), Segment(27.0, 30.0, "tail")]
    passages = cut_passages(segments)
    assert len(passages) == 1
    assert passages[0].text.endswith("tail")


def test_segments_from_json_skips_empty_and_broken_pieces() -> None:
    raw = [
        {"start": 0, "end": 2, "text": " hello "},
        {"start": 2, "end": 3, "text": "  "},
        {"start": "x", "end": 3, "text": "bad"},
        {"start": 3, "end": 5, "text": "there", "speaker": "SPEAKER_01"},
    ]
    assert segments_from_json(raw) == [
        Segment(0.0, 2.0, "hello"),
        Segment(3.0, 5.0, "there", "SPEAKER_01"),
    ]


def test_fingerprint_changes_with_the_transcript() -> None:
    base = steady(3)
    assert transcript_fingerprint(base) == transcript_fingerprint(list(base))
    edited = [*base[:2], Segment(base[2].start, base[2].end, "changed")]
    assert transcript_fingerprint(edited) != transcript_fingerprint(base)


def test_rules_are_validated() -> None:
    with pytest.raises(ValueError, match="min_seconds"):
        CutRules(min_seconds=70, max_seconds=60)


def test_rank_fusion_rewards_agreement() -> None:
    fused = reciprocal_rank_fusion([["a", "b", "c"], ["b", "d"]])
    assert [item for item, _ in fused] == ["b", "a", "d", "c"]
    assert fused[0][1] == pytest.approx(1 / 62 + 1 / 61)
    assert {item for item, _ in fused} == {"a", "b", "c", "d"}
    weighted = reciprocal_rank_fusion([["a"], ["d"]], weights=[1.0, 0.5])
    assert [item for item, _ in weighted] == ["a", "d"]


def test_top_per_group_keeps_the_best_of_each_group() -> None:
    ranked = [("a1", 3.0), ("a2", 2.5), ("b1", 2.0), ("a3", 1.0)]
    kept = top_per_group(ranked, {"a1": "a", "a2": "a", "a3": "a", "b1": "b"}, 1)
    assert kept == [("a1", 3.0), ("b1", 2.0)]


def test_best_rows_orders_by_cosine() -> None:
    vectors = normalised(np.array([[1, 0, 0], [0.8, 0.6, 0], [0, 1, 0], [0, 0, 1]], np.float32))
    query = normalised(np.array([1, 0.1, 0], np.float32))[0]
    assert best_rows(vectors, query, 2) == [0, 1]
    assert best_rows(vectors, query, 10) == [0, 1, 2, 3]
    assert best_rows(np.zeros((0, 3), np.float32), query, 5) == []


def test_vector_cache_checks_generation_and_budget() -> None:
    def entry(generation: int, rows: int) -> _Matrix:
        keys = [(uuid.uuid4(), i) for i in range(rows)]
        return _Matrix(generation, keys, np.zeros((rows, 256), np.float32))

    cache = VectorCache(max_bytes=3 * 1024 * 256 * 4)
    cache.put(1, "m", entry(5, 1000))
    assert cache.get(1, "m", 5) is not None
    assert cache.get(1, "m", 6) is None  # written since: reload
    assert cache.get(1, "other-model", 5) is None
    cache.put(2, "m", entry(1, 1000))
    cache.put(3, "m", entry(1, 1000))
    assert len(cache) == 2  # the least recently used user went
    assert cache.get(1, "m", 5) is None


def test_index_health_judges_lag() -> None:
    from voxpersona.observability.health import Status
    from voxpersona.observability.probes.passages_probe import judge_index
    from voxpersona.passages.store import IndexStats

    def stats(waiting: int, oldest: float) -> IndexStats:
        return IndexStats("m", 10, 2, 8192, waiting, oldest, 0)

    size, lag = judge_index(stats(0, 0.0))
    assert (size.status, lag.status) == (Status.OK, Status.OK)
    assert size.facts["passages"] == 10
    assert judge_index(stats(3, 30.0))[1].status is Status.OK
    stuck = judge_index(stats(3, 3600.0))[1]
    assert stuck.status is Status.DEGRADED
    assert "index rebuild" in stuck.detail
