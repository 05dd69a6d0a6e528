"""Dead letters: events that exhausted their deliveries, kept with the last error, and the
user told that their recording failed."""

from __future__ import annotations

from nats.js import JetStreamContext

from reactor.pipeline import PipelineDeps, fail_exhausted
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
    """Publishes the original event plus its last error to the dead-letter stream, then marks
    the recording failed and tells its user."""

    def __init__(self, js: JetStreamContext, subject: str, deps: PipelineDeps) -> None:
        self._js = js
        self._subject = subject
        self._deps = deps

    async def dead_letter(self, letter: Letter, code: str, reason: str) -> None:
        """Raises when the dead letter was not stored (the message is then not acked).

        The user is told only after the letter is stored, and on every dead-lettering of the
        same event: the result's dedup id and the recording's state keep it to one message.
        """
        await publish_dead_letter(self._js, self._subject, letter, code=code, reason=reason)
        log.error("event.dead_lettered", code=code, reason=reason[:1000])
        await fail_exhausted(
            letter.data,
            self._deps,
            code="retries_exhausted",
            reason=f"gave up after {letter.deliveries} attempts: {reason[:1000]}",
        )
