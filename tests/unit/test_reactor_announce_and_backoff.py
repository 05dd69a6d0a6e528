"""What a recording still owes its user, and the dedup ids naming what a result carries."""

from __future__ import annotations

import dataclasses
import uuid

from reactor.announce import owed_message
from voxpersona.contracts.results import RecordingStatus
from voxpersona.recordings import Recording

BASE = Recording(
    id=uuid.uuid4(),
    object_key="audio/1/2026/01/01/x.ogg",
    user_id=1,
    chat_id=1,
    message_id=7,
    status=RecordingStatus.DONE,
    attempts=1,
    failure_code=None,
    failure_reason=None,
    notified=False,
)


def test_nothing_is_owed_while_processing_or_after_everything_was_sent() -> None:
    processing = dataclasses.replace(BASE, status=RecordingStatus.PROCESSING)
    assert owed_message(processing, interface_language="ru") is None
    sent = dataclasses.replace(BASE, notified=True, analysis_status="done", analysis_notified=True)
    assert owed_message(sent, interface_language="ru") is None
    waiting = dataclasses.replace(BASE, notified=True, analysis_status="pending")
    assert owed_message(waiting, interface_language="ru") is None


def test_the_transcript_carries_the_analysis_state() -> None:
    message = owed_message(
        dataclasses.replace(BASE, analysis_status="pending"), interface_language="en"
    )
    assert message is not None
    assert (message.part, message.analysis, message.interface_language) == (
        "transcript",
        "pending",
        "en",
    )
    assert message.dedup_id == f"result:{BASE.id}:transcript:done:analysis-{message.analysis}"


def test_a_later_analysis_is_its_own_message() -> None:
    later = dataclasses.replace(
        BASE, notified=True, analysis_status="failed", analysis_code="analysis_rejected"
    )
    message = owed_message(later, interface_language=None)
    assert message is not None
    assert (message.part, message.analysis, message.analysis_reason_code) == (
        "analysis",
        "failed",
        "analysis_rejected",
    )
    assert message.reason_code is None
    assert message.dedup_id == f"result:{BASE.id}:analysis:failed"


def test_forced_reruns_are_not_deduplicated_away() -> None:
    forced = dataclasses.replace(BASE, force_token="replay-1")
    message = owed_message(forced, interface_language=None)
    assert message is not None
    assert message.dedup_id.endswith(":replay-1")


def test_a_fuller_transcript_message_is_not_a_duplicate_of_an_earlier_one() -> None:
    pending = owed_message(
        dataclasses.replace(BASE, analysis_status="pending"), interface_language=None
    )
    done = owed_message(dataclasses.replace(BASE, analysis_status="done"), interface_language=None)
    assert pending is not None
    assert done is not None
    assert pending.dedup_id != done.dedup_id
