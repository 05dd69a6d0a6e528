"""NATS: connection, JetStream, the three streams, the two durable consumers, dead letters."""

from __future__ import annotations

import asyncio

import nats
import nats.errors
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from voxpersona.contracts.subjects import StreamNames
from voxpersona.observability.health import (
    Check,
    DependencyHealth,
    QueueLimits,
    degraded,
    down,
    judge_queue,
    ok,
)


async def _quiet(exc: Exception) -> None:
    """nats-py prints connection errors through its error callback; the report says it all."""


async def connect_once(url: str, *, timeout: float) -> NatsClient:
    """One connection attempt, no reconnecting: a probe must answer, not wait."""
    # nats-py treats max_reconnect_attempts=0 as "no limit" when picking a server: use 1.
    async with asyncio.timeout(timeout * 2):
        return await nats.connect(
            url,
            connect_timeout=timeout,
            allow_reconnect=False,
            max_reconnect_attempts=1,
            reconnect_time_wait=0.1,
            error_cb=_quiet,
            name="voxpersona-health",
        )


async def check_streams(js: JetStreamContext, names: StreamNames) -> tuple[list[Check], int | None]:
    """Each stream's presence; the dead-letter count when that stream exists."""
    checks: list[Check] = []
    dead_letters = None
    wanted = (
        (names.events_stream, "down", "MinIO cannot publish events"),
        (names.results_stream, "degraded", "results cannot be delivered"),
        (names.dead_letter_stream, "degraded", "failed events cannot be kept"),
        (names.commands_stream, "degraded", "re-analyses cannot be requested"),
    )
    for stream, severity, consequence in wanted:
        try:
            info = await js.stream_info(stream)
        except NotFoundError:
            make = down if severity == "down" else degraded
            checks.append(make(f"stream {stream}", f"missing: {consequence}; run streams init"))
            continue
        messages = info.state.messages
        checks.append(ok(f"stream {stream}", f"{messages} messages", messages=messages))
        if stream == names.dead_letter_stream:
            dead_letters = messages
    return checks, dead_letters


async def check_consumer(
    js: JetStreamContext, stream: str, durable: str, limits: QueueLimits
) -> Check:
    name = f"consumer {durable}"
    try:
        info = await js.consumer_info(stream, durable)
    except NotFoundError:
        return degraded(name, "missing: the service that owns it has never started")
    return judge_queue(
        name,
        pending=info.num_pending or 0,
        ack_pending=info.num_ack_pending or 0,
        redelivered=info.num_redelivered or 0,
        waiting=info.num_waiting or 0,
        limits=limits,
    )


def judge_dead_letters(count: int | None) -> Check | None:
    if count is None:
        return None
    if count:
        return degraded(
            "dead letters", f"{count} events gave up: inspect and replay them", dead_letters=count
        )
    return ok("dead letters", "none", dead_letters=0)


async def _jetstream_checks(nc: NatsClient, names: StreamNames, limits: QueueLimits) -> list[Check]:
    js = nc.jetstream()
    try:
        await js.account_info()
    except nats.errors.Error as exc:
        return [down("jetstream", f"not available: {type(exc).__name__}")]
    checks = [ok("jetstream", "enabled")]
    streams, dead = await check_streams(js, names)
    checks += streams
    checks.append(await check_consumer(js, names.events_stream, names.reactor_durable, limits))
    checks.append(await check_consumer(js, names.results_stream, names.bot_durable, limits))
    checks.append(await check_consumer(js, names.commands_stream, names.commands_durable, limits))
    dead_check = judge_dead_letters(dead)
    return [*checks, dead_check] if dead_check is not None else checks


async def probe_nats(
    url: str,
    names: StreamNames,
    *,
    timeout: float = 5.0,
    limits: QueueLimits | None = None,
) -> DependencyHealth:
    """Connect once, then read JetStream's view of our streams and consumers."""
    try:
        nc = await connect_once(url, timeout=timeout)
    except (OSError, TimeoutError, nats.errors.Error) as exc:
        reason = type(exc).__name__ if not str(exc) else f"{type(exc).__name__}: {exc}"
        return DependencyHealth("nats", (down("connect", f"{url} unreachable ({reason})"),))
    try:
        version = nc.connected_server_version
        connected = ok("connect", f"connected (server {version})", server_version=str(version))
        async with asyncio.timeout(timeout * 3):
            checks = await _jetstream_checks(nc, names, limits or QueueLimits())
    except (TimeoutError, nats.errors.Error) as exc:
        checks = [down("jetstream", f"no answer: {type(exc).__name__}")]
    finally:
        await nc.close()
    return DependencyHealth("nats", (connected, *checks))
