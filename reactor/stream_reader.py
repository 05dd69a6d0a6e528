"""Reading stored messages of a JetStream stream by sequence, for operators' tools."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError

from reactor.replay_selection import StoredEvent


async def bounds(js: JetStreamContext, stream: str) -> tuple[int, int]:
    """First and last stored sequence (last < first when the stream is empty)."""
    state = (await js.stream_info(stream)).state
    return state.first_seq, state.last_seq


async def get(js: JetStreamContext, stream: str, seq: int) -> StoredEvent | None:
    try:
        msg = await js.get_msg(stream, seq)
    except NotFoundError:
        return None  # deleted, or aged out of the stream
    return StoredEvent(seq=seq, time=msg.time, data=msg.data or b"", headers=msg.headers or {})


async def first_at_or_after(
    js: JetStreamContext, stream: str, when: datetime, first: int, last: int
) -> int:
    """The first sequence stored at or after ``when`` (binary search: times only grow)."""
    low, high = first, last + 1
    while low < high:
        middle = (low + high) // 2
        probe = middle
        stored = await get(js, stream, probe)
        while stored is None and probe < high - 1:  # step over deleted messages
            probe += 1
            stored = await get(js, stream, probe)
        if stored is None or (stored.time is not None and stored.time >= when):
            high = middle
        else:
            low = probe + 1
    return low


async def read(
    js: JetStreamContext, stream: str, first: int, last: int
) -> AsyncIterator[StoredEvent]:
    for seq in range(first, last + 1):
        stored = await get(js, stream, seq)
        if stored is not None:
            yield stored
