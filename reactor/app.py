"""Reactor wiring: build settings once, open every resource in one place, run the consumer."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import nats
import openai
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from reactor.analysis import ReactorChat, ScenarioBook
from reactor.analysis.scenarios import ScenarioError
from reactor.chunking import ChunkLimits
from reactor.commands import handle_command_message
from reactor.consumer import ReactorHandler, handle_event_message
from reactor.dead_letters import DeadLetters
from reactor.deadlines import StageDeadlines
from reactor.diarization.config import build_diarizer, speaker_bounds
from reactor.diarizing import DiarizationDeps
from reactor.indexing import open_indexing
from reactor.observability import (
    EventMeter,
    MeteredChat,
    MeteredRecordings,
    MeteredTranscriber,
    reactor_observability,
)
from reactor.pipeline import PipelineDeps
from reactor.progress import ProgressReporter
from reactor.results import ResultPublisher
from reactor.retry_plan import event_policy
from reactor.stages import AnalysisDeps
from reactor.transcribing import TranscribeOptions
from reactor.transcription import Transcriber
from reactor.transcription.local_engine import LocalWhisperTranscriber, WhisperOptions
from reactor.transcription.openai_engine import OpenAITranscriber
from reactor.workspace import Workspace
from voxpersona.consumer import ConsumerOptions, JetStreamConsumer, server_max_deliver
from voxpersona.consumer.advisories import BackstopHandler, backstop_durable
from voxpersona.jetstream import (
    ensure_all,
    ensure_backstop,
    ensure_commands_consumer,
    ensure_reactor_consumer,
)
from voxpersona.lifecycle import StartupError, run_service
from voxpersona.llm import OpenAIChat
from voxpersona.logging import get_logger
from voxpersona.observability.metrics import Metrics, PrometheusOperationRecorder
from voxpersona.recordings.schema import migrate
from voxpersona.settings import ReactorSettings, VoxSettings, load_reactor_settings
from voxpersona.storage import MinioObjectStore, StorageError

log = get_logger(__name__)


@dataclass
class Resources:
    """Everything the reactor holds open."""

    nc: NatsClient
    js: JetStreamContext
    pool: asyncpg.Pool
    store: MinioObjectStore
    transcriber: Transcriber
    work_dir: Path


async def connect_nats(url: str, *, name: str) -> NatsClient:
    """Connect and keep reconnecting forever: a NATS restart must not kill the service."""
    return await nats.connect(
        url,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
        allow_reconnect=True,
    )


def chosen_engine(settings: ReactorSettings) -> str:
    """``VOXPERSONA_TRANSCRIBER``: auto means OpenAI when a key is set, else local Whisper."""
    choice = settings.vox.transcriber
    if choice == "auto":
        return "openai" if settings.openai.api_key is not None else "local"
    return choice


def build_transcriber(settings: ReactorSettings) -> Transcriber:
    """The configured engine, ready to use (the local model is loaded here, once)."""
    if chosen_engine(settings) == "local":
        return LocalWhisperTranscriber.load(whisper_options(settings))
    key = settings.openai.api_key
    if key is None:
        raise StartupError(
            "configuration error: OPENAI_API_KEY is required when VOXPERSONA_TRANSCRIBER=openai"
        )
    client = openai.AsyncOpenAI(
        api_key=key.get_secret_value(),
        base_url=settings.openai.base_url,
        timeout=settings.openai.timeout,
        max_retries=2,
    )
    return OpenAITranscriber(client, model=settings.vox.transcription_model)


@contextlib.asynccontextmanager
async def open_resources(
    settings: ReactorSettings,
    *,
    transcriber: Transcriber | None = None,
    metrics: Metrics | None = None,
) -> AsyncIterator[Resources]:
    """Open in dependency order, close in reverse, whatever fails in between."""
    async with contextlib.AsyncExitStack() as stack:
        work_dir = stack.enter_context(Workspace(settings.vox.work_dir))
        engine = transcriber
        if engine is None:
            engine = await asyncio.to_thread(build_transcriber, settings)
        log.info("transcriber.ready", **describe_transcriber(engine))
        recorder = PrometheusOperationRecorder(metrics) if metrics is not None else None
        store = MinioObjectStore(settings.minio, recorder=recorder)
        try:
            await store.check_buckets()
        except StorageError as exc:
            raise StartupError(f"MinIO at {settings.minio.endpoint} unusable: {exc}") from exc
        try:
            pool = await asyncpg.create_pool(
                settings.database.url.get_secret_value(),
                min_size=1,
                max_size=settings.vox.reactor_concurrency + 2,
                command_timeout=settings.vox.database_command_timeout_seconds,
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise StartupError(f"PostgreSQL unusable (DATABASE_URL): {type(exc).__name__}") from exc
        stack.push_async_callback(pool.close)
        async with pool.acquire() as conn:
            await migrate(conn)
        try:
            nc = await connect_nats(
                settings.nats.url, name=f"voxpersona-reactor@{socket.gethostname()}"
            )
        except (OSError, nats.errors.Error) as exc:
            raise StartupError(f"NATS at {settings.nats.url} unreachable: {exc}") from exc
        stack.push_async_callback(nc.drain)
        js = nc.jetstream()
        await _declare_streams(js, settings)
        yield Resources(nc=nc, js=js, pool=pool, store=store, transcriber=engine, work_dir=work_dir)


def whisper_options(settings: ReactorSettings) -> WhisperOptions:
    vox = settings.vox
    return WhisperOptions(
        model=vox.whisper_model,
        device=vox.whisper_device,
        compute_type=vox.whisper_compute_type,
        cpu_threads=vox.whisper_cpu_threads,
        parallel=vox.whisper_parallel,
        beam_size=vox.whisper_beam_size,
        download_root=vox.whisper_download_root,
    )


def describe_transcriber(transcriber: Transcriber) -> dict[str, str]:
    """Engine, model and device, for start-up logs and readiness reports."""
    return {
        "engine": transcriber.engine,
        "model": transcriber.model,
        "device": str(getattr(transcriber, "device", "remote")),
    }


def stage_deadlines(vox: VoxSettings) -> StageDeadlines:
    return StageDeadlines(
        download=vox.download_deadline_seconds,
        transcription=vox.transcription_deadline_seconds,
        transcription_per_audio_second=vox.transcription_deadline_per_audio_second,
        analysis=vox.analysis_deadline_seconds,
        publish=vox.publish_deadline_seconds,
    )


def transcribe_options(settings: ReactorSettings) -> TranscribeOptions:
    vox = settings.vox
    return TranscribeOptions(
        limits=ChunkLimits(
            max_seconds=vox.chunk_max_seconds,
            max_bytes=vox.chunk_max_bytes,
            bitrate=vox.chunk_bitrate,
        ),
        concurrency=vox.chunk_concurrency,
        max_audio_seconds=vox.max_audio_seconds,
        deadlines=stage_deadlines(vox),
    )


def build_analysis(
    settings: ReactorSettings, metrics: Metrics | None = None
) -> AnalysisDeps | None:
    """The LLM analysis stage, or None when it is off or no API key is configured."""
    vox = settings.vox
    key = settings.openai.api_key
    if not vox.analysis_enabled or key is None:
        log.info("analysis.disabled", reason="off" if key is not None else "no OPENAI_API_KEY")
        return None
    try:
        scenarios = ScenarioBook.load(vox.analysis_default_scenario)
    except ScenarioError as exc:
        raise StartupError(f"analysis scenarios unusable: {exc}") from exc
    client = openai.AsyncOpenAI(
        api_key=key.get_secret_value(),
        base_url=vox.analysis_base_url or settings.openai.base_url,
        timeout=settings.openai.timeout,
        max_retries=2,
    )
    log.info("analysis.ready", model=vox.analysis_model, scenarios=scenarios.names)
    chat = ReactorChat(OpenAIChat(client, model=vox.analysis_model))
    return AnalysisDeps(
        chat=MeteredChat(chat, metrics) if metrics is not None else chat,
        scenarios=scenarios,
        chunk_chars=vox.analysis_chunk_chars,
        concurrency=vox.analysis_concurrency,
        deadline=vox.analysis_deadline_seconds,
    )


def reactor_consumer_options(vox: VoxSettings) -> dict[str, Any]:
    """The durable's configuration, shared with ``voxpersona streams init``. The server's
    ``max_deliver`` is above ``VOXPERSONA_MAX_DELIVER``: the reactor decides the end."""
    return {
        "ack_wait": vox.ack_wait_seconds,
        "max_deliver": server_max_deliver(event_policy(vox.max_deliver)),
        "concurrency": vox.reactor_concurrency,
    }


async def _declare_streams(js: JetStreamContext, settings: ReactorSettings) -> None:
    names = settings.streams
    await ensure_all(js, names, retention_days=settings.vox.event_retention_days)
    options = reactor_consumer_options(settings.vox)
    await ensure_reactor_consumer(js, names, **options)
    await ensure_commands_consumer(
        js, names, ack_wait=options["ack_wait"], max_deliver=options["max_deliver"]
    )
    await ensure_backstop(js, names, stream=names.events_stream, durable=names.reactor_durable)
    await ensure_backstop(js, names, stream=names.commands_stream, durable=names.commands_durable)


def event_consumers(
    js: JetStreamContext, settings: ReactorSettings, deps: PipelineDeps, metrics: Metrics
) -> list[JetStreamConsumer]:
    """The events and commands consumers, each with its backstop (the advisories of messages
    the server gave up on): four handlers on one consumer core."""
    names, vox = settings.streams, settings.vox
    dead_letters = DeadLetters(js, names.dead_letter_subject, deps)
    ack_wait = vox.ack_wait_seconds
    # A lease another reactor holds runs out within one ack wait.
    busy_delay = min(max(ack_wait / 2, 1.0), 15.0)
    consumers = []
    for stream, durable, work in (
        (names.events_stream, names.reactor_durable, handle_event_message),
        (names.commands_stream, names.commands_durable, handle_command_message),
    ):
        consumers.append(
            JetStreamConsumer(
                js,
                ReactorHandler(work, deps, dead_letters, busy_delay=busy_delay),
                ConsumerOptions(
                    stream=stream,
                    durable=durable,
                    policy=event_policy(vox.max_deliver),
                    concurrency=vox.reactor_concurrency,
                    ack_wait=ack_wait,
                    shutdown_grace=vox.shutdown_grace_seconds,
                    noun="event",
                ),
                meter=lambda msg: EventMeter(metrics, msg.data),
                logger=get_logger("reactor.consumer"),
            )
        )
        consumers.append(
            JetStreamConsumer(
                js,
                BackstopHandler(js, dead_letters.dead_letter),
                ConsumerOptions(
                    stream=names.advisory_stream,
                    durable=backstop_durable(durable),
                    policy=event_policy(vox.max_deliver),
                    ack_wait=30.0,
                    shutdown_grace=vox.shutdown_grace_seconds,
                ),
            )
        )
    return consumers


async def run_reactor(
    settings: ReactorSettings,
    stop: asyncio.Event,
    *,
    transcriber: Transcriber | None = None,
    metrics: Metrics | None = None,
) -> None:
    """Run until ``stop`` is set, then drain in-flight work within the grace period."""
    metrics = metrics or Metrics()
    async with open_resources(settings, transcriber=transcriber, metrics=metrics) as res:
        owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        deps = PipelineDeps(
            store=res.store,
            recordings=MeteredRecordings(res.pool, metrics),
            transcriber=MeteredTranscriber(res.transcriber, metrics),
            publisher=ResultPublisher(
                res.js,
                settings.streams.results_subject,
                timeout=settings.vox.publish_deadline_seconds,
            ),
            owner=owner,
            lease=timedelta(seconds=settings.vox.ack_wait_seconds),
            transcribe_options=transcribe_options(settings),
            analysis=build_analysis(settings, metrics),
            work_dir=res.work_dir,
            progress=ProgressReporter(res.nc, settings.streams.progress_subject),
            diarization=await build_diarization(settings.vox),
            indexing=await open_indexing(res.pool, settings.embedding),
        )
        consumers = event_consumers(res.js, settings, deps, metrics)
        observability = reactor_observability(
            settings,
            metrics,
            nc=res.nc,
            js=res.js,
            pool=res.pool,
            secrets=secrets_of(settings),
            transcriber=describe_transcriber(res.transcriber),
            index_model=deps.indexing.indexer.model_id if deps.indexing else None,
        )
        async with observability, asyncio.TaskGroup() as group:
            for consumer in consumers:
                group.create_task(consumer.run(stop))


async def build_diarization(vox: VoxSettings) -> DiarizationDeps:
    """The diarization stage's dependencies. When the server diarizes by default the model
    loads now (a bad model stops start-up); otherwise on the first recording that asks."""
    deps = DiarizationDeps(
        load=lambda: build_diarizer(vox),
        enabled=vox.diarization_enabled,
        bounds=speaker_bounds(vox),
        max_seconds=vox.diarization_max_seconds,
    )
    if vox.diarization_enabled:
        try:
            diarizer = await asyncio.to_thread(deps.diarizer)
        except ImportError as exc:
            raise StartupError(
                f"speaker diarization needs the 'local' extra ({exc.name} is missing): install"
                " 'voxpersona[local]' or set VOXPERSONA_DIARIZATION_ENABLED=false"
            ) from exc
        log.info("diarizer.ready", model=diarizer.model)
    return deps


def secrets_of(settings: ReactorSettings) -> list[str]:
    values = [
        settings.minio.secret_key.get_secret_value(),
        settings.database.url.get_secret_value(),
    ]
    if settings.openai.api_key is not None:
        values.append(settings.openai.api_key.get_secret_value())
    if settings.vox.status_token is not None:
        values.append(settings.vox.status_token.get_secret_value())
    if settings.embedding.api_key is not None:
        values.append(settings.embedding.api_key.get_secret_value())
    return values


def main() -> None:
    """Entry point of ``voxpersona-reactor``."""
    run_service("reactor", load_reactor_settings, run_reactor, secrets_of)
