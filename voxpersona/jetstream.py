"""JetStream streams and durable consumers, declared idempotently.

MinIO never creates the stream it publishes to and fails to publish without one, so whoever
starts first (the reactor, or the compose init service via ``voxpersona streams init``) creates
it. Consumers are created-or-updated explicitly: nats-py's ``pull_subscribe`` silently keeps an
existing durable's old configuration.
"""

from __future__ import annotations

from nats.js import JetStreamContext
from nats.js.api import (
    AckPolicy,
    ConsumerConfig,
    ConsumerInfo,
    DeliverPolicy,
    DiscardPolicy,
    RetentionPolicy,
    StorageType,
    StreamConfig,
    StreamInfo,
)
from nats.js.errors import NotFoundError

from voxpersona.consumer.advisories import (
    advisories_stream_config,
    advisory_subject,
    backstop_durable,
)
from voxpersona.contracts.subjects import StreamNames

DAY = 24 * 3600.0
# Results only need to outlive a bot outage; a week is generous.
RESULTS_MAX_AGE = 7 * DAY
COMMANDS_MAX_AGE = 7 * DAY


async def ensure_stream(js: JetStreamContext, config: StreamConfig) -> StreamInfo:
    """Create the stream, or update it when its configuration differs."""
    assert config.name is not None
    try:
        info = await js.stream_info(config.name)
    except NotFoundError:
        return await js.add_stream(config)
    current = info.config
    if (
        current.subjects != config.subjects
        or current.max_age != config.max_age
        or current.duplicate_window != config.duplicate_window
    ):
        return await js.update_stream(config)
    return info


def events_stream_config(names: StreamNames, *, retention_days: int) -> StreamConfig:
    """Limits-based retention keeps events for replay after they are acked."""
    return StreamConfig(
        name=names.events_stream,
        subjects=[names.events_subject],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=retention_days * DAY,
        duplicate_window=120.0,
    )


def results_stream_config(names: StreamNames) -> StreamConfig:
    return StreamConfig(
        name=names.results_stream,
        subjects=[names.results_subject],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=RESULTS_MAX_AGE,
        # Nats-Msg-Id dedup catches a reactor that crashed between publishing and bookkeeping.
        duplicate_window=600.0,
    )


def dead_letter_stream_config(names: StreamNames, *, retention_days: int) -> StreamConfig:
    """Dead letters are kept as long as the events they stand for."""
    return StreamConfig(
        name=names.dead_letter_stream,
        subjects=[names.dead_letter_subject],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=retention_days * DAY,
        duplicate_window=600.0,
    )


async def ensure_durable(
    js: JetStreamContext,
    *,
    stream: str,
    durable: str,
    subject: str,
    ack_wait: float,
    max_deliver: int,
    max_ack_pending: int = 1000,
    backoff: list[float] | None = None,
) -> ConsumerInfo:
    """Create or update a durable pull consumer with an explicit configuration."""
    config = ConsumerConfig(
        name=durable,
        durable_name=durable,
        deliver_policy=DeliverPolicy.ALL,
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=ack_wait,
        max_deliver=max_deliver,
        max_ack_pending=max_ack_pending,
        filter_subject=subject,
        backoff=backoff,
    )
    return await js.add_consumer(stream, config)


def commands_stream_config(names: StreamNames) -> StreamConfig:
    """Commands only need to outlive a reactor outage (the bot and the reactors both declare
    it, identically); ``Nats-Msg-Id`` (the command's id) drops a command published twice within
    the window."""
    return StreamConfig(
        name=names.commands_stream,
        subjects=[names.commands_subject],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        max_age=COMMANDS_MAX_AGE,
        duplicate_window=600.0,
    )


async def ensure_all(js: JetStreamContext, names: StreamNames, *, retention_days: int) -> None:
    """Declare the events, results, dead-letter, commands and advisory streams (``voxpersona streams
    init`` too)."""
    await ensure_stream(js, events_stream_config(names, retention_days=retention_days))
    await ensure_stream(js, results_stream_config(names))
    await ensure_stream(js, dead_letter_stream_config(names, retention_days=retention_days))
    await ensure_stream(js, commands_stream_config(names))
    await ensure_advisory_stream(js, names)


async def ensure_advisory_stream(js: JetStreamContext, names: StreamNames) -> StreamInfo:
    """The MAX_DELIVERIES advisories of the events, commands and results consumers (the
    backstop)."""
    config = advisories_stream_config(
        names.advisory_stream, [names.events_stream, names.commands_stream, names.results_stream]
    )
    return await ensure_stream(js, config)


async def ensure_backstop(
    js: JetStreamContext, names: StreamNames, *, stream: str, durable: str
) -> ConsumerInfo:
    """The durable reading the advisories of ``durable`` on ``stream``."""
    return await ensure_durable(
        js,
        stream=names.advisory_stream,
        durable=backstop_durable(durable),
        subject=advisory_subject(stream, durable),
        ack_wait=30.0,
        max_deliver=-1,  # an advisory is never given up on; its handler logs what it cannot do
    )


async def ensure_reactor_consumer(
    js: JetStreamContext,
    names: StreamNames,
    *,
    ack_wait: float,
    max_deliver: int,
    concurrency: int,
) -> ConsumerInfo:
    """The reactors' shared durable on the events stream. No ``backoff``: the nak delay is
    the retry schedule (see :mod:`voxpersona.consumer.plan`); ``max_deliver`` is the
    server's, above the application's own limit."""
    return await ensure_durable(
        js,
        stream=names.events_stream,
        durable=names.reactor_durable,
        subject=names.events_subject,
        ack_wait=ack_wait,
        max_deliver=max_deliver,
        max_ack_pending=max(100, concurrency * 10),
    )


async def ensure_commands_consumer(
    js: JetStreamContext, names: StreamNames, *, ack_wait: float, max_deliver: int
) -> ConsumerInfo:
    """The reactors' shared durable on the commands stream (like the events durable: no
    ``backoff``, the server's ``max_deliver``)."""
    return await ensure_durable(
        js,
        stream=names.commands_stream,
        durable=names.commands_durable,
        subject=names.commands_subject,
        ack_wait=ack_wait,
        max_deliver=max_deliver,
    )


async def ensure_bot_consumer(
    js: JetStreamContext, names: StreamNames, *, max_deliver: int, ack_wait: float
) -> ConsumerInfo:
    """The bots' shared durable on the results stream (``max_deliver``: the server's)."""
    return await ensure_durable(
        js,
        stream=names.results_stream,
        durable=names.bot_durable,
        subject=names.results_subject,
        ack_wait=ack_wait,
        max_deliver=max_deliver,
    )
