"""The two units of work on a recording, each committing its own effects:
transcription (download → probe/chunk/transcribe → results bucket + PostgreSQL) and
analysis (scenario over the stored transcript → PostgreSQL + results bucket)."""

from __future__ import annotations

import json
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reactor.analysis import ChatModel, ScenarioBook, StepOutput, run_scenario
from reactor.analysis.scenarios import Language
from reactor.errors import PermanentError, TransientError
from reactor.progress import ChunkedProgress
from reactor.transcribing import TranscribeOptions, TranscribeReport, transcribe_file
from reactor.transcription import Transcriber, Transcript
from voxpersona.contracts.events import BucketEvent
from voxpersona.contracts.keys import parse_audio_key, result_key
from voxpersona.logging import get_logger
from voxpersona.recordings import (
    AnalysisStepRow,
    CompletedTranscript,
    LeaseLostError,
    NewRecording,
    Recording,
    Recordings,
)
from voxpersona.storage import MinioObjectStore, StorageError, StorageNotFoundError

log = get_logger(__name__)
Heartbeat = Callable[[], Awaitable[None]]


@dataclass(frozen=True)
class AnalysisDeps:
    """What the analysis stage needs; absent when analysis is switched off."""

    chat: ChatModel
    scenarios: ScenarioBook
    chunk_chars: int
    concurrency: int


def storage_error(exc: StorageError, *, what: str) -> TransientError | PermanentError:
    if isinstance(exc, StorageNotFoundError):
        return PermanentError("object_gone", f"{what}: the object no longer exists")
    if exc.transient:
        return TransientError("storage_unavailable", f"{what}: {exc}")
    return PermanentError("storage_rejected", f"{what}: {exc}")


def analysis_key(user_id: int, recording_id: uuid.UUID) -> str:
    """The analysis document sits next to the transcript document in the results bucket."""
    return result_key(user_id, recording_id).removesuffix(".json") + ".analysis.json"


async def _put_json(store: MinioObjectStore, key: str, document: dict[str, Any]) -> None:
    try:
        await store.put_bytes(
            store.results_bucket,
            key,
            json.dumps(document, ensure_ascii=False).encode(),
            content_type="application/json",
        )
    except StorageError as exc:
        raise storage_error(exc, what="store result") from exc


async def _forget_if_deleted(store: MinioObjectStore, key: str, lost: LeaseLostError) -> None:
    """The user deleted the recording while we worked: remove the document we just stored
    (their words must not outlive their deletion)."""
    if not lost.deleted:
        return
    try:
        await store.delete(store.results_bucket, key)
    except StorageError as exc:
        log.error("recording.orphan_document", key=key, reason=str(exc))


async def transcribe_recording(
    event: BucketEvent,
    new: NewRecording,
    *,
    store: MinioObjectStore,
    transcriber: Transcriber,
    options: TranscribeOptions,
    work_dir: Path | None,
    heartbeat: Heartbeat,
    progress: ChunkedProgress | None = None,
) -> tuple[Transcript, TranscribeReport]:
    """Download the object and transcribe it; nothing is committed here."""
    if event.size == 0:
        raise PermanentError("empty_object", "the uploaded object has zero bytes")
    key = parse_audio_key(new.object_key)
    report = TranscribeReport()
    with tempfile.TemporaryDirectory(prefix="vp-", dir=work_dir) as tmp:
        path = Path(tmp) / f"{key.object_id}.{key.extension}"
        started = time.perf_counter()
        try:
            await store.download_to_file(new.bucket, new.object_key, path)
        except StorageError as exc:
            raise storage_error(exc, what="download") from exc
        report.timings["download"] = round(time.perf_counter() - started, 4)
        size = path.stat().st_size
        if size == 0:
            raise PermanentError("empty_object", "the uploaded object has zero bytes")
        await heartbeat()
        transcript = await transcribe_file(
            path,
            size=size,
            language=new.recording_language,
            transcriber=transcriber,
            options=options,
            heartbeat=heartbeat,
            report=report,
            progress=progress,
        )
    if not transcript.text.strip():
        raise PermanentError("no_speech", "the transcriber found no speech in the recording")
    return transcript, report


