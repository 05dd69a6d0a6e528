"""Dead letters: events that exhausted their deliveries, kept with the last error."""

from __future__ import annotations

from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext

from reactor.commands import command_owner, fail_exhausted_command
from reactor.errors import OperatorAlarmError
from reactor.pipeline import PipelineDeps, delivery_owner, fail_exhausted
from voxpersona.logging import get_logger

log = get_logger(__name__)

HEADER_CODE = "VP-Error-Code"
HEADER_ERROR = "VP-Error"
HEADER_STREAM_SEQ = "VP-Stream-Seq"
HEADER_DELIVERIES = "VP-Deliveries"
HEADER_SUBJECT = "VP-Subject"
HEADER_FORCE = "VP-Force"
HEADER_FAILED_AT = "VP-Failed-At"


class DeadLetters:
    """Publishes the original event plus its last error to the dead-letter stream."""

    def __init__(self, js: JetStreamContext, subject: str, deps: PipelineDeps) -> None:
        self._js = js
        self._subject = subject
        self._deps = deps

    async def dead_letter(self, msg: Msg, error: BaseException, *, code: str) -> None:
        meta = msg.metadata
        reason = str(error)[:1000]
        await self._js.publish(
            self._subject,
            msg.data,
            headers={
                # Dead-lettering the same stream message twice stores it once.
                "Nats-Msg-Id": f"dlq:{meta.stream}:{meta.sequence.stream}",
                HEADER_CODE: code,
                HEADER_ERROR: reason.replace("\r", " ").replace("\n", " "),
                HEADER_STREAM_SEQ: str(meta.sequence.stream),
                HEADER_DELIVERIES: str(meta.num_delivered),
                HEADER_SUBJECT: msg.subject,
                HEADER_FAILED_AT: datetime.now(UTC).isoformat(timespec="seconds"),
            },
        )
        log.error("event.dead_lettered", code=code, reason=reason)
        if isinstance(error, OperatorAlarmError):
            # Not the recording's fault: it stays unfinished (the user was told "delayed")
            # until an operator fixes the cause and requeues the dead letter.
            log.error("event.held_for_operator", code=code)
            return
        owner = delivery_owner(self._deps.owner, meta.sequence.stream, meta.num_delivered)
        reason = f"gave up after {meta.num_delivered} attempts: {reason}"
        try:
            # An event, or a command: each ignores what is not its own.
            await fail_exhausted(
                msg.data, self._deps, code="retries_exhausted", reason=reason, lease_owner=owner
            )
            await fail_exhausted_command(
                msg.data,
                self._deps,
                code="retries_exhausted",
                reason=reason,
                lease_owner=command_owner(owner),
            )
        except Exception as exc:
            # The dead letter is stored; requeueing it later will finish the bookkeeping.
            log.warning("event.dead_letter_bookkeeping_failed", reason=str(exc))
