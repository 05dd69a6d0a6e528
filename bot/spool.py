"""The bot's local spool: recordings kept on disk while MinIO is unreachable.

Layout under the spool directory::

    incoming/<id>.part, <id>.json.tmp   being written (never uploaded from here)
    entries/<id>.audio, <id>.json       committed: the JSON is written last and is the marker
    quarantine/<id>/                    entries that could not be read or uploaded, with REASON

A write goes to ``incoming/``, is fsynced, then renamed into ``entries/`` (payload first, entry
last), so a crash never leaves a committed entry without its payload. A payload without its
entry is therefore either a commit in progress (left alone by :meth:`Spool.pending`, which runs
concurrently with writes) or a crash between the two renames (quarantined by :meth:`Spool.open`).
At start-up anything half-written or unreadable is moved to ``quarantine/`` and logged, never
deleted silently. The spool is bounded: writes that would exceed ``max_bytes`` fail with
:class:`SpoolFullError`; quarantined entries no longer count against it.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import shutil
import threading
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from bot.spool_entry import (
    SpoolEntry,
    SpoolEntryError,
    check_payload,
    decode_entry,
    encode_entry,
    is_entry_id,
)
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.logging import get_logger

log = get_logger(__name__)

PAYLOAD_SUFFIX = ".audio"
ENTRY_SUFFIX = ".json"
_HASH_CHUNK = 1024 * 1024


class SpoolFullError(Exception):
    """The spool has no room for this recording."""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_durably(path: Path, data: bytes) -> None:
    with path.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def hash_file(path: Path) -> tuple[int, str]:
    """(size, SHA-256 hex) of a file, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


