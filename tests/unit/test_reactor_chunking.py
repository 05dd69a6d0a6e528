"""Chunk planning for long audio: pauses first, overlapping fixed windows otherwise."""

from __future__ import annotations

import itertools

import pytest

from reactor.chunking import (
    ChunkLimits,
    Envelope,
    find_silences,
    needs_transcoding,
    plan_chunks,
    silence_threshold,
)

LIMITS = ChunkLimits(max_seconds=600, max_bytes=24_000_000, bitrate=24_000, overlap=2.0, search=60)


def test_short_audio_is_one_chunk() -> None:
    [chunk] = plan_chunks(120.0, LIMITS)
    assert (chunk.index, chunk.start, chunk.end) == (0, 0.0, 120.0)


def test_without_pauses_windows_overlap_and_cover_everything() -> None:
    chunks = plan_chunks(1800.0, LIMITS)
    assert [c.index for c in chunks] == list(range(len(chunks)))
    assert chunks[0].start == 0.0
    assert chunks[-1].end == 1800.0
    for before, after in itertools.pairwise(chunks):
        assert after.start == pytest.approx(before.end - LIMITS.overlap)
    assert all(c.duration <= LIMITS.max_chunk_seconds() + 1e-9 for c in chunks)


def test_cuts_fall_in_the_longest_pause_near_the_limit() -> None:
    silences = [(100.0, 101.0), (560.0, 560.5), (570.0, 572.0), (1150.0, 1151.0)]
    chunks = plan_chunks(1500.0, LIMITS, silences)
    assert chunks[0].end == pytest.approx(571.0)  # the 2 s pause beats the 0.5 s one
    assert chunks[1].start == chunks[0].end  # a cut in a pause needs no overlap
    assert chunks[1].end == pytest.approx(1150.5)
    assert chunks[-1].end == 1500.0


def test_pauses_too_early_are_not_used() -> None:
    chunks = plan_chunks(1000.0, LIMITS, [(100.0, 105.0)])
    assert chunks[0].end == pytest.approx(600.0)
    assert chunks[1].start == pytest.approx(598.0)


def test_the_byte_limit_shortens_chunks() -> None:
    small = ChunkLimits(max_seconds=3600, max_bytes=1_000_000, bitrate=32_000)
    assert small.max_chunk_seconds() == pytest.approx(1_000_000 * 8 / 32_000 * 0.9)
    chunks = plan_chunks(3600.0, small)
    assert all(c.duration * 32_000 / 8 < 1_000_000 for c in chunks)


def test_impossible_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="overlap"):
        plan_chunks(100.0, ChunkLimits(max_seconds=3, max_bytes=10**6, bitrate=24_000, overlap=2))
    with pytest.raises(ValueError, match="positive"):
        plan_chunks(0.0, LIMITS)


def test_silences_are_runs_of_quiet_windows() -> None:
    levels = [-20.0] * 10 + [-70.0] * 5 + [-20.0] * 10 + [-70.0] * 2 + [-20.0] * 3 + [-70.0] * 4
    env = Envelope(window=0.1, levels=levels)
    assert silence_threshold(levels) <= -30.0
    found = find_silences(env, min_length=0.3)
    assert found == [pytest.approx((1.0, 1.5)), pytest.approx((3.0, 3.4))]


def test_what_needs_transcoding() -> None:
    ok = {"duration": 60.0, "size": 1000, "limits": LIMITS}
    assert not needs_transcoding(extension="ogg", **ok)  # type: ignore[arg-type]
    assert needs_transcoding(extension="amr", **ok)  # type: ignore[arg-type]
    assert needs_transcoding(extension="oga", **ok)  # type: ignore[arg-type]
    assert needs_transcoding(extension="mp3", duration=601.0, size=1000, limits=LIMITS)
    assert needs_transcoding(extension="mp3", duration=60.0, size=25_000_000, limits=LIMITS)
