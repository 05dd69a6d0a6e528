"""The backstop: messages nats-server gave up on, caught from its MAX_DELIVERIES advisory.

The application dead-letters before the server's ``max_deliver`` is reached
(:func:`voxpersona.consumer.plan.server_max_deliver`). Should that fail every time (the
dead-letter stream unwritable for all the extra deliveries), nats-server drops the message
from the consumer and publishes ``$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.<stream>.<consumer>``
once (``server/consumer.go``: ``hasMaxDeliveries`` → ``notifyDeliveryExceeded``; the subject is
``JSAdvisoryConsumerMaxDeliveryExceedPre`` in ``server/jetstream_api.go``). Advisories are core
NATS messages, lost when nobody listens, so a stream of our own keeps them and a durable
consumer per watched consumer turns each one into the dead letter the application owed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import nats.errors
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError
from pydantic import BaseModel, ConfigDict, ValidationError

from voxpersona.consumer.core import Heartbeat
from voxpersona.consumer.dead_letter import Letter
from voxpersona.consumer.plan import Settlement, Verdict
from voxpersona.logging import get_logger

log = get_logger(__name__)

MAX_DELIVERIES_PREFIX = "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES"
ADVISORY_TYPE = "io.nats.jetstream.advisory.v1.max_deliver"
ADVISORY_RETENTION = 31 * 24 * 3600.0


def advisory_subject(stream: str, consumer: str = "*") -> str:
    """The subject of ``consumer``'s (default: every consumer's) advisories on ``stream``."""
    return f"{MAX_DELIVERIES_PREFIX}.{stream}.{consumer}"


def backstop_durable(durable: str) -> str:
    """The backstop consumer watching ``durable``."""
    return f"{durable}-backstop"


class MaxDeliveries(BaseModel):
    """``ConsumerDeliveryExceededAdvisory`` as nats-server publishes it."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    type: str
    stream: str
    consumer: str
    stream_seq: int
    deliveries: int


def parse_max_deliveries(payload: bytes) -> MaxDeliveries | None:
    """The advisory, or None for anything else (pure)."""
    try:
        advisory = MaxDeliveries.model_validate_json(payload)
    except ValidationError:
        return None
    return advisory if advisory.type == ADVISORY_TYPE else None


def advisories_stream_config(name: str, watched_streams: list[str]) -> StreamConfig:
    return StreamConfig(
        name=name,
        subjects=[advisory_subject(stream) for stream in watched_streams],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=ADVISORY_RETENTION,
    )


DeadLetterSink = Callable[[Letter, str, str], Awaitable[None]]


@dataclass
class BackstopHandler:
    """Turns a MAX_DELIVERIES advisory into the dead letter (via ``sink``) of the message it
    names, read back from its stream (our streams keep messages after delivery)."""

    js: JetStreamContext
    sink: DeadLetterSink

    async def handle(self, msg: Msg, beat: Heartbeat) -> Verdict:
        advisory = parse_max_deliveries(msg.data)
        if advisory is None:
            return Verdict.reject("malformed_advisory", msg.data[:200].decode("utf-8", "replace"))
        try:
            raw = await self.js.get_msg(advisory.stream, advisory.stream_seq)
        except NotFoundError:
            log.error(
                "backstop.message_gone",
                stream=advisory.stream,
                stream_seq=advisory.stream_seq,
                consumer=advisory.consumer,
            )
            return Verdict.reject("message_gone", "the stream no longer holds the message")
        letter = Letter(
            data=raw.data or b"",
            subject=raw.subject or "",
            stream=advisory.stream,
            stream_seq=advisory.stream_seq,
            deliveries=advisory.deliveries,
        )
        reason = f"nats-server stopped delivering after {advisory.deliveries} deliveries"
        await self.sink(letter, "max_deliveries", reason)
        log.error("backstop.dead_lettered", stream=advisory.stream, stream_seq=advisory.stream_seq)
        return Verdict.done("dead_lettered")

    def classify(self, error: Exception) -> Verdict:
        if isinstance(error, nats.errors.Error | OSError):
            return Verdict.retry("nats_unavailable", str(error))
        return Verdict.retry("internal_error", f"{type(error).__name__}: {error}")

    async def dead_letter(self, msg: Msg, settlement: Settlement) -> None:
        # The backstop of the backstop is the log: an operator alarm with the sequence.
        log.error("backstop.gave_up", code=settlement.code, reason=settlement.reason)
