"""The reactor's observability: metered wrappers at its interfaces (transcriber, recordings
repository), the per-event meter the consumer uses, readiness checks and the status page
source. Built once in ``reactor.app`` and passed down."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from reactor.analysis import ChatModel
from reactor.errors import OperatorAlarmError
from reactor.transcription import Transcriber, Transcript
from reactor.transcription.base import ProgressCallback
from voxpersona.contracts.events import MalformedEventError, parse_notification
from voxpersona.logging import SecretRedactor, get_logger
from voxpersona.observability.http import ObservabilityServer
from voxpersona.observability.metrics import Metrics
from voxpersona.observability.readiness import (
    Readiness,
    alarm_check,
    loaded_check,
    service_checks,
)
from voxpersona.observability.recent import Failure
from voxpersona.observability.runtime import QUEUE_SAMPLE_SECONDS, serving, status_token
from voxpersona.observability.sampling import QueueSampler, WatchedConsumer
from voxpersona.observability.status import build_status
from voxpersona.observability.usage import StorageUsage, failed_recordings, storage_usage
from voxpersona.passages.store import IndexStats, index_stats
from voxpersona.recordings import AnalysisStepRow, CompletedTranscript, Recordings
from voxpersona.settings import ReactorSettings

log = get_logger(__name__)
STORAGE_CACHE_SECONDS = 30.0


def raise_alarm(metrics: Metrics, exc: OperatorAlarmError) -> None:
    """An operator must act: one error log line, a metric, health degraded."""
    log.error("operator.alarm", code=exc.code, reason=exc.message)
    metrics.alarm(exc.code, exc.summary)


class MeteredTranscriber:
    """A :class:`Transcriber` that counts the audio seconds it transcribed and raises an alarm
    when the engine refuses our credentials (cleared by the next success)."""

    def __init__(self, inner: Transcriber, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self.engine = inner.engine
        self.model = inner.model

    def __getattr__(self, name: str) -> Any:
        # Engine-specific attributes (``device``, ...) stay visible through the wrapper.
        return getattr(self._inner, name)

    async def transcribe(
        self,
        path: Path,
        *,
        filename: str,
        language: str | None,
        progress: ProgressCallback | None = None,
    ) -> Transcript:
        try:
            transcript = await self._inner.transcribe(
                path, filename=filename, language=language, progress=progress
            )
        except OperatorAlarmError as exc:
            raise_alarm(self._metrics, exc)
            raise
        self._metrics.alarm_cleared("transcriber_auth")
        if transcript.duration:
            self._metrics.audio_seconds.inc(transcript.duration)
        return transcript


class MeteredChat:
    """A :class:`ChatModel` that raises an alarm when the analysis API refuses our key."""

    def __init__(self, inner: ChatModel, metrics: Metrics) -> None:
        self._inner = inner
        self._metrics = metrics
        self.model = inner.model

    async def complete(self, *, system: str, user: str) -> str:
        try:
            answer = await self._inner.complete(system=system, user=user)
        except OperatorAlarmError as exc:
            raise_alarm(self._metrics, exc)
            raise
        self._metrics.alarm_cleared("analysis_auth")
        return answer


@dataclass(frozen=True, slots=True)
class EventFacts:
    """What metrics say about one event before it is processed."""

    key: str | None = None
    size: int | None = None


def event_facts(payload: bytes) -> EventFacts:
    """Object key and size of a MinIO event; empty when the payload is malformed."""
    try:
        event = parse_notification(payload)
    except MalformedEventError:
        return EventFacts()
    return EventFacts(event.key, event.size)


class EventMeter:
    """Times one event from fetch to settlement and records how it ended."""

    def __init__(self, metrics: Metrics, payload: bytes) -> None:
        self._metrics = metrics
        self._facts = event_facts(payload)
        self._started = time.perf_counter()
        self._open = True
        metrics.events_consumed.inc()
        metrics.in_flight.inc()

    def settled(self, action: str, code: str, reason: str = "") -> None:
        """``ack`` (code: the outcome), ``nak``, ``term`` or ``dead_letter``."""
        if not self._open:
            return
        self._open = False
        self._metrics.in_flight.dec()
        self._metrics.event_settled(
            action,
            code=code,
            seconds=time.perf_counter() - self._started,
            size=self._facts.size,
            reason=reason,
            key=self._facts.key,
        )

    def abandoned(self) -> None:
        """Handed back at shutdown or left for redelivery: no outcome to count."""
        if self._open:
            self._open = False
            self._metrics.in_flight.dec()


# The pipeline's stage names, as the metrics label them.
_STAGE_LABELS = {"analysis": "analyse"}


def observe_stages(metrics: Metrics, timings: dict[str, float]) -> None:
    for stage, seconds in timings.items():
        metrics.stage(_STAGE_LABELS.get(stage, stage), seconds)


class MeteredRecordings(Recordings):
    """The recordings repository; each committed stage timing is also a metric sample."""

    def __init__(self, pool: asyncpg.Pool, metrics: Metrics) -> None:
        super().__init__(pool)
        self._metrics = metrics

    async def complete(
        self,
        recording_id: uuid.UUID,
        done: CompletedTranscript,
        *,
        owner: str,
        analysis_pending: bool,
    ) -> None:
        await super().complete(recording_id, done, owner=owner, analysis_pending=analysis_pending)
        observe_stages(self._metrics, done.timings)

    async def complete_analysis(
        self,
        recording_id: uuid.UUID,
        steps: list[AnalysisStepRow],
        *,
        owner: str,
        scenario: str,
        timings: dict[str, float],
    ) -> None:
        await super().complete_analysis(
            recording_id, steps, owner=owner, scenario=scenario, timings=timings
        )
        observe_stages(self._metrics, timings)


class StatusSource:
    """Builds ``/api/status``; storage usage is cached so a refreshing page costs little."""

    def __init__(
        self,
        metrics: Metrics,
        readiness: Readiness,
        pool: asyncpg.Pool,
        consumer: str,
        redactor: SecretRedactor,
        index_model: str | None = None,
    ) -> None:
        self._metrics = metrics
        self._index_model = index_model
        self._index: tuple[float, IndexStats | None] | None = None
        self._readiness = readiness
        self._pool = pool
        self._consumer = consumer
        self._redactor = redactor
        self._storage: tuple[float, StorageUsage | None] | None = None

    async def _usage(self) -> StorageUsage | None:
        now = time.monotonic()
        if self._storage is not None and now - self._storage[0] < STORAGE_CACHE_SECONDS:
            return self._storage[1]
        try:
            usage: StorageUsage | None = await storage_usage(self._pool)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("status.storage_usage_failed", reason=type(exc).__name__)
            usage = self._storage[1] if self._storage is not None else None
        self._storage = (now, usage)
        return usage

    async def _passage_index(self) -> IndexStats | None:
        """Index size and lag (cached like storage usage); None without indexing."""
        if self._index_model is None:
            return None
        now = time.monotonic()
        if self._index is not None and now - self._index[0] < STORAGE_CACHE_SECONDS:
            return self._index[1]
        try:
            stats: IndexStats | None = await index_stats(self._pool, self._index_model)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("status.passage_index_failed", reason=type(exc).__name__)
            stats = self._index[1] if self._index is not None else None
        self._index = (now, stats)
        return stats

    async def _failed(self) -> list[Failure]:
        try:
            return await failed_recordings(self._pool)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
            return []

    async def __call__(self) -> dict[str, Any]:
        return build_status(
            service="reactor",
            now=self._metrics.now(),
            health=await self._readiness.current(),
            metrics=self._metrics,
            consumer=self._consumer,
            storage=await self._usage(),
            redactor=self._redactor,
            failed_recordings=await self._failed(),
            passage_index=await self._passage_index(),
        )


@contextlib.asynccontextmanager
async def reactor_observability(
    settings: ReactorSettings,
    metrics: Metrics,
    *,
    nc: NatsClient,
    js: JetStreamContext,
    pool: asyncpg.Pool,
    secrets: list[str],
    transcriber: dict[str, str] | None = None,
    index_model: str | None = None,
) -> AsyncIterator[ObservabilityServer]:
    """Serve /healthz, /readyz, /metrics, /status while the reactor runs."""
    names = settings.streams
    readiness = Readiness(
        {
            **service_checks(settings.minio, nc, pool),
            "operator": alarm_check(metrics),
            **({"transcriber": loaded_check(transcriber)} if transcriber else {}),
        },
        metrics,
    )
    sampler = QueueSampler(
        js,
        metrics,
        (WatchedConsumer(names.events_stream, names.reactor_durable),),
        dead_letter_stream=names.dead_letter_stream,
    )
    vox = settings.vox
    server = ObservabilityServer(
        service="reactor",
        metrics=metrics,
        readiness=readiness,
        host=vox.http_host,
        port=vox.http_port,
        token=status_token(vox),
        refresh=sampler.sample,
        status=StatusSource(
            metrics,
            readiness,
            pool,
            names.reactor_durable,
            SecretRedactor(secrets),
            index_model=index_model,
        ),
    )
    loops = (
        readiness.watch(settings.minio.health_check_interval),
        sampler.watch(QUEUE_SAMPLE_SECONDS),
    )
    async with serving(server, loops):
        yield server
