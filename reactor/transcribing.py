"""From a downloaded audio file to one transcript: probe, split if needed, transcribe the
chunks concurrently, stitch. The transcriber itself only ever sees one file at a time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from reactor import media
from reactor.chunking import Chunk, ChunkLimits, find_silences, needs_transcoding, plan_chunks
from reactor.concurrency import gather_or_cancel
from reactor.deadlines import StageDeadlines, deadline
from reactor.diarization.base import Diarization
from reactor.errors import PermanentError
from reactor.progress import ChunkedProgress
from reactor.stitching import ChunkTranscript, stitch
from reactor.transcription import Transcriber, Transcript
from voxpersona.logging import get_logger

log = get_logger(__name__)
Heartbeat = Callable[[], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class TranscribeOptions:
    limits: ChunkLimits
    concurrency: int
    max_audio_seconds: float
    deadlines: StageDeadlines = field(default_factory=StageDeadlines)


@dataclass
class TranscribeReport:
    """What happened on the way, for the recording's row and the logs."""

    probe: media.AudioProbe | None = None
    chunks: list[Chunk] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    # Who spoke when (reactor.diarizing), when the recording was diarized.
    diarization: Diarization | None = None


async def transcribe_file(
    path: Path,
    *,
    size: int,
    language: str | None,
    transcriber: Transcriber,
    options: TranscribeOptions,
    heartbeat: Heartbeat,
    report: TranscribeReport,
    progress: ChunkedProgress | None = None,
) -> Transcript:
    """Transcribe ``path`` (named ``<stem>.<ext>``); raises Permanent/TransientError.

    ``progress`` hears audio seconds done of the total and the chunk being worked on. The
    whole of it runs within the transcription deadline for the audio's duration.
    """
    started = time.perf_counter()
    info = await asyncio.to_thread(media.probe, path)
    report.timings["probe"] = round(time.perf_counter() - started, 4)
    report.probe = info
    if info.duration > options.max_audio_seconds:
        raise PermanentError(
            "too_long",
            f"{info.duration / 3600:.1f} h of audio; the limit is "
            f"{options.max_audio_seconds / 3600:.1f} h",
        )
    limit = options.deadlines.transcription_for(info.duration)
    async with deadline("transcription", limit):
        return await _transcribe_probed(
            path, info, size, language, transcriber, options, heartbeat, report, progress
        )


async def _transcribe_probed(
    path: Path,
    info: media.AudioProbe,
    size: int,
    language: str | None,
    transcriber: Transcriber,
    options: TranscribeOptions,
    heartbeat: Heartbeat,
    report: TranscribeReport,
    progress: ChunkedProgress | None,
) -> Transcript:
    extension = path.suffix.lstrip(".")
    if not needs_transcoding(
        duration=info.duration, size=size, extension=extension, limits=options.limits
    ):
        report.chunks = [Chunk(0, 0.0, info.duration)]
        tracker = ChunkTracker(report.chunks, progress)
        started = time.perf_counter()
        transcript = await transcriber.transcribe(
            path, filename=path.name, language=language, progress=tracker.for_chunk(0)
        )
        tracker.finished(0)
        report.timings["transcribe"] = round(time.perf_counter() - started, 4)
        return transcript
    paths = await _cut(path, info, options, report)
    await heartbeat()
    tracker = ChunkTracker(report.chunks, progress)
    return await _transcribe_chunks(
        paths, language, transcriber, options, heartbeat, report, tracker
    )


class ChunkTracker:
    """Sums the chunks' progress into one figure for the whole recording (pure)."""

    def __init__(self, chunks: list[Chunk], progress: ChunkedProgress | None) -> None:
        self._lengths = [max(c.end - c.start, 0.0) for c in chunks]
        self._done = [0.0] * len(chunks)
        self._finished = 0
        self._progress = progress
        self._report()

    @property
    def total(self) -> float:
        return sum(self._lengths)

    def for_chunk(self, index: int) -> Callable[[float, float], None]:
        """The transcriber's ``(done, total)`` callback for chunk ``index``."""

        def on_progress(done: float, total: float) -> None:
            length = self._lengths[index]
            share = done / total if total else 0.0
            self._done[index] = min(max(share, 0.0), 1.0) * length
            self._report()

        return on_progress

    def finished(self, index: int) -> None:
        self._done[index] = self._lengths[index]
        self._finished += 1
        self._report()

    def _report(self) -> None:
        if self._progress is None:
            return
        chunks = len(self._lengths)
        current = min(self._finished + 1, chunks)
        self._progress(sum(self._done), self.total, current, chunks)


async def _cut(
    path: Path, info: media.AudioProbe, options: TranscribeOptions, report: TranscribeReport
) -> list[Path]:
    started = time.perf_counter()
    limits = options.limits
    if info.duration > limits.max_chunk_seconds():
        env = await asyncio.to_thread(media.envelope, path)
        silences = find_silences(env, min_length=limits.min_silence)
    else:
        silences = []  # one chunk: only the format or the byte size was wrong
    report.chunks = plan_chunks(info.duration, limits, silences)
    paths = await asyncio.to_thread(
        media.cut_chunks,
        path,
        report.chunks,
        path.parent,
        stem=path.stem,
        bitrate=limits.bitrate,
    )
    report.timings["chunk"] = round(time.perf_counter() - started, 4)
    if len(paths) != len(report.chunks):
        raise PermanentError("corrupt_audio", "the audio ended before its reported duration")
    log.info(
        "audio.chunked",
        chunks=len(paths),
        duration=round(info.duration, 1),
        largest_bytes=max(p.stat().st_size for p in paths),
        pauses_found=len(silences),
    )
    return paths


async def _transcribe_chunks(
    paths: list[Path],
    language: str | None,
    transcriber: Transcriber,
    options: TranscribeOptions,
    heartbeat: Heartbeat,
    report: TranscribeReport,
    tracker: ChunkTracker,
) -> Transcript:
    limit = asyncio.Semaphore(options.concurrency)
    started = time.perf_counter()

    async def one(chunk: Chunk, chunk_path: Path) -> ChunkTranscript:
        index = report.chunks.index(chunk)
        async with limit:
            part = await transcriber.transcribe(
                chunk_path,
                filename=chunk_path.name,
                language=language,
                progress=tracker.for_chunk(index),
            )
        tracker.finished(index)
        await heartbeat()
        return ChunkTranscript(chunk, part)

    parts = await gather_or_cancel(one(c, p) for c, p in zip(report.chunks, paths, strict=True))
    report.timings["transcribe"] = round(time.perf_counter() - started, 4)
    duration = report.probe.duration if report.probe else None
    return stitch(parts, duration=duration)
