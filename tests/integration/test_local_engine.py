"""The local faster-whisper engine on real speech, with the real Whisper base model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from reactor.errors import PermanentError
from reactor.transcription.local_engine import LocalWhisperTranscriber, WhisperOptions
from tests.speech import SPEECH, clip, normalise, spoken_text
from voxpersona.lifecycle import StartupError


async def test_english_speech_comes_back_with_ordered_segments(
    local_transcriber: LocalWhisperTranscriber, tmp_path: Path
) -> None:
    path = tmp_path / "voice.ogg"
    path.write_bytes(clip("en_budget"))
    transcript = await local_transcriber.transcribe(path, filename=path.name, language=None)

    assert normalise(spoken_text("en_budget")) in normalise(transcript.text)
    assert transcript.language == "en"
    assert transcript.engine == "local"
    assert transcript.model == "whisper-base-ct2"
    assert transcript.duration is not None
    assert transcript.segments
    ends = [0.0]
    for segment in transcript.segments:
        assert ends[-1] <= segment.start <= segment.end <= transcript.duration + 0.01
        ends.append(segment.end)


async def test_recording_language_is_honoured(
    local_transcriber: LocalWhisperTranscriber, tmp_path: Path
) -> None:
    path = tmp_path / "voice.ogg"
    path.write_bytes(clip("ru_budget"))
    transcript = await local_transcriber.transcribe(path, filename=path.name, language="ru")
    assert transcript.language == "ru"
    assert "бюджет" in normalise(transcript.text)


async def test_event_loop_keeps_running_and_progress_is_reported(
    local_transcriber: LocalWhisperTranscriber, tmp_path: Path
) -> None:
    path = tmp_path / "voice.ogg"
    path.write_bytes(clip("en_budget"))
    ticks = 0
    progress: list[tuple[float, float]] = []

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    task = asyncio.create_task(ticker())
    try:
        await local_transcriber.transcribe(
            path,
            filename=path.name,
            language=None,
            progress=lambda done, total: progress.append((done, total)),
        )
    finally:
        task.cancel()
    # Transcription takes far longer than 10 ms; a blocked loop would leave the ticker at ~0.
    assert ticks >= 10
    assert progress
    assert [done for done, _ in progress] == sorted(done for done, _ in progress)
    assert progress[-1][0] == pytest.approx(progress[-1][1])


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"this is a text file pretending to be audio" * 20, "undecodable_audio"),
        (b"", "undecodable_audio"),
    ],
)
async def test_undecodable_input_is_a_precise_permanent_failure(
    local_transcriber: LocalWhisperTranscriber, tmp_path: Path, content: bytes, code: str
) -> None:
    path = tmp_path / "fake.ogg"
    path.write_bytes(content)
    with pytest.raises(PermanentError) as caught:
        await local_transcriber.transcribe(path, filename=path.name, language=None)
    assert caught.value.code == code


def test_missing_model_stops_startup_naming_the_setting(tmp_path: Path) -> None:
    with pytest.raises(StartupError, match="VOXPERSONA_WHISPER_MODEL"):
        LocalWhisperTranscriber.load(WhisperOptions(model=str(tmp_path / "no-such-model")))


def test_speech_fixtures_are_committed() -> None:
    assert sorted(p.name for p in SPEECH.glob("*.ogg")) == ["en_budget.ogg", "ru_budget.ogg"]
