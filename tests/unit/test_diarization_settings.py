"""Diarization settings: defaults, speaker bounds and their errors, the diarizer's options."""

from __future__ import annotations

from pathlib import Path

import pytest

from reactor.diarization.config import diarizer_options, speaker_bounds
from voxpersona.settings import ConfigError, VoxSettings, load_settings


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    for name in ("SPEAKERS", "MIN_SPEAKERS", "MAX_SPEAKERS", "MODEL", "ENABLED", "PARALLEL"):
        monkeypatch.delenv(f"VOXPERSONA_DIARIZATION_{name}", raising=False)


def test_defaults_find_the_count_automatically_with_the_bundled_model() -> None:
    vox = load_settings(VoxSettings)
    assert vox.diarization_enabled is True
    bounds = speaker_bounds(vox)
    assert (bounds.exact, bounds.low, bounds.high) == (None, 1, 8)
    assert diarizer_options(vox).model_path is None


def test_exact_count_and_model_path_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXPERSONA_DIARIZATION_SPEAKERS", "2")
    monkeypatch.setenv("VOXPERSONA_DIARIZATION_MODEL", "/models/speaker.onnx")
    monkeypatch.setenv("VOXPERSONA_DIARIZATION_ENABLED", "false")
    vox = load_settings(VoxSettings)
    assert vox.diarization_enabled is False
    assert speaker_bounds(vox).exact == 2
    assert speaker_bounds(vox, exact=3).exact == 3  # a user's choice for one recording wins
    assert diarizer_options(vox).model_path == Path("/models/speaker.onnx")


def test_inverted_bounds_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXPERSONA_DIARIZATION_MIN_SPEAKERS", "4")
    monkeypatch.setenv("VOXPERSONA_DIARIZATION_MAX_SPEAKERS", "3")
    with pytest.raises(ConfigError, match="VOXPERSONA_DIARIZATION_MAX_SPEAKERS"):
        load_settings(VoxSettings)
    monkeypatch.setenv("VOXPERSONA_DIARIZATION_MAX_SPEAKERS", "0")
    with pytest.raises(ConfigError, match="VOXPERSONA_DIARIZATION_MAX_SPEAKERS"):
        load_settings(VoxSettings)
