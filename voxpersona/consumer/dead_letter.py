"""Dead letters: messages the application gave up on, kept with their last error on the
dead-letter stream (``voxpersona dlq list`` shows them). Shared by the reactor's events and the
bot's results; the headers say where a letter came from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from nats.aio.msg import Msg
from nats.js import JetStreamContext

HEADER_CODE = "VP-Error-Code"
HEADER_ERROR = "VP-Error"
HEADER_STREAM = "VP-Stream"
HEADER_STREAM_SEQ = "VP-Stream-Seq"
HEADER_DELIVERIES = "VP-Deliveries"
HEADER_SUBJECT = "VP-Subject"
HEADER_FORCE = "VP-Force"
HEADER_FAILED_AT = "VP-Failed-At"


@dataclass(frozen=True, slots=True)
class Letter:
    """The message to keep and where it was in its stream."""

    data: bytes
    subject: str
    stream: str
    stream_seq: int
    deliveries: int


def letter_of(msg: Msg) -> Letter:
    meta = msg.metadata
    return Letter(
        data=msg.data,
        subject=msg.subject,
        stream=meta.stream,
        stream_seq=meta.sequence.stream,
        deliveries=meta.num_delivered,
    )


def one_line(text: str, limit: int = 1000) -> str:
    """Header values are single lines."""
    return text[:limit].replace("\r", " ").replace("\n", " ")


async def publish_dead_letter(
    js: JetStreamContext, subject: str, letter: Letter, *, code: str, reason: str
) -> None:
    """Store ``letter``; raises when the dead-letter stream did not confirm it."""
    await js.publish(
        subject,
        letter.data,
        headers={
            # Dead-lettering the same stream message twice (ours and the backstop's, or a
            # redelivery after a lost ack) stores it once.
            "Nats-Msg-Id": f"dlq:{letter.stream}:{letter.stream_seq}",
            HEADER_CODE: code,
            HEADER_ERROR: one_line(reason),
            HEADER_STREAM: letter.stream,
            HEADER_STREAM_SEQ: str(letter.stream_seq),
            HEADER_DELIVERIES: str(letter.deliveries),
            HEADER_SUBJECT: letter.subject,
            HEADER_FAILED_AT: datetime.now(UTC).isoformat(timespec="seconds"),
        },
    )
