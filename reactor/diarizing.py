"""The diarization stage: after transcription, on the same downloaded file, say who spoke each
segment. Nothing is committed here; the speakers travel in the transcript's segments to
``commit_transcript`` (results JSON and PostgreSQL) and the summary in the report.

A recording's choice comes from the upload's metadata (``speakers``: ``auto``, ``off`` or an
exact count, the user's default in the bot); without one, the server's settings decide.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from reactor.diarization.assignment import TimedText, assign_speakers
from reactor.diarization.base import Diarization, Diarizer, SpeakerBounds
from reactor.errors import PermanentError
from reactor.transcribing import TranscribeReport
from reactor.transcription import Segment, Transcript
from voxpersona.logging import get_logger

log = get_logger(__name__)
# What ``transcribe_recording`` calls on the downloaded file once the transcript is in.
DiarizeStep = Callable[[Path, Transcript, TranscribeReport], Awaitable[Transcript]]


def plan_bounds(
    choice: str | None, *, enabled: bool, configured: SpeakerBounds
) -> SpeakerBounds | None:
    """The bounds to diarize a recording with, or None not to (pure).

    ``choice`` is the upload's ``speakers`` field: ``off``, ``auto`` (the configured bounds)
    or an exact count; None (or anything else) follows the server's default ``enabled``.
    """
    if choice == "off":
        return None
    if choice is not None and choice.isdigit() and int(choice) >= 1:
        return SpeakerBounds(exact=int(choice), minimum=1, maximum=max(int(choice), 1))
    if choice == "auto" or enabled:
        return configured
    return None


@dataclass
class DiarizationDeps:
    """The diarizer (loaded on first use unless the server diarizes by default) and the
    server's defaults."""

    load: Callable[[], Diarizer]
    enabled: bool
    bounds: SpeakerBounds
    max_seconds: float = 7200.0
    _diarizer: Diarizer | None = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def diarizer(self) -> Diarizer:
        """The diarizer, loading it once (blocking: call from a thread)."""
        with self._lock:
            if self._diarizer is None:
                self._diarizer = self.load()
            return self._diarizer

    def step(self, choice: str | None) -> DiarizeStep | None:
        """The stage for a recording whose upload chose ``choice``; None: not diarized."""
        bounds = plan_bounds(choice, enabled=self.enabled, configured=self.bounds)
        if bounds is None:
            return None

        async def run(path: Path, transcript: Transcript, report: TranscribeReport) -> Transcript:
            duration = report.probe.duration if report.probe else transcript.duration or 0.0
            if duration > self.max_seconds:
                log.warning("diarization.skipped", code="too_long", duration=round(duration, 1))
                return transcript
            diarizer = await asyncio.to_thread(self.diarizer)
            return await diarize_transcript(path, transcript, diarizer, bounds, report)

        return run

    def close(self) -> None:
        if self._diarizer is not None:
            self._diarizer.close()


async def diarize_transcript(
    path: Path,
    transcript: Transcript,
    diarizer: Diarizer,
    bounds: SpeakerBounds,
    report: TranscribeReport,
) -> Transcript:
    """The transcript with a speaker on every segment, and ``report.diarization`` set.

    Audio the diarizer cannot read keeps its transcript without speakers (logged): the words
    are what the user asked for first.
    """
    started = time.perf_counter()
    try:
        diarization = await diarizer.diarize(path, bounds=bounds)
    except PermanentError as exc:
        log.error("diarization.failed", code=exc.code, reason=exc.message, file=path.name)
        return transcript
    report.timings["diarize"] = round(time.perf_counter() - started, 4)
    report.diarization = diarization
    segments = with_speakers(transcript.segments, diarization)
    log.info(
        "recording.diarized",
        speakers=diarization.speakers,
        method=diarization.method,
        model=diarization.model,
    )
    return transcript.model_copy(update={"segments": segments})


def with_speakers(segments: list[Segment], diarization: Diarization) -> list[Segment]:
    """Each segment with its speaker (pure); one speaker found: all speaker 1, or None when
    nobody was heard at all."""
    timed = [TimedText(s.start, s.end, s.text) for s in segments]
    assigned = assign_speakers(timed, diarization)
    return [Segment(start=a.start, end=a.end, text=a.text, speaker=a.speaker) for a in assigned]
