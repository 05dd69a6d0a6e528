"""Transcription through the OpenAI SDK against OpenAI or any OpenAI-compatible server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import openai

from reactor.errors import PermanentError, TransientError
from reactor.openai_errors import translate_openai_error
from reactor.transcription.base import ProgressCallback, Segment, Transcript

# OpenAI reports the language by name in verbose_json; we store ISO 639-1 codes.
_LANGUAGE_CODES = {
    "russian": "ru",
    "english": "en",
    "ukrainian": "uk",
    "belarusian": "be",
    "kazakh": "kk",
    "german": "de",
    "french": "fr",
    "spanish": "es",
    "italian": "it",
    "polish": "pl",
    "turkish": "tr",
    "chinese": "zh",
    "japanese": "ja",
    "portuguese": "pt",
    "dutch": "nl",
}


def language_code(reported: str | None) -> str | None:
    """Map ``"russian"`` (or ``"ru"``) to ``"ru"``; unknown names pass through lowercased."""
    if not reported:
        return None
    lowered = reported.strip().lower()
    return _LANGUAGE_CODES.get(lowered, lowered)


def translate_api_error(exc: openai.OpenAIError) -> TransientError | PermanentError:
    """Retry connection problems, timeouts, 429 and 5xx; never other 4xx."""
    return translate_openai_error(exc, prefix="transcriber", what="transcription API")


def transcript_from_response(response: Any, *, model: str) -> Transcript:
    """Build our transcript from a ``verbose_json`` response (or a plain ``json`` one)."""
    segments = [
        Segment(start=float(s.start), end=float(s.end), text=str(s.text).strip())
        for s in (getattr(response, "segments", None) or [])
    ]
    duration = getattr(response, "duration", None)
    return Transcript(
        text=str(response.text).strip(),
        language=language_code(getattr(response, "language", None)),
        duration=float(duration) if duration is not None else None,
        segments=segments,
        engine="openai",
        model=model,
    )


class OpenAITranscriber:
    """``audio.transcriptions.create`` with ``verbose_json`` so segments are kept."""

    engine = "openai"

    def __init__(self, client: openai.AsyncOpenAI, *, model: str) -> None:
        self._client = client
        self.model = model

    async def transcribe(
        self,
        path: Path,
        *,
        filename: str,
        language: str | None,
        progress: ProgressCallback | None = None,
    ) -> Transcript:
        extra: dict[str, Any] = {"language": language} if language else {}
        try:
            with path.open("rb") as audio:
                response = await self._client.audio.transcriptions.create(
                    model=self.model,
                    file=(filename, audio),
                    response_format="verbose_json",
                    **extra,
                )
        except openai.OpenAIError as exc:
            raise translate_api_error(exc) from exc
        transcript = transcript_from_response(response, model=self.model)
        if progress is not None and transcript.duration:
            # The API reports nothing until it is done.
            progress(transcript.duration, transcript.duration)
        return transcript
