"""The consumer core's settle plan, alone: verdict + delivery count + policy -> settlement."""

from __future__ import annotations

import random

import pytest

from voxpersona.consumer import (
    Action,
    RetryPolicy,
    Settlement,
    Verdict,
    plan_arrival,
    plan_settlement,
    server_max_deliver,
)
from voxpersona.consumer.advisories import advisory_subject, parse_max_deliveries

POLICY = RetryPolicy(max_attempts=4, base_delay=2.0, max_delay=30.0)


def test_done_acks_and_reject_terminates_on_any_delivery() -> None:
    for deliveries in (1, 4, 9):
        assert plan_settlement(Verdict.done("x"), deliveries, POLICY).action is Action.ACK
        rejected = plan_settlement(Verdict.reject("bad", "why"), deliveries, POLICY)
        assert rejected == Settlement(Action.TERM, "bad", "why")


def test_give_up_dead_letters_at_once() -> None:
    plan = plan_settlement(Verdict.give_up("telegram_bad_request", "no"), 1, POLICY)
    assert plan == Settlement(Action.DEAD_LETTER, "telegram_bad_request", "no")


def test_retries_back_off_with_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for deliveries in (1, 2, 3):
        plan = plan_settlement(Verdict.retry("down"), deliveries, POLICY, rng)
        ceiling = min(30.0, 2.0 * 2 ** (deliveries - 1))
        assert plan.action is Action.NAK
        assert ceiling / 2 <= plan.delay <= ceiling


def test_the_last_attempt_dead_letters_instead_of_retrying() -> None:
    plan = plan_settlement(Verdict.retry("down", "503"), 4, POLICY)
    assert plan == Settlement(Action.DEAD_LETTER, "down", "503")


def test_a_handlers_own_delay_wins_but_is_capped() -> None:
    assert plan_settlement(Verdict.retry("busy", delay=5.0), 1, POLICY).delay == 5.0
    assert plan_settlement(Verdict.retry("throttled", delay=900.0), 1, POLICY).delay == 30.0
    assert plan_settlement(Verdict.retry("now", delay=-1.0), 1, POLICY).delay == 0.0


def test_unsettled_deliveries_past_the_limit_are_dead_lettered_before_handling() -> None:
    assert plan_arrival(1, POLICY) is None
    assert plan_arrival(4, POLICY) is None  # the last attempt still runs
    plan = plan_arrival(5, POLICY)
    assert plan is not None
    assert (plan.action, plan.code) == (Action.DEAD_LETTER, "deliveries_exhausted")


def test_the_server_never_gives_up_before_the_application() -> None:
    assert server_max_deliver(POLICY) > POLICY.max_attempts


def test_policies_are_validated() -> None:
    with pytest.raises(ValueError, match="max_attempts"):
        RetryPolicy(max_attempts=0)
    with pytest.raises(ValueError, match="base_delay"):
        RetryPolicy(max_attempts=1, base_delay=10.0, max_delay=1.0)


def test_max_deliveries_advisories_are_parsed_and_other_payloads_are_not() -> None:
    payload = (
        b'{"type":"io.nats.jetstream.advisory.v1.max_deliver","id":"x","timestamp":"t",'
        b'"stream":"VOXPERSONA_EVENTS","consumer":"reactor","stream_seq":42,"deliveries":13}'
    )
    advisory = parse_max_deliveries(payload)
    assert advisory is not None
    assert (advisory.stream, advisory.consumer, advisory.stream_seq) == (
        "VOXPERSONA_EVENTS",
        "reactor",
        42,
    )
    assert parse_max_deliveries(b'{"type":"io.nats.jetstream.advisory.v1.nak"}') is None
    assert parse_max_deliveries(b"not json") is None
    assert advisory_subject("S", "c") == "$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.S.c"
