"""Diarization's pure parts: window planning, turns, clustering, assignment, DER, stereo."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from reactor.diarization.assignment import TimedText, Word, assign_speakers
from reactor.diarization.base import Diarization, SpeakerBounds, SpeakerTurn
from reactor.diarization.clustering import cluster
from reactor.diarization.der import diarization_error_rate
from reactor.diarization.features import mel_filters, mel_spectrogram, normalize_volume
from reactor.diarization.planning import plan_windows, turns_from_labels
from reactor.diarization.stereo import channel_turns

RATE = 16_000


def diarization(*turns: tuple[float, float, int]) -> Diarization:
    made = tuple(SpeakerTurn(*turn) for turn in turns)
    return Diarization(made, len({t.speaker for t in made}), "clustering", "test", 10.0)


def test_bounds_refuse_nonsense() -> None:
    with pytest.raises(ValueError, match="exact"):
        SpeakerBounds(exact=0)
    with pytest.raises(ValueError, match="minimum <= maximum"):
        SpeakerBounds(minimum=3, maximum=2)
    assert (SpeakerBounds(exact=2).low, SpeakerBounds(exact=2).high) == (2, 2)
    assert (SpeakerBounds(minimum=2, maximum=4).low, SpeakerBounds(maximum=4).high) == (2, 4)


def test_windows_cover_each_region_and_own_it_without_gaps() -> None:
    planned = plan_windows(
        [(0, 40_000), (50_000, 60_000), (70_000, 71_000)], window=25_600, hop=12_800, total=80_000
    )
    long_region = [p for p in planned if p[2] < 40_000]
    assert (long_region[0][0], long_region[-1][1]) == (0, 40_000)  # the windows span the region
    owned = [(p[2], p[3]) for p in long_region]
    assert (owned[0][0], owned[-1][1]) == (0, 40_000)
    assert all(a[1] == b[0] for a, b in itertools.pairwise(owned))
    short = [p for p in planned if p[2] == 50_000]
    assert short == [(42_200, 67_800, 50_000, 60_000)]  # one window centred on the short region
    assert not [p for p in planned if p[2] == 70_000]  # 1000 samples: too short to embed


def test_turns_merge_one_speaker_and_number_by_first_appearance() -> None:
    owned = [(0, 16_000), (16_000, 32_000), (40_000, 48_000), (80_000, 96_000)]
    turns = turns_from_labels(owned, [5, 5, 2, 5], sample_rate=RATE)
    assert turns == (SpeakerTurn(0.0, 2.0, 1), SpeakerTurn(2.5, 3.0, 2), SpeakerTurn(5.0, 6.0, 1))


def _voices(count: int, per_voice: int, spread: float, seed: int = 7) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(count, 64))
    rows = [c + spread * rng.normal(size=(per_voice, 64)) for c in centres]
    return np.concatenate(rows).astype(np.float32)


def test_clustering_finds_the_speaker_count_and_honours_bounds() -> None:
    embeddings = _voices(3, 12, spread=0.15)
    labels = cluster(embeddings, SpeakerBounds())
    assert len(set(labels.tolist())) == 3
    assert all(len(set(labels[i * 12 : (i + 1) * 12].tolist())) == 1 for i in range(3))
    assert len(set(cluster(embeddings, SpeakerBounds(exact=2)).tolist())) == 2
    assert len(set(cluster(embeddings, SpeakerBounds(maximum=2)).tolist())) == 2
    one_voice = _voices(1, 20, spread=0.15)
    assert len(set(cluster(one_voice, SpeakerBounds()).tolist())) == 1
    assert len(set(cluster(one_voice, SpeakerBounds(minimum=2)).tolist())) == 2


def test_clustering_folds_a_tiny_cluster_into_its_nearest_speaker() -> None:
    embeddings = np.concatenate([_voices(2, 15, spread=0.15), _voices(1, 1, 0.0, seed=3)])
    labels = cluster(embeddings, SpeakerBounds())
    assert len(set(labels.tolist())) == 2


def test_segments_take_the_speaker_they_overlap_most() -> None:
    found = diarization((0.0, 4.0, 1), (4.2, 9.0, 2))
    segments = [
        TimedText(0.0, 3.0, "hello"),
        TimedText(3.5, 8.0, "hi there"),
        TimedText(9.5, 9.8, "mm"),
    ]
    assert [s.speaker for s in assign_speakers(segments, found)] == [1, 2, 2]


def test_words_split_a_segment_where_the_speaker_changes() -> None:
    found = diarization((0.0, 2.0, 1), (2.1, 4.0, 2))
    words = [
        Word(0.1, 0.5, " So"),
        Word(0.6, 1.9, " agreed?"),
        Word(2.2, 2.6, " Yes,"),
        Word(2.7, 3.5, " agreed."),
    ]
    parts = assign_speakers([TimedText(0.1, 3.5, "So agreed? Yes, agreed.", words)], found)
    assert [(p.speaker, p.text, p.start, p.end) for p in parts] == [
        (1, "So agreed?", 0.1, 1.9),
        (2, "Yes, agreed.", 2.2, 3.5),
    ]


def test_nobody_diarized_leaves_segments_without_speaker() -> None:
    empty = Diarization((), 0, "single", "test", 1.0)
    assert assign_speakers([TimedText(0, 1, "x")], empty)[0].speaker is None


def test_der_counts_miss_false_alarm_and_confusion_under_the_best_mapping() -> None:
    reference = [SpeakerTurn(0, 10, 1), SpeakerTurn(10, 20, 2)]
    swapped = [SpeakerTurn(0, 10, 2), SpeakerTurn(10, 20, 1)]
    assert diarization_error_rate(reference, swapped) == 0.0
    confused = [SpeakerTurn(0, 12, 1), SpeakerTurn(12, 20, 2)]
    assert diarization_error_rate(reference, confused) == pytest.approx(0.1)
    missed = [SpeakerTurn(0, 10, 1), SpeakerTurn(10, 18, 2)]
    assert diarization_error_rate(reference, missed) == pytest.approx(0.1)
    extra = [*reference, SpeakerTurn(20, 24, 2)]
    assert diarization_error_rate(reference, extra) == pytest.approx(0.2)
    assert diarization_error_rate(reference, [SpeakerTurn(0, 20, 1)]) == pytest.approx(0.5)


def _burst(seconds: float, seed: int) -> np.ndarray:
    return (0.2 * np.random.default_rng(seed).normal(size=int(seconds * RATE))).astype(np.float32)


def test_stereo_channels_become_speakers_when_each_holds_the_floor() -> None:
    audio = np.zeros((2, 8 * RATE), dtype=np.float32)
    audio[0, 0 : 3 * RATE] = _burst(3, 1)
    audio[1, 0 : 3 * RATE] = 0.03 * _burst(3, 1)  # crosstalk, 16 dB down
    audio[1, 4 * RATE : 7 * RATE] = _burst(3, 2)
    turns = channel_turns(audio, [(0, 3 * RATE), (4 * RATE, 7 * RATE)])
    assert turns == (SpeakerTurn(0.0, 3.0, 1), SpeakerTurn(4.0, 7.0, 2))


def test_duplicated_or_panned_mono_is_not_channel_per_speaker() -> None:
    mono = np.concatenate([_burst(3, 1), np.zeros(RATE, np.float32), _burst(3, 2)])
    regions = [(0, 3 * RATE), (4 * RATE, 7 * RATE)]
    assert channel_turns(np.stack([mono, mono]), regions) is None
    assert channel_turns(np.stack([mono, 0.7 * mono]), regions) is None
    assert channel_turns(mono[None, :], regions) is None


def test_mel_front_end_shape_and_band_of_a_tone() -> None:
    filters = mel_filters()
    assert filters.shape == (40, 201)
    assert (filters >= 0).all()
    tone = np.sin(2 * np.pi * 440 * np.arange(RATE) / RATE).astype(np.float32)
    mel = mel_spectrogram(tone)
    assert mel.shape == (101, 40)
    band = int(np.argmax(mel[50]))
    assert filters[band, round(440 / 40)] == filters[:, round(440 / 40)].max()
    quiet = 0.001 * tone
    assert np.sqrt(np.mean((normalize_volume(quiet) * 32767) ** 2)) == pytest.approx(
        32767 * 10 ** (-30 / 20), rel=1e-3
    )
    assert normalize_volume(tone) is tone  # never made quieter


def test_many_windows_are_clustered_from_a_sample_and_all_labelled() -> None:
    embeddings = _voices(2, 60, spread=0.15)
    labels = cluster(embeddings, SpeakerBounds(), max_clustered=30)
    assert len(labels) == 120
    assert len(set(labels[:60].tolist())) == 1
    assert len(set(labels[60:].tolist())) == 1
    assert labels[0] != labels[60]


def test_exact_count_is_not_spent_on_an_outlier_window() -> None:
    voices = _voices(3, 15, spread=0.15)
    outlier = -voices.mean(axis=0, keepdims=True)  # far from everyone: a plain cut isolates it
    labels = cluster(np.concatenate([voices, outlier]), SpeakerBounds(exact=3))
    assert len(set(labels.tolist())) == 3
    assert all(len(set(labels[i * 15 : (i + 1) * 15].tolist())) == 1 for i in range(3))
