"""Streaming an async source into the SDK's blocking ``put_object``.

The event loop hands blocks to the upload thread through a bounded queue
(:class:`~voxpersona.storage.transport.ChunkReader`), so memory stays at a few parts whatever
the file size; small chunks are joined first because every hand-over costs a thread switch.
"""

from __future__ import annotations

import asyncio
import queue
from collections.abc import AsyncIterator, Mapping
from typing import Any

from minio.commonconfig import Tags

from voxpersona.storage.errors import StorageUploadError
from voxpersona.storage.objects import ProgressCallback
from voxpersona.storage.transport import ChunkReader

HANDOVER_SIZE = 1024 * 1024  # blocks handed from the event loop to the upload thread


class ProgressAdapter:
    """The SDK's progress protocol, reporting bytes read so far to a plain callback."""

    def __init__(self, callback: ProgressCallback) -> None:
        self._callback = callback
        self._done = 0

    def set_meta(self, object_name: str, total_length: int) -> None:
        return None

    def update(self, length: int) -> None:
        self._done += length
        self._callback(self._done)


def sdk_tags(values: Mapping[str, str] | None) -> Tags | None:
    if not values:
        return None
    tags = Tags(for_object=True)
    tags.update(values)
    return tags


def short_source(key: str, sent: int, length: int | None) -> StorageUploadError:
    return StorageUploadError(
        f"the source gave {sent} bytes, {length} were announced", key=key, code="ShortSource"
    )


async def coalesce(chunks: AsyncIterator[bytes], size: int = HANDOVER_SIZE) -> AsyncIterator[bytes]:
    """Join small chunks into blocks of at least ``size``."""
    pending: list[bytes] = []
    pending_size = 0
    async for chunk in chunks:
        pending.append(chunk)
        pending_size += len(chunk)
        if pending_size >= size:
            yield b"".join(pending)
            pending, pending_size = [], 0
    if pending:
        yield b"".join(pending)


async def feed(
    reader: ChunkReader, chunks: AsyncIterator[bytes], upload_task: asyncio.Future[Any]
) -> tuple[int, bool]:
    """Hand chunks to the uploader; return (bytes handed over, source exhausted)."""
    sent = 0
    async for chunk in chunks:
        if not await _hand_over(reader, chunk, upload_task):
            return sent, False  # the upload failed: stop reading the source
        sent += len(chunk)
    await _hand_over(reader, None, upload_task)
    return sent, True


async def _hand_over(
    reader: ChunkReader, chunk: bytes | None, upload_task: asyncio.Future[Any]
) -> bool:
    """Queue one chunk (None: end); False if the uploader is gone and never will read it."""
    while True:
        try:
            reader.chunks.put_nowait(chunk)
            return True
        except queue.Full:
            pass
        if upload_task.done():
            return False
        try:
            await asyncio.to_thread(reader.chunks.put, chunk, True, 0.5)
            return True
        except queue.Full:
            continue
