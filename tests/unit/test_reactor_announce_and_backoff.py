"""What a recording still owes its user, and the consumer's redelivery schedule."""

from __future__ import annotations

import dataclasses
import uuid

from reactor.announce import owed_message
from reactor.errors import TransientError
from reactor.retry_plan import Action, plan_retry, redelivery_backoff
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
    assert message.dedup_id == f"result:{BASE.id}:done"


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


def test_redelivery_backoff_starts_at_ack_wait_and_grows() -> None:
    schedule = redelivery_backoff(30.0, 5)
    assert schedule == [30.0, 60.0, 120.0, 240.0]
    assert redelivery_backoff(200.0, 4) == [200.0, 300.0, 300.0]  # capped, never below ack_wait
    assert redelivery_backoff(10.0, 1) == [10.0]


def test_busy_delay_is_the_callers() -> None:
    plan = plan_retry(1, 5, TransientError("recording_busy", "leased"), busy_delay=2.5)
    assert (plan.action, plan.delay) == (Action.NAK, 2.5)
