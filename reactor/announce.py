"""Telling the bot: publish whichever result message a recording still owes its user.

Called after every stage and for every duplicate event, so a crash between committing a result
and announcing it is repaired by the redelivery. The message's ``Nats-Msg-Id`` covers the gap
between publishing and recording that we did.
"""

from __future__ import annotations

from typing import Literal

from reactor.results import ResultPublisher
from voxpersona.contracts.results import RecordingStatus, ResultMessage
from voxpersona.logging import get_logger
from voxpersona.recordings import Recording, Recordings

log = get_logger(__name__)


def owed_message(recording: Recording, *, interface_language: str | None) -> ResultMessage | None:
    """The result message the user has not had yet, if any (pure)."""
    if recording.status is RecordingStatus.PROCESSING:
        return None
    part: Literal["transcript", "analysis"]
    if not recording.notified:
        part = "transcript"
    elif recording.analysis_status in ("done", "failed") and not recording.analysis_notified:
        part = "analysis"
    else:
        return None
    return ResultMessage(
        recording_id=recording.id,
        user_id=recording.user_id,
        chat_id=recording.chat_id,
        reply_to_message_id=recording.message_id,
        status=recording.status,
        reason_code=recording.failure_code if part == "transcript" else None,
        reason=recording.failure_reason if part == "transcript" else None,
        interface_language=interface_language,
        part=part,
        analysis=recording.analysis_status,
        analysis_reason_code=recording.analysis_code,
        run_id=recording.force_token,
    )


async def announce_owed(
    recording: Recording,
    recordings: Recordings,
    publisher: ResultPublisher,
    *,
    interface_language: str | None,
    silent: bool = False,
) -> bool:
    """Publish what is owed and remember it; False when nothing was.

    ``silent`` records the message as delivered without publishing it: recordings imported by
    ``voxpersona migrate`` are transcribed, but nobody is messaged about old files.
    """
    message = owed_message(recording, interface_language=interface_language)
    if message is None:
        return False
    if silent:
        log.info("recording.announce_suppressed", part=message.part)
    else:
        await publisher.publish(message)
    if message.part == "analysis":
        await recordings.mark_analysis_notified(recording.id)
    else:
        await recordings.mark_notified(
            recording.id, analysis_too=recording.analysis_status != "pending"
        )
    log.info(
        "recording.announced",
        part=message.part,
        status=str(message.status),
        analysis=message.analysis,
    )
    return True
