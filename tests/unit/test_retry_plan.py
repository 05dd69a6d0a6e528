from __future__ import annotations

import random

import pytest

from reactor.errors import PermanentError, TransientError
from reactor.retry_plan import BUSY_DELAY, MAX_DELAY, Action, plan_retry
from voxpersona.retry import backoff_delay


def test_permanent_errors_are_never_retried() -> None:
    plan = plan_retry(1, 5, PermanentError("transcriber_rejected", "400"))
    assert plan.action is Action.TERM
    assert plan.code == "transcriber_rejected"


def test_transient_errors_back_off_exponentially_with_jitter() -> None:
    rng = random.Random(1)
    delays = [plan_retry(n, 10, TransientError("x", "y"), rng).delay for n in range(1, 6)]
    assert all(
        plan_retry(n, 10, TransientError("x", "y")).action is Action.NAK for n in range(1, 6)
    )
    for attempt, delay in enumerate(delays, start=1):
        ceiling = min(MAX_DELAY, 2.0 * 2 ** (attempt - 1))
        assert ceiling / 2 <= delay <= ceiling


def test_last_delivery_dead_letters() -> None:
    plan = plan_retry(5, 5, TransientError("transcriber_unavailable", "503"))
    assert plan.action is Action.DEAD_LETTER
    assert plan.code == "transcriber_unavailable"


def test_unexpected_errors_are_retried_then_dead_lettered() -> None:
    assert plan_retry(1, 3, KeyError("bug")).action is Action.NAK
    assert plan_retry(3, 3, KeyError("bug")).code == "internal_error"


def test_busy_recordings_wait_a_fixed_time() -> None:
    plan = plan_retry(1, 5, TransientError("recording_busy", "leased"))
    assert plan == plan.__class__(Action.NAK, BUSY_DELAY, "recording_busy")


def test_backoff_is_capped_and_validated() -> None:
    assert backoff_delay(30, base=2, cap=60) <= 60
    with pytest.raises(ValueError, match="1-based"):
        backoff_delay(0, base=1)
