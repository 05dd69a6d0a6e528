"""What an event's processing outcome means for its message: a pure classification into the
consumer core's verdicts (:mod:`voxpersona.consumer.plan` plans the settlement)."""

from __future__ import annotations

from reactor.errors import OperatorAlarmError, PermanentError, ReactorError
from voxpersona.consumer.plan import RetryPolicy, Verdict

BUSY_DELAY = 15.0
BASE_DELAY = 2.0
MAX_DELAY = 300.0
# An operator alarm (a refused API key) waits for a person: retried slowly, once a minute.
ALARM_DELAY = 60.0


def event_policy(max_attempts: int) -> RetryPolicy:
    """Attempts per event, with exponential backoff from 2 s up to 5 minutes."""
    return RetryPolicy(max_attempts=max_attempts, base_delay=BASE_DELAY, max_delay=MAX_DELAY)


def verdict_for(error: BaseException, *, busy_delay: float = BUSY_DELAY) -> Verdict:
    """Permanent errors are never retried; transient (and unexpected) ones are, until the
    attempts run out; a recording leased by another reactor is looked at after ``busy_delay``;
    an operator alarm is retried slowly, every ``ALARM_DELAY`` (its dead letter does not fail
    the recording: see :class:`reactor.errors.OperatorAlarmError`)."""
    code = error.code if isinstance(error, ReactorError) else "internal_error"
    reason = str(error) if isinstance(error, ReactorError) else f"{type(error).__name__}: {error}"
    if isinstance(error, PermanentError):
        return Verdict.reject(code, reason)
    if code == "recording_busy":
        return Verdict.retry(code, reason, delay=busy_delay)
    if isinstance(error, OperatorAlarmError):
        return Verdict.retry(code, reason, delay=ALARM_DELAY)
    return Verdict.retry(code, reason)
