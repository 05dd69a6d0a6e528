"""Dead letters: events and commands that exhausted their deliveries, kept with the last
error, and the user told what failed."""

from __future__ import annotations

from nats.js import JetStreamContext

from reactor.commands import command_owner, fail_exhausted_command
from reactor.errors import is_operator_alarm
from reactor.pipeline import PipelineDeps, delivery_owner, fail_exhausted
from voxpersona.consumer.dead_letter import (
    HEADER_CODE,
    HEADER_DELIVERIES,
    HEADER_ERROR,
    HEADER_FAILED_AT,
    HEADER_FORCE,
    HEADER_STREAM_SEQ,
    HEADER_SUBJECT,
    Letter,
    publish_dead_letter,
)
from voxpersona.logging import get_logger

log = get_logger(__name__)

__all__ = [
    "HEADER_CODE",
    "HEADER_DELIVERIES",
    "HEADER_ERROR",
    "HEADER_FAILED_AT",
    "HEADER_FORCE",
    "HEADER_STREAM_SEQ",
    "HEADER_SUBJECT",
    "DeadLetters",
]


class DeadLetters:
    """Publishes the original message plus its last error to the dead-letter stream, then
    fails what it left outstanding and tells the user."""

    def __init__(self, js: JetStreamContext, subject: str, deps: PipelineDeps) -> None:
        self._js = js
        self._subject = subject
        self._deps = deps

    async def dead_letter(self, letter: Letter, code: str, reason: str) -> None:
        """Raises when the dead letter was not stored or the user not yet told (the message is
        then not acked, and dead-lettered again on its next delivery).

        The user is told only after the letter is stored, and on every dead-lettering of the
        same message: the result's dedup id and the recording's state keep it to one message.
        """
        await publish_dead_letter(self._js, self._subject, letter, code=code, reason=reason)
        log.error("event.dead_lettered", code=code, reason=reason[:1000])
        if is_operator_alarm(code):
            # Not the recording's fault: it stays unfinished (the user was told "delayed")
            # until an operator fixes the cause and requeues the dead letter.
            log.error("event.held_for_operator", code=code)
            return
        owner = delivery_owner(self._deps.owner, letter.stream_seq, letter.deliveries)
        why = f"gave up after {letter.deliveries} attempts: {reason[:1000]}"
        # An event, or a command: each ignores what is not its own.
        await fail_exhausted(
            letter.data, self._deps, code="retries_exhausted", reason=why, lease_owner=owner
        )
        await fail_exhausted_command(
            letter.data,
            self._deps,
            code="retries_exhausted",
            reason=why,
            lease_owner=command_owner(owner),
        )
