"""The reactor's classification of what processing raised, and its settle plans."""

from __future__ import annotations

from reactor.consumer import as_reactor_error
from reactor.errors import PermanentError, TransientError
from reactor.retry_plan import BUSY_DELAY, event_policy, verdict_for
from voxpersona.consumer import Action, plan_settlement
from voxpersona.consumer.plan import Kind


def test_permanent_errors_are_never_retried() -> None:
    verdict = verdict_for(PermanentError("transcriber_rejected", "400"))
    assert (verdict.kind, verdict.code) == (Kind.REJECT, "transcriber_rejected")
    assert plan_settlement(verdict, 1, event_policy(5)).action is Action.TERM


def test_transient_errors_are_retried_then_dead_lettered() -> None:
    verdict = verdict_for(TransientError("transcriber_unavailable", "503"))
    assert plan_settlement(verdict, 1, event_policy(5)).action is Action.NAK
    last = plan_settlement(verdict, 5, event_policy(5))
    assert (last.action, last.code) == (Action.DEAD_LETTER, "transcriber_unavailable")


def test_unexpected_errors_are_internal_errors_retried() -> None:
    verdict = verdict_for(KeyError("bug"))
    assert (verdict.kind, verdict.code) == (Kind.RETRY, "internal_error")
    assert "KeyError" in verdict.reason


def test_busy_recordings_wait_the_callers_delay() -> None:
    assert verdict_for(TransientError("recording_busy", "leased")).delay == BUSY_DELAY
    verdict = verdict_for(TransientError("recording_busy", "leased"), busy_delay=2.5)
    assert plan_settlement(verdict, 1, event_policy(5)).delay == 2.5


def test_infrastructure_failures_are_named_transient() -> None:
    error = as_reactor_error(ConnectionRefusedError("db"))
    assert isinstance(error, TransientError)
    assert error.code == "database_unavailable"
