"""The local faster-whisper engine on real speech, with the real Whisper base model."""

from __future__ import annotations

import asyncio
import contextlib
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from reactor import media
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


def long_speech(path: Path, repeats: int) -> Path:
    """The English clip ``repeats`` times with a second of silence after each, as 16 kHz WAV."""
    clip_path = path.parent / "clip.ogg"
    clip_path.write_bytes(clip("en_budget"))
    speech = np.concatenate(list(media.pcm_blocks(clip_path)))
    pause = np.zeros(media.CHUNK_RATE, dtype=np.int16)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(media.CHUNK_RATE)
        out.writeframes(np.concatenate([speech, pause] * repeats).tobytes())
    return path


async def test_a_cancelled_job_stops_at_its_next_segment_and_frees_its_slot(
    local_transcriber: LocalWhisperTranscriber, tmp_path: Path
) -> None:
    path = long_speech(tmp_path / "long.wav", repeats=40)  # ~3 minutes: many segments
    reported: list[float] = []
    job = asyncio.create_task(
        local_transcriber.transcribe(
            path, filename=path.name, language="en", progress=lambda d, t: reported.append(d)
        )
    )
    async with asyncio.timeout(300):
        while not reported:  # noqa: ASYNC110 - filled from the engine's thread
            await asyncio.sleep(0.05)
    job.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await job
    at_cancel = len(reported)
    async with asyncio.timeout(120):
        while local_transcriber.running:  # noqa: ASYNC110 - the thread returns on its own
            await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)  # let any report the thread queued reach the loop

    # The thread stopped at the next segment instead of transcribing three minutes for nobody.
    assert len(reported) <= at_cancel + 1
    assert reported[-1] < 60
    short = tmp_path / "short.ogg"
    short.write_bytes(clip("en_budget"))
    transcript = await asyncio.wait_for(
        local_transcriber.transcribe(short, filename=short.name, language="en"), 300
    )
    assert "budget" in normalise(transcript.text)


# A model that yields one segment, then sits inside a long native call (here: a sleep).
_STUCK_JOB = """
import asyncio, sys, time
from pathlib import Path
from types import SimpleNamespace
from reactor.transcription.local_engine import LocalWhisperTranscriber, WhisperOptions

class StuckModel:
    def transcribe(self, path, **options):
        def segments():
            yield SimpleNamespace(start=0.0, end=1.0, text="first")
            time.sleep(600)
            yield SimpleNamespace(start=1.0, end=2.0, text="never")
        return segments(), SimpleNamespace(duration=2.0, language="en")

async def main() -> None:
    engine = LocalWhisperTranscriber(StuckModel(), WhisperOptions(model="stuck"), device="cpu")
    started = asyncio.Event()
    job = asyncio.create_task(engine.transcribe(
        Path(sys.argv[1]), filename="a.ogg", language=None,
        progress=lambda done, total: started.set(),
    ))
    await started.wait()
    job.cancel()
    engine.close()
    print("cancelled", flush=True)

asyncio.run(main())
"""


async def test_a_job_stuck_in_the_engine_does_not_hold_up_process_exit(tmp_path: Path) -> None:
    path = tmp_path / "a.ogg"
    path.write_bytes(clip("en_budget"))
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-c",
        _STUCK_JOB,
        str(path),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(child.communicate(), timeout=120)
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    assert child.returncode == 0, err.decode()[-2000:]
    assert out.decode().strip() == "cancelled"
