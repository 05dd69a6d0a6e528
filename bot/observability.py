"""The bot's observability: upload counters, delivery timing, readiness checks, result-queue
depth, and its HTTP server."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
from aiogram import Bot
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from bot.delivery import Deliverer, no_beat
from bot.transcripts import TranscriptReader
from voxpersona.consumer import Heartbeat
from voxpersona.contracts.results import ResultMessage
from voxpersona.observability.http import ObservabilityServer
from voxpersona.observability.metrics import Metrics
from voxpersona.observability.readiness import (
    Readiness,
    service_checks,
)
from voxpersona.observability.runtime import QUEUE_SAMPLE_SECONDS, serving, status_token
from voxpersona.observability.sampling import QueueSampler, WatchedConsumer
from voxpersona.settings import BotSettings


@contextlib.asynccontextmanager
async def bot_observability(
    settings: BotSettings,
    metrics: Metrics,
    *,
    nc: NatsClient,
    js: JetStreamContext,
    pool: asyncpg.Pool,
) -> AsyncIterator[ObservabilityServer]:
    """Serve /healthz, /readyz and /metrics while the bot runs."""
    names = settings.streams
    readiness = Readiness(
        service_checks(settings.minio, nc, pool),
        metrics,
    )
    sampler = QueueSampler(js, metrics, (WatchedConsumer(names.results_stream, names.bot_durable),))
    vox = settings.vox
    server = ObservabilityServer(
        service="bot",
        metrics=metrics,
        readiness=readiness,
        host=vox.http_host,
        port=vox.bot_http_port,
        token=status_token(vox),
        refresh=sampler.sample,
    )
    loops = (
        readiness.watch(settings.minio.health_check_interval),
        sampler.watch(QUEUE_SAMPLE_SECONDS),
    )
    async with serving(server, loops):
        yield server


class MeteredDeliverer(Deliverer):
    """The deliverer; each delivery's duration is the ``deliver`` stage."""

    def __init__(
        self,
        bot: Bot,
        transcripts: TranscriptReader,
        *,
        max_messages: int,
        metrics: Metrics,
        **options: Any,
    ) -> None:
        super().__init__(bot, transcripts, max_messages=max_messages, **options)
        self._metrics = metrics

    async def deliver(self, result: ResultMessage, beat: Heartbeat = no_beat) -> None:
        started = time.perf_counter()
        await super().deliver(result, beat)
        self._metrics.stage("deliver", time.perf_counter() - started)


# Intake's reply, as the upload counters see it.
_INTAKE_OUTCOMES = {"received": "stored", "spooled": "spooled"}


def record_intake(metrics: Metrics, reply: str, *, detail: str = "") -> None:
    """Count one recording's intake by the reply the user got."""
    outcome = _INTAKE_OUTCOMES.get(reply)
    if outcome == "stored":
        metrics.uploads_stored.inc()
    elif outcome == "spooled":
        metrics.uploads_spooled.inc()
    else:
        metrics.upload_rejected(reply, detail=detail)
