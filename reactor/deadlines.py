"""Per-stage deadlines: a stage that hangs (a stalled download, a wedged engine, an LLM that
never answers, a publish into a NATS that does not reply) ends as a transient error, so the
event is redelivered instead of holding a slot and its lease for good."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from reactor.errors import TransientError


@dataclass(frozen=True, slots=True)
class StageDeadlines:
    """Seconds each stage may take (``VOXPERSONA_*_DEADLINE_SECONDS``)."""

    download: float = 1800.0
    # Transcription scales with the audio: a base plus this many seconds per audio second.
    transcription: float = 600.0
    transcription_per_audio_second: float = 2.0
    analysis: float = 1800.0
    publish: float = 30.0

    def transcription_for(self, audio_seconds: float) -> float:
        return self.transcription + self.transcription_per_audio_second * max(audio_seconds, 0.0)


class StageDeadlineError(TransientError):
    """A stage ran past its deadline; the work was cancelled and will be retried."""

    def __init__(self, stage: str, seconds: float) -> None:
        super().__init__(f"{stage}_deadline", f"the {stage} took longer than {seconds:.0f} s")


@contextlib.asynccontextmanager
async def deadline(stage: str, seconds: float) -> AsyncIterator[None]:
    """Cancel the block after ``seconds`` and raise :class:`StageDeadlineError`; a
    ``TimeoutError`` the work raised on its own passes through unchanged."""
    scope = asyncio.timeout(seconds)
    try:
        async with scope:
            yield
    except TimeoutError as exc:
        if scope.expired():
            raise StageDeadlineError(stage, seconds) from exc
        raise