async def commit_transcript(
    new: NewRecording,
    transcript: Transcript,
    report: TranscribeReport,
    *,
    store: MinioObjectStore,
    recordings: Recordings,
    owner: str,
    analysis_pending: bool,
) -> None:
    """Results bucket first, then the row: a row marked done always has its document."""
    started = time.perf_counter()
    key = result_key(new.user_id, new.id)
    document = {
        "recording_id": str(new.id),
        "bucket": new.bucket,
        "object_key": new.object_key,
        "etag": new.etag,
        "user_id": new.user_id,
        "transcript": transcript.model_dump(),
        "chunks": [{"start": c.start, "end": c.end} for c in report.chunks],
        "timings": report.timings,
    }
    await _put_json(store, key, document)
    report.timings["store"] = round(time.perf_counter() - started, 4)
    try:
        await _complete(new, transcript, report, key, recordings, owner, analysis_pending)
    except LeaseLostError as lost:
        await _forget_if_deleted(store, key, lost)
        raise


async def _complete(
    new: NewRecording,
    transcript: Transcript,
    report: TranscribeReport,
    key: str,
    recordings: Recordings,
    owner: str,
    analysis_pending: bool,
) -> None:
    await recordings.complete(
        new.id,
        CompletedTranscript(
            text=transcript.text,
            segments=[s.model_dump() for s in transcript.segments],
            language=transcript.language,
            duration_seconds=transcript.duration,
            engine=transcript.engine,
            model=transcript.model,
            result_key=key,
            chunk_count=len(report.chunks),
            timings=report.timings,
        ),
        owner=owner,
        analysis_pending=analysis_pending,
    )


async def analyse_recording(
    recording: Recording,
    analysis: AnalysisDeps,
    *,
    store: MinioObjectStore,
    recordings: Recordings,
    owner: str,
    interface_language: str | None,
    heartbeat: Heartbeat,
) -> None:
    """Run the recording's scenario and store every step; a permanent failure is recorded as
    the analysis failing (the transcript stays done); transient ones propagate."""
    scenario = analysis.scenarios.choose(recording.scenario)
    language: Language = "en" if interface_language == "en" else "ru"
    text = await recordings.transcript_text(recording.id)
    started = time.perf_counter()
    try:
        steps = await run_scenario(
            scenario,
            text,
            language,
            analysis.chat,
            chunk_chars=analysis.chunk_chars,
            concurrency=analysis.concurrency,
            heartbeat=heartbeat,
        )
    except PermanentError as exc:
        log.error("analysis.failed", scenario=scenario.name, code=exc.code, reason=exc.message)
        await recordings.fail_analysis(recording.id, owner=owner, code=exc.code, reason=exc.message)
        return
    elapsed = round(time.perf_counter() - started, 4)
    document_key = analysis_key(recording.user_id, recording.id)
    await _put_json(
        store, document_key, _analysis_document(recording, scenario.name, language, steps)
    )
    rows = [AnalysisStepRow(s.name, s.output, s.model, s.chunks) for s in steps]
    try:
        await recordings.complete_analysis(
            recording.id, rows, owner=owner, scenario=scenario.name, timings={"analysis": elapsed}
        )
    except LeaseLostError as lost:
        await _forget_if_deleted(store, document_key, lost)
        raise
    log.info("analysis.done", scenario=scenario.name, steps=len(steps), seconds=elapsed)


def _analysis_document(
    recording: Recording, scenario: str, language: str, steps: list[StepOutput]
) -> dict[str, Any]:
    return {
        "recording_id": str(recording.id),
        "user_id": recording.user_id,
        "scenario": scenario,
        "language": language,
        "steps": [
            {"name": s.name, "model": s.model, "chunks": s.chunks, "output": s.output}
            for s in steps
        ],
    }
