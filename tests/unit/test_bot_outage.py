"""Updates meeting an outage: which failures are waited out, and for how long (pure), and the
middleware running the rest of the chain again (no I/O: the chain is a plain function)."""

from __future__ import annotations

import random
from typing import Any

import asyncpg
import nats.errors
import pytest
from aiogram.types import TelegramObject

from bot.outage import OutageRetry, is_outage, outage_delay


@pytest.mark.parametrize(
    "error",
    [
        ConnectionRefusedError(111, "Connect call failed"),
        asyncpg.exceptions.CannotConnectNowError("the database system is starting up"),
        asyncpg.exceptions.AdminShutdownError("terminating connection due to administrator"),
        asyncpg.InterfaceError("connection is closed"),
        TimeoutError(),
        nats.errors.ConnectionReconnectingError(),
    ],
)
def test_database_and_nats_outages_are_waited_out(error: BaseException) -> None:
    assert is_outage(error)


@pytest.mark.parametrize(
    "error",
    [
        ValueError("bad caption"),
        PermissionError(13, "Permission denied"),  # a local-mode file: not an outage
        asyncpg.exceptions.UniqueViolationError("duplicate key"),
    ],
)
def test_other_failures_are_not(error: BaseException) -> None:
    assert not is_outage(error)


def test_delays_grow_bounded_and_end() -> None:
    rng = random.Random(3)
    delays = [outage_delay(n, attempts=8, base=1.0, cap=20.0, rng=rng) for n in range(1, 9)]
    assert delays[-1] is None
    waits = [d for d in delays if d is not None]
    assert len(waits) == 7
    assert all(0 < d <= 20.0 for d in waits)
    assert sum(waits) > 20.0  # long enough for a PostgreSQL restart


async def test_the_chain_runs_again_until_the_outage_ends() -> None:
    calls: list[int] = []
    slept: list[float] = []

    async def chain(event: TelegramObject, data: dict[str, Any]) -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ConnectionRefusedError(111, "Connect call failed")
        return "handled"

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    retry = OutageRetry(attempts=5, base_delay=1.0, max_delay=4.0, sleep=sleep)
    assert await retry(chain, TelegramObject(), {}) == "handled"
    assert len(calls) == 3
    assert len(slept) == 2


async def test_other_errors_pass_through_at_once() -> None:
    async def chain(event: TelegramObject, data: dict[str, Any]) -> None:
        raise ValueError("a bug")

    async def sleep(seconds: float) -> None:
        raise AssertionError("must not wait")

    with pytest.raises(ValueError, match="a bug"):
        await OutageRetry(sleep=sleep)(chain, TelegramObject(), {})


async def test_an_outage_past_the_budget_ends_the_update_without_raising() -> None:
    calls: list[int] = []

    async def chain(event: TelegramObject, data: dict[str, Any]) -> None:
        calls.append(1)
        raise asyncpg.exceptions.CannotConnectNowError("starting up")

    async def sleep(seconds: float) -> None:
        return None

    retry = OutageRetry(attempts=3, base_delay=0.1, max_delay=0.2, sleep=sleep)
    assert await retry(chain, TelegramObject(), {}) is None
    assert len(calls) == 3
