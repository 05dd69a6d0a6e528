"""Real speech for tests: committed espeak-ng clips and the Whisper base model, loaded once."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from reactor.transcription.local_engine import LocalWhisperTranscriber, WhisperOptions
from tests.whisper_model import assemble_base_model
from voxpersona.localstack.fake_openai import FakeSegment, FakeTranscript, TranscriptionRequest

SPEECH = Path(__file__).parent / "fixtures" / "speech"


def clip(name: str) -> bytes:
    return (SPEECH / f"{name}.ogg").read_bytes()


def spoken_text(name: str) -> str:
    return (SPEECH / f"{name}.txt").read_text(encoding="utf-8").strip()


def normalise(text: str) -> str:
    """Lowercase words only, for comparing what was said with what came back."""
    return " ".join(re.findall(r"\w+", text.lower()))


@pytest.fixture(scope="session")
def whisper_model_dir() -> Path:
    return assemble_base_model()


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def local_transcriber(whisper_model_dir: Path) -> AsyncIterator[LocalWhisperTranscriber]:
    engine = LocalWhisperTranscriber.load(WhisperOptions(model=str(whisper_model_dir)))
    yield engine
    engine.close()


def whisper_backed(engine: LocalWhisperTranscriber):  # type: ignore[no-untyped-def]
    """A fake-OpenAI transcriber that really transcribes the uploaded bytes with Whisper."""
    language_names = {"en": "english", "ru": "russian"}

    async def transcribe(path: Path, request: TranscriptionRequest) -> FakeTranscript:
        result = await engine.transcribe(path, filename=request.filename, language=request.language)
        return FakeTranscript(
            text=result.text,
            language=language_names.get(result.language or "", result.language or "english"),
            duration=result.duration or 0.0,
            segments=[FakeSegment(s.start, s.end, s.text) for s in result.segments],
        )

    return transcribe
