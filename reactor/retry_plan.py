"""What to do with a message whose processing raised: a pure decision, unit-tested alone."""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from reactor.errors import OperatorAlarmError, PermanentError, ReactorError
from voxpersona.retry import backoff_delay

BUSY_DELAY = 15.0
BASE_DELAY = 2.0
MAX_DELAY = 300.0
# An operator alarm (a refused API key) waits for a person: retry slowly, from 30 s up.
ALARM_BASE_DELAY = 30.0


class Action(StrEnum):
    NAK = "nak"
    DEAD_LETTER = "dead_letter"
    TERM = "term"


@dataclass(frozen=True, slots=True)
class RetryPlan:
    action: Action
    delay: float = 0.0
    code: str = "internal_error"


def plan_retry(
    deliveries: int,
    max_deliver: int,
    error: BaseException,
    rng: random.Random | None = None,
    *,
    busy_delay: float = BUSY_DELAY,
) -> RetryPlan:
    """Transient (and unexpected) errors are redelivered with exponential backoff and jitter until
    the last allowed delivery, which dead-letters instead; permanent errors are never retried.
    A recording leased by another reactor is looked at again after ``busy_delay``; an operator
    alarm is retried slowly (its dead letter does not fail the recording: see
    :class:`reactor.errors.OperatorAlarmError`)."""
    code = error.code if isinstance(error, ReactorError) else "internal_error"
    if isinstance(error, PermanentError):
        return RetryPlan(Action.TERM, code=code)
    if deliveries >= max_deliver:
        return RetryPlan(Action.DEAD_LETTER, code=code)
    if code == "recording_busy":
        return RetryPlan(Action.NAK, delay=busy_delay, code=code)
    base = ALARM_BASE_DELAY if isinstance(error, OperatorAlarmError) else BASE_DELAY
    delay = backoff_delay(deliveries, base=base, cap=MAX_DELAY, rng=rng)
    return RetryPlan(Action.NAK, delay=delay, code=code)


def redelivery_backoff(ack_wait: float, max_deliver: int, *, cap: float = MAX_DELAY) -> list[float]:
    """The consumer's ``backoff``: how long JetStream waits for an ack (or an ``in_progress``)
    before redelivering, per delivery. The server takes the first value as the ack wait, so the
    schedule starts at ``ack_wait`` and doubles from there: a reactor that died mid-work is
    replaced after one ack wait, a poison message that kills reactors does not spin."""
    count = max(max_deliver - 1, 1)
    return [max(ack_wait, min(cap, ack_wait * 2**i)) for i in range(count)]
