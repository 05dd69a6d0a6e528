"""Stitching chunk transcripts: clock offsets, order, and the words an overlap repeats."""

from __future__ import annotations

import pytest

from reactor.chunking import Chunk
from reactor.stitching import ChunkTranscript, overlap_cut, stitch
from reactor.transcription import Segment, Transcript


def part(index: int, start: float, end: float, *texts: str, lang: str = "ru") -> ChunkTranscript:
    step = (end - start) / len(texts)
    segments = [Segment(start=i * step, end=(i + 1) * step, text=t) for i, t in enumerate(texts)]
    transcript = Transcript(
        text=" ".join(texts), language=lang, segments=segments, engine="openai", model="whisper-1"
    )
    return ChunkTranscript(Chunk(index, start, end), transcript)


def test_overlap_words_are_kept_once() -> None:
    tail = ["мы", "обсудили", "сроки", "проекта", "и", "бюджет"]
    head = ["проекта", "и", "бюджет", "на", "четверг"]
    assert overlap_cut(tail, head) == (0, 3)


def test_fragments_at_the_cut_are_dropped() -> None:
    tail = ["we", "agreed", "to", "meet", "on", "thurs"]  # "thurs" is sliced by the cut
    head = ["ay", "to", "meet", "on", "thursday", "again"]  # "ay": the other half
    drop_tail, drop_head = overlap_cut(tail, head)
    merged = tail[: len(tail) - drop_tail] + head[drop_head:]
    assert merged == ["we", "agreed", "to", "meet", "on", "thursday", "again"]


def test_punctuation_and_case_do_not_hide_a_repeat() -> None:
    assert overlap_cut(["Hello,", "World."], ["world", "and", "more"]) == (0, 1)


def test_a_lone_common_word_away_from_the_edges_is_not_a_repeat() -> None:
    assert overlap_cut(["one", "and", "two", "three"], ["four", "and", "five"]) == (0, 0)
    assert overlap_cut([], ["x"]) == (0, 0)


def test_stitch_offsets_segments_and_keeps_order() -> None:
    parts = [
        part(2, 1000.0, 1500.0, "третья часть"),
        part(0, 0.0, 500.0, "первая часть", "ещё"),
        part(1, 500.0, 1000.0, "вторая часть"),
    ]
    result = stitch(parts, duration=1500.0)
    assert result.text == "первая часть ещё вторая часть третья часть"
    assert [s.start for s in result.segments] == [0.0, 250.0, 500.0, 1000.0]
    assert result.segments[-1].end == 1500.0
    assert result.duration == 1500.0
    assert result.language == "ru"


def test_stitch_removes_words_heard_twice_in_an_overlap() -> None:
    parts = [
        part(0, 0.0, 600.0, "начало разговора", "мы встретимся в четверг утром"),
        part(1, 598.0, 1200.0, "в четверг утром и обсудим бюджет", "конец"),
    ]
    result = stitch(parts)
    assert result.text == "начало разговора мы встретимся в четверг утром и обсудим бюджет конец"
    assert result.segments[2].start == pytest.approx(598.0)
    assert result.segments[2].text == "и обсудим бюджет"


def test_stitch_needs_parts() -> None:
    with pytest.raises(ValueError, match="nothing"):
        stitch([])
