"""Pacing sends per chat within Telegram's limits.

Telegram's Bot FAQ ("My bot is hitting limits, how do I avoid this?"): avoid more than one
message per second in a single chat, and no more than 20 messages per minute in a group.
Groups and channels have negative chat ids; private chats positive ones.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

PRIVATE_INTERVAL = 1.0
GROUP_INTERVAL = 60.0 / 20
_PRUNE_ABOVE = 10_000


def send_interval(
    chat_id: int, *, private: float = PRIVATE_INTERVAL, group: float = GROUP_INTERVAL
) -> float:
    """The minimum spacing between two sends to ``chat_id`` (pure)."""
    return group if chat_id < 0 else private


def wait_before_send(last_sent: float | None, now: float, interval: float) -> float:
    """Seconds to wait so that this send is ``interval`` after the previous one (pure)."""
    if last_sent is None:
        return 0.0
    return max(0.0, last_sent + interval - now)


@dataclass
class ChatPacer:
    """Spaces sends to each chat; several deliveries to one chat queue up in turn."""

    private_interval: float = PRIVATE_INTERVAL
    group_interval: float = GROUP_INTERVAL
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    _last: dict[int, float] = field(default_factory=dict)
    _locks: dict[int, asyncio.Lock] = field(default_factory=dict)

    def lock(self, chat_id: int) -> asyncio.Lock:
        """Held for one send: the wait, the send, and noting its time."""
        return self._locks.setdefault(chat_id, asyncio.Lock())

    async def wait_turn(self, chat_id: int) -> None:
        interval = send_interval(chat_id, private=self.private_interval, group=self.group_interval)
        delay = wait_before_send(self._last.get(chat_id), self.clock(), interval)
        if delay > 0:
            await self.sleep(delay)

    def sent(self, chat_id: int) -> None:
        now = self.clock()
        self._last[chat_id] = now
        if len(self._last) > _PRUNE_ABOVE:
            self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        """Chats not written to for longer than any interval need no memory."""
        horizon = max(self.private_interval, self.group_interval)
        for chat_id, at in list(self._last.items()):
            lock = self._locks.get(chat_id)
            if now - at > horizon and (lock is None or not lock.locked()):
                del self._last[chat_id]
                self._locks.pop(chat_id, None)


class KeyedLocks:
    """One lock per key, forgotten when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    @contextlib.asynccontextmanager
    async def hold(self, key: int) -> AsyncIterator[None]:
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)
