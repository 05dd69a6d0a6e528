"""The transcriber interface and the transcript model every engine returns."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, Field


class Segment(BaseModel):
    """A stretch of speech with its times in seconds from the start of the recording."""

    start: float = Field(ge=0)
    end: float = Field(ge=0)
    text: str
    # Who spoke it (1, 2, … by first appearance), set by the diarization stage; None: not
    # diarized. Left out of dumps while None, so undiarized results look as they always did.
    speaker: int | None = Field(default=None, ge=1, exclude_if=lambda v: v is None)


class Transcript(BaseModel):
    """What every engine returns."""

    text: str
    language: str | None = None
    duration: float | None = None
    segments: list[Segment] = Field(default_factory=list)
    engine: str
    model: str


# Called with (audio seconds done, audio seconds in total) as transcription advances.
ProgressCallback = Callable[[float, float], None]


class Transcriber(Protocol):
    """Turns an audio file into a :class:`Transcript`.

    Raises :class:`reactor.errors.TransientError` when a retry later may succeed and
    :class:`reactor.errors.PermanentError` when it cannot.
    """

    engine: str
    model: str

    async def transcribe(
        self,
        path: Path,
        *,
        filename: str,
        language: str | None,
        progress: ProgressCallback | None = None,
    ) -> Transcript:
        """Transcribe ``path``; ``language`` is the recording's language or None to detect it."""
        ...
