"""Diarization with real embeddings (the bundled GE2E model) on conversations with known turns.

The voices are espeak-ng's (both sexes, both languages, two male Russian voices) plus the
project's real-speech clips; the reference turns are where each clip sounds.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from reactor.diarization.base import SpeakerBounds
from reactor.diarization.config import build_diarizer, speaker_bounds
from reactor.diarization.der import diarization_error_rate
from reactor.diarization.engine import DiarizerOptions, LocalDiarizer
from reactor.diarization.ge2e import bundled_model_path
from reactor.errors import PermanentError
from tests.conversations import conversation, encode_wav, utterance
from voxpersona.lifecycle import StartupError
from voxpersona.settings import VoxSettings

MAX_DER = 0.10


def alternating(*speakers: str, turns: int) -> list[tuple[str, str]]:
    """``turns`` turns cycling through ``speakers``, each saying its next sentence."""
    said: dict[str, int] = {}
    out = []
    for index in range(turns):
        speaker = speakers[index % len(speakers)]
        out.append((speaker, f"{speaker}_{said.get(speaker, 0) % 4}"))
        said[speaker] = said.get(speaker, 0) + 1
    return out


@pytest.fixture(scope="module")
def diarizer() -> Iterator[LocalDiarizer]:
    engine = LocalDiarizer.load(DiarizerOptions())
    yield engine
    engine.close()


@pytest.mark.parametrize(
    "speakers",
    [
        pytest.param(("en_male", "en_female"), id="en-male-female"),
        pytest.param(("ru_male", "ru_male_b"), id="ru-two-males"),
        pytest.param(("ru_female", "ru_male"), id="ru-female-male"),
        pytest.param(("en_male", "en_male_b"), id="en-two-males"),
    ],
)
def test_two_speakers_der_with_count_given_and_found(
    diarizer: LocalDiarizer, speakers: tuple[str, str]
) -> None:
    audio, reference = conversation(alternating(*speakers, turns=6))
    given = diarizer.diarize_samples(audio, SpeakerBounds(exact=2))
    assert (given.method, given.model) == ("clustering", "resemblyzer-ge2e")
    assert diarization_error_rate(reference, given.turns) < MAX_DER
    found = diarizer.diarize_samples(audio, SpeakerBounds())
    assert found.speakers == 2
    assert diarization_error_rate(reference, found.turns) < MAX_DER


@pytest.mark.parametrize(
    "speakers",
    [
        pytest.param(("en_female", "ru_male", "ru_male_b"), id="mixed-languages"),
        pytest.param(("en_male", "en_female", "en_male_b"), id="english"),
    ],
)
def test_three_speakers_counted_automatically(
    diarizer: LocalDiarizer, speakers: tuple[str, str, str]
) -> None:
    audio, reference = conversation(alternating(*speakers, turns=7))
    found = diarizer.diarize_samples(audio, SpeakerBounds())
    assert found.speakers == 3
    assert diarization_error_rate(reference, found.turns) < MAX_DER
    given = diarizer.diarize_samples(audio, SpeakerBounds(exact=3))
    assert diarization_error_rate(reference, given.turns) < MAX_DER


@pytest.mark.parametrize(
    ("clip", "same_voice", "other"),
    [("ru_budget", "ru_male", "ru_female"), ("en_budget", "en_male", "en_female")],
)
def test_real_speech_clips_in_a_conversation(
    diarizer: LocalDiarizer, clip: str, same_voice: str, other: str
) -> None:
    # The project's speech clip and sentences of the same voice are one speaker.
    turns = [
        ("a", clip),
        ("b", f"{other}_0"),
        ("a", f"{same_voice}_1"),
        ("b", f"{other}_2"),
        ("a", clip),
        ("b", f"{other}_1"),
        ("a", f"{same_voice}_3"),
    ]
    audio, reference = conversation(turns)
    found = diarizer.diarize_samples(audio, SpeakerBounds())
    assert found.speakers == 2
    assert diarization_error_rate(reference, found.turns) < MAX_DER


def test_one_voice_is_one_speaker_and_a_short_clip_has_no_clustering(
    diarizer: LocalDiarizer,
) -> None:
    audio, _ = conversation(alternating("ru_female", turns=4))
    assert diarizer.diarize_samples(audio, SpeakerBounds()).speakers == 1
    short, _ = conversation([("a", "en_female_2")])
    result = diarizer.diarize_samples(short, SpeakerBounds())
    assert (result.method, result.speakers) == ("single", 1)
    assert result.turns[0].start < 0.5


async def test_stereo_call_is_split_by_channel_from_a_file(
    diarizer: LocalDiarizer, tmp_path: Path
) -> None:
    audio, reference = conversation(alternating("ru_male", "ru_male_b", turns=6), stereo=True)
    path = tmp_path / "call.wav"
    path.write_bytes(encode_wav(audio))
    result = await diarizer.diarize(path, bounds=SpeakerBounds())
    assert (result.method, result.speakers) == ("stereo", 2)
    assert diarization_error_rate(reference, result.turns) < MAX_DER
    mono = tmp_path / "mono.wav"
    mono.write_bytes(encode_wav(audio.mean(axis=0, keepdims=True)))
    assert (await diarizer.diarize(mono, bounds=SpeakerBounds())).method == "clustering"


async def test_model_loads_from_a_configured_path(tmp_path: Path) -> None:
    copy = tmp_path / "speaker-model.npz"
    copy.write_bytes(bundled_model_path().read_bytes())
    vox = VoxSettings(diarization_model=copy, diarization_speakers=2)
    engine = build_diarizer(vox)
    try:
        assert engine.model == "ge2e:speaker-model"
        audio, reference = conversation(alternating("en_male", "en_female", turns=6))
        path = tmp_path / "talk.wav"
        path.write_bytes(encode_wav(audio))
        result = await engine.diarize(path, bounds=speaker_bounds(vox))
        assert result.model == "ge2e:speaker-model"
        assert diarization_error_rate(reference, result.turns) < MAX_DER
    finally:
        engine.close()
    with pytest.raises(StartupError, match="does not exist"):
        LocalDiarizer.load(DiarizerOptions(model_path=tmp_path / "missing.onnx"))
    broken = tmp_path / "broken.npz"
    broken.write_bytes(b"not a zip")
    with pytest.raises(StartupError, match="cannot be loaded"):
        LocalDiarizer.load(DiarizerOptions(model_path=broken))
    assert utterance("en_budget").size > 0


async def test_bad_or_silent_audio_fails_precisely_or_has_nobody(
    diarizer: LocalDiarizer, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.ogg"
    broken.write_bytes(b"OggS" + b"\x00" * 200)
    with pytest.raises(PermanentError) as caught:
        await diarizer.diarize(broken, bounds=SpeakerBounds())
    assert caught.value.code in {"undecodable_audio", "not_audio"}
    silent = tmp_path / "silent.wav"
    silent.write_bytes(encode_wav(np.zeros((1, 5 * 16_000), dtype=np.float32)))
    result = await diarizer.diarize(silent, bounds=SpeakerBounds())
    assert (result.method, result.speakers, result.turns) == ("single", 0, ())
    assert result.duration == pytest.approx(5.0)
