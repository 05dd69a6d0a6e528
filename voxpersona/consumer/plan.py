"""The settle plan: what becomes of one delivery, decided by pure functions.

A handler reports a :class:`Verdict` (done, retry, reject, give up); :func:`plan_settlement`
turns it into one :class:`Settlement` (ack, nak with a delay, term, dead letter) from the
delivery count and the consumer's :class:`RetryPolicy`. :func:`plan_arrival` runs before the
handler: a message delivered more often than the policy allows was never settled by the
processes that had it (they crashed, or were killed), so it is dead-lettered without running
the handler again.

Why the application and not the server decides the end: nats-server drops a message once its
delivery count reaches ``max_deliver`` (``server/consumer.go``, ``hasMaxDeliveries``: it is
removed from ``pending`` and only a ``MAX_DELIVERIES`` advisory is sent). If our last attempt
crashes, is drained by SIGTERM, or fails to store its dead letter, the message would be gone.
So the server's limit is set above ours (:func:`server_max_deliver`) and we dead-letter first.

Why the nak delay alone times retries: with a consumer ``backoff`` list, nats-server sets a
nak'ed message's timestamp to ``now - AckWait + delay`` (``processNak``) but then waits
``BackOff[deliveries]`` from it (``checkPending``), so the observed delay is
``delay + BackOff[n] - BackOff[0]``. Our consumers have no ``backoff``: the retry schedule is
the nak delay planned here, and ``ack_wait`` only detects a dead process.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum

from voxpersona.retry import backoff_delay

# How many more deliveries the server allows than the application: chances to store a dead
# letter whose first publish failed before the server itself gives up (and the backstop runs).
SERVER_MARGIN = 5


class Action(StrEnum):
    ACK = "ack"
    NAK = "nak"
    TERM = "term"
    DEAD_LETTER = "dead_letter"


class Kind(StrEnum):
    DONE = "done"  # processed (or deliberately ignored): ack
    RETRY = "retry"  # may work later: nak with a delay, until the attempts run out
    REJECT = "reject"  # can never work and nobody needs it kept: term (with an error log)
    GIVE_UP = "give_up"  # can never work, keep it where an operator sees it: dead letter


@dataclass(frozen=True, slots=True)
class Verdict:
    """What a handler says about one delivery."""

    kind: Kind
    code: str
    reason: str = ""
    # A retry delay the handler knows better than the backoff (Telegram's retry_after, a
    # lease another process holds); None: the policy's backoff.
    delay: float | None = None

    @classmethod
    def done(cls, code: str = "done") -> Verdict:
        return cls(Kind.DONE, code)

    @classmethod
    def retry(cls, code: str, reason: str = "", *, delay: float | None = None) -> Verdict:
        return cls(Kind.RETRY, code, reason, delay)

    @classmethod
    def reject(cls, code: str, reason: str = "") -> Verdict:
        return cls(Kind.REJECT, code, reason)

    @classmethod
    def give_up(cls, code: str, reason: str = "") -> Verdict:
        return cls(Kind.GIVE_UP, code, reason)


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Attempts per message and the bounded exponential backoff (with jitter) between them."""

    max_attempts: int
    base_delay: float = 2.0
    max_delay: float = 300.0

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if not 0 < self.base_delay <= self.max_delay:
            raise ValueError("need 0 < base_delay <= max_delay")


@dataclass(frozen=True, slots=True)
class Settlement:
    """The one thing done with a delivery."""

    action: Action
    code: str
    reason: str = ""
    delay: float = 0.0


def plan_settlement(
    verdict: Verdict, deliveries: int, policy: RetryPolicy, rng: random.Random | None = None
) -> Settlement:
    """Ack, nak with a delay, term or dead letter for ``verdict`` on delivery ``deliveries``
    (1-based, as JetStream counts). A retry on the last allowed attempt dead-letters."""
    code, reason = verdict.code, verdict.reason
    if verdict.kind is Kind.DONE:
        return Settlement(Action.ACK, code)
    if verdict.kind is Kind.REJECT:
        return Settlement(Action.TERM, code, reason)
    if verdict.kind is Kind.GIVE_UP or deliveries >= policy.max_attempts:
        return Settlement(Action.DEAD_LETTER, code, reason)
    return Settlement(Action.NAK, code, reason, retry_delay(verdict, deliveries, policy, rng))


def retry_delay(
    verdict: Verdict, deliveries: int, policy: RetryPolicy, rng: random.Random | None = None
) -> float:
    """The handler's own delay (capped by the policy), else the backoff for this attempt."""
    if verdict.delay is not None:
        return min(max(verdict.delay, 0.0), policy.max_delay)
    return backoff_delay(max(deliveries, 1), base=policy.base_delay, cap=policy.max_delay, rng=rng)


def plan_arrival(deliveries: int, policy: RetryPolicy) -> Settlement | None:
    """Before handling: a delivery past the policy's last attempt is dead-lettered at once.

    Only deliveries nobody settled get here (a settled last attempt dead-letters itself), so
    the earlier processes crashed or were killed on this message: running it again would
    likely kill this one too.
    """
    if deliveries <= policy.max_attempts:
        return None
    reason = f"delivered {deliveries} times, never settled: the processes handling it died"
    return Settlement(Action.DEAD_LETTER, "deliveries_exhausted", reason)


def server_max_deliver(policy: RetryPolicy) -> int:
    """The durable's ``max_deliver``: above ours, so the application always decides the end."""
    return policy.max_attempts + SERVER_MARGIN