class Spool:
    """Spooled recordings on local disk. Call :meth:`open` before anything else."""

    def __init__(self, root: Path, *, max_bytes: int) -> None:
        self.root = root
        self.max_bytes = max_bytes
        self._incoming = root / "incoming"
        self._entries = root / "entries"
        self._quarantine = root / "quarantine"
        # Sizes of the committed entries, by id: whatever path takes an entry away (upload,
        # quarantine by the uploader or by pending()) subtracts exactly what was counted.
        self._committed: dict[str, int] = {}
        self._reserved = 0
        self._accounting = threading.Lock()  # methods run on the loop and in worker threads

    @property
    def used_bytes(self) -> int:
        """Bytes held by committed entries plus writes in progress."""
        with self._accounting:
            return sum(self._committed.values()) + self._reserved

    def open(self) -> None:
        """Create the directories and recover from whatever a previous run left behind."""
        # Private to the bot's user: entries name the key they will be uploaded under.
        self.root.mkdir(mode=0o700, parents=True, exist_ok=True)
        for directory in (self._incoming, self._entries, self._quarantine):
            directory.mkdir(mode=0o700, exist_ok=True)
        for leftover in sorted(self._incoming.iterdir()):
            entry_id = leftover.name.split(".", 1)[0]
            self._quarantine_files(entry_id, [leftover], "incomplete write: the bot stopped")
        for orphan in sorted(self._entries.glob(f"*{PAYLOAD_SUFFIX}")):
            entry_id = orphan.name.removesuffix(PAYLOAD_SUFFIX)
            if not (self._entries / f"{entry_id}{ENTRY_SUFFIX}").exists():
                # Nothing is writing yet: the bot stopped between the two renames of a commit.
                self._quarantine_files(entry_id, [orphan], "payload without an entry")
        committed = {entry.entry_id: entry.size for entry in self.pending()}
        with self._accounting:
            self._committed = committed

    # ---------------------------------------------------------------- reading

    def payload_path(self, entry: SpoolEntry) -> Path:
        return self._entries / f"{entry.entry_id}{PAYLOAD_SUFFIX}"

    def pending(self) -> list[SpoolEntry]:
        """Committed entries, oldest first; broken ones are quarantined on the way."""
        found: list[SpoolEntry] = []
        for path in sorted(self._entries.iterdir()):
            entry_id, _, suffix = path.name.partition(".")
            if f".{suffix}" == PAYLOAD_SUFFIX:
                # Without its entry it is a commit in progress (or, after a crash, open()'s).
                continue
            entry = self._read_entry(path, entry_id, f".{suffix}")
            if entry is not None:
                found.append(entry)
        return sorted(found, key=lambda e: (e.spooled_at, e.entry_id))

    def _read_entry(self, path: Path, entry_id: str, suffix: str) -> SpoolEntry | None:
        payload = self._entries / f"{entry_id}{PAYLOAD_SUFFIX}"
        try:
            if suffix != ENTRY_SUFFIX or not is_entry_id(entry_id):
                raise SpoolEntryError(f"unexpected file {path.name}")
            if not payload.exists():
                raise SpoolEntryError("entry without its payload")
            return decode_entry(path.read_bytes(), entry_id=entry_id)
        except (SpoolEntryError, OSError) as exc:
            self._quarantine_files(entry_id, [path, payload], str(exc))
            return None

    def verify(self, entry: SpoolEntry) -> Path:
        """The payload's path, after checking its size and checksum (blocking: use a thread)."""
        path = self.payload_path(entry)
        size, sha256 = hash_file(path)
        check_payload(entry, size=size, sha256=sha256)
        return path

    def quarantined(self) -> list[str]:
        """Ids of quarantined entries."""
        return sorted(p.name for p in self._quarantine.iterdir() if p.is_dir())

    # ---------------------------------------------------------------- writing

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        key: str,
        content_type: str,
        metadata: RecordingMetadata,
        expected_size: int | None,
    ) -> SpoolEntry:
        """Spool a recording from ``chunks`` and commit it; raise :class:`SpoolFullError` when
        it does not fit (before writing when the size is known, else as soon as it exceeds)."""
        entry_id = uuid.uuid4().hex
        reservation = _Reservation(self, expected_size or 0)
        part = self._incoming / f"{entry_id}.part"
        try:
            handle = await asyncio.to_thread(part.open, "wb")
            try:
                size, sha256 = await self._copy(chunks, handle, reservation)
                await asyncio.to_thread(os.fsync, handle.fileno())
            finally:
                handle.close()
            entry = SpoolEntry(
                entry_id=entry_id,
                key=key,
                content_type=content_type,
                size=size,
                sha256=sha256,
                spooled_at=datetime.now(UTC),
                metadata=metadata,
            )
            await asyncio.to_thread(self._commit, entry, part)
        except BaseException:
            with contextlib.suppress(OSError):
                part.unlink(missing_ok=True)
            raise
        finally:
            reservation.release()
        with self._accounting:
            self._committed[entry.entry_id] = entry.size
        log.warning("spool.stored", key=key, entry=entry_id, size=entry.size)
        return entry

    def _reserve(self, size: int) -> None:
        with self._accounting:
            used = sum(self._committed.values()) + self._reserved
            if used + size > self.max_bytes:
                raise SpoolFullError(
                    f"spool full: {used} of {self.max_bytes} bytes used, {size} more needed"
                )
            self._reserved += size

    def _release(self, size: int) -> None:
        with self._accounting:
            self._reserved -= size

    def _forget(self, entry_id: str) -> None:
        """The entry left ``entries/``: its bytes no longer count against ``max_bytes``."""
        with self._accounting:
            self._committed.pop(entry_id, None)

    @staticmethod
    async def _copy(
        chunks: AsyncIterator[bytes], handle: BinaryIO, reservation: _Reservation
    ) -> tuple[int, str]:
        digest = hashlib.sha256()
        size = 0
        async for chunk in chunks:
            size += len(chunk)
            reservation.cover(size)
            digest.update(chunk)
            await asyncio.to_thread(handle.write, chunk)
        return size, digest.hexdigest()

    def _commit(self, entry: SpoolEntry, part: Path) -> None:
        tmp = self._incoming / f"{entry.entry_id}{ENTRY_SUFFIX}.tmp"
        _write_durably(tmp, encode_entry(entry))
        part.rename(self.payload_path(entry))
        tmp.rename(self._entries / f"{entry.entry_id}{ENTRY_SUFFIX}")
        _fsync_dir(self._entries)
        _fsync_dir(self._incoming)

    # ---------------------------------------------------------------- removing

    def remove(self, entry: SpoolEntry) -> None:
        """Forget an uploaded entry (the entry file first: no committed entry loses its payload)."""
        (self._entries / f"{entry.entry_id}{ENTRY_SUFFIX}").unlink(missing_ok=True)
        self.payload_path(entry).unlink(missing_ok=True)
        self._forget(entry.entry_id)

    def quarantine(self, entry: SpoolEntry, reason: str) -> bool:
        """Move an entry aside with the reason; it stays on disk for an operator.

        False when the disk refused the move (full, read-only): the entry stays pending and
        is tried again later; nothing is raised, so the uploader survives a full disk."""
        files = [self._entries / f"{entry.entry_id}{ENTRY_SUFFIX}", self.payload_path(entry)]
        return self._quarantine_files(entry.entry_id, files, reason, key=entry.key)

    def _quarantine_files(
        self, entry_id: str, files: list[Path], reason: str, *, key: str | None = None
    ) -> bool:
        target = self._quarantine / (entry_id if is_entry_id(entry_id) else uuid.uuid4().hex)
        moved = []
        try:
            target.mkdir(parents=True, exist_ok=True)
            # The entry first: a payload left behind is never taken for a committed entry.
            for path in files:
                if path.exists():
                    shutil.move(path, target / path.name)
                    moved.append(path.name)
        except OSError as exc:
            log.error(
                "spool.quarantine_failed", entry=entry_id, key=key, reason=reason, error=str(exc)
            )
            return False
        finally:
            if moved:
                self._forget(entry_id)
        _write_reason(target / "REASON", reason, entry_id=entry_id)
        log.error("spool.quarantined", entry=entry_id, key=key, reason=reason, files=moved)
        return True


def _write_reason(path: Path, reason: str, *, entry_id: str) -> None:
    """Best effort: on a full disk the reason is only in the log, the files are still aside."""
    try:
        path.write_text(f"{datetime.now(UTC).isoformat()} {reason}\n")
    except OSError as exc:
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
        log.error("spool.reason_unwritten", entry=entry_id, reason=reason, error=str(exc))


class _Reservation:
    """Room held in the spool for one write in progress; grows as bytes arrive."""

    def __init__(self, spool: Spool, size: int) -> None:
        spool._reserve(size)
        self._spool = spool
        self.amount = size

    def cover(self, size: int) -> None:
        if size > self.amount:
            self._spool._reserve(size - self.amount)
            self.amount = size

    def release(self) -> None:
        self._spool._release(self.amount)
        self.amount = 0
