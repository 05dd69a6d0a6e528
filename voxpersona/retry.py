"""Bounded exponential backoff with full jitter, as pure functions plus one async loop."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def backoff_delay(
    attempt: int,
    *,
    base: float,
    factor: float = 2.0,
    cap: float = 60.0,
    rng: random.Random | None = None,
) -> float:
    """Delay before retry number ``attempt`` (1-based): full jitter over ``base * factor**(n-1)``.

    Full jitter spreads retries of many clients hitting the same outage (AWS architecture blog,
    "Exponential Backoff And Jitter").
    """
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    ceiling = min(cap, base * factor ** (attempt - 1))
    return (rng or random).uniform(ceiling / 2, ceiling)


async def retry_async(
    operation: Callable[[], Awaitable[T]],
    *,
    is_transient: Callable[[BaseException], bool],
    max_retries: int,
    base_delay: float,
    factor: float = 2.0,
    cap: float = 30.0,
    on_retry: Callable[[int, BaseException, float], None] | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run ``operation``; retry it up to ``max_retries`` times while failures are transient."""
    attempt = 0
    while True:
        try:
            return await operation()
        except Exception as exc:
            attempt += 1
            if attempt > max_retries or not is_transient(exc):
                raise
            delay = backoff_delay(attempt, base=base_delay, factor=factor, cap=cap)
            if on_retry is not None:
                on_retry(attempt, exc, delay)
            await sleep(delay)
