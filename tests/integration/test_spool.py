"""The bot's spool on a real disk and its uploader against a real S3 server: bounded size,
surviving restarts, quarantining what cannot be used, uploading once MinIO is healthy."""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import pytest_asyncio

from bot.spool import Spool, SpoolFullError
from bot.spool_entry import SpoolEntry
from bot.spool_uploader import SpoolUploader
from tests.stacks import Stack
from voxpersona.contracts.keys import new_audio_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.localstack.ports import free_port
from voxpersona.localstack.stack import LocalStack
from voxpersona.storage import MinioObjectStore

USER = 881_000_001


@pytest_asyncio.fixture(loop_scope="session")
async def store(stack: Stack) -> AsyncIterator[MinioObjectStore]:
    suffix = uuid.uuid4().hex[:10]
    settings = stack.minio_settings(
        audio_bucket_name=f"vp-spool-{suffix}", bucket_name=f"vp-spool-r-{suffix}"
    )
    opened = MinioObjectStore(settings)
    await opened.ensure_buckets()
    yield opened


def open_spool(root: Path, max_bytes: int = 10_000_000) -> Spool:
    spool = Spool(root, max_bytes=max_bytes)
    spool.open()
    return spool


async def chunks_of(data: bytes, size: int = 64 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def spool_bytes(spool: Spool, data: bytes, *, known_size: bool = True) -> SpoolEntry:
    return await spool.write(
        chunks_of(data),
        key=str(new_audio_key(USER, "ogg", now=datetime.now(UTC))),
        content_type="audio/ogg",
        metadata=RecordingMetadata(user_id=USER, chat_id=USER, original_name="голос.ogg"),
        expected_size=len(data) if known_size else None,
    )


async def test_entries_survive_a_restart_in_order(tmp_path: Path) -> None:
    spool = open_spool(tmp_path)
    first = await spool_bytes(spool, b"first recording")
    second = await spool_bytes(spool, os.urandom(200_000))

    reopened = open_spool(tmp_path)

    assert [e.entry_id for e in reopened.pending()] == [first.entry_id, second.entry_id]
    assert reopened.used_bytes == first.size + second.size
    path = reopened.verify(second)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == second.sha256
    assert reopened.quarantined() == []


async def test_spool_is_bounded(tmp_path: Path) -> None:
    spool = open_spool(tmp_path, max_bytes=100_000)
    await spool_bytes(spool, b"x" * 60_000)

    with pytest.raises(SpoolFullError):
        await spool_bytes(spool, b"y" * 60_000)  # refused before writing: size known
    with pytest.raises(SpoolFullError):
        await spool_bytes(spool, b"z" * 60_000, known_size=False)  # refused while writing

    assert spool.used_bytes == 60_000
    assert len(spool.pending()) == 1
    assert list((tmp_path / "incoming").iterdir()) == []  # nothing half-written left behind
    await spool_bytes(spool, b"w" * 40_000)  # what fits still fits


async def test_half_written_and_corrupt_entries_are_quarantined_not_dropped(
    tmp_path: Path,
) -> None:
    spool = open_spool(tmp_path)
    good = await spool_bytes(spool, b"good")
    broken = await spool_bytes(spool, b"broken entry")
    orphan = await spool_bytes(spool, b"payload only")
    (tmp_path / "entries" / f"{broken.entry_id}.json").write_text("{not json")
    (tmp_path / "entries" / f"{orphan.entry_id}.json").unlink()
    (tmp_path / "incoming" / f"{uuid.uuid4().hex}.part").write_bytes(b"cut off")

    reopened = open_spool(tmp_path)

    assert [e.entry_id for e in reopened.pending()] == [good.entry_id]
    quarantined = reopened.quarantined()
    assert broken.entry_id in quarantined
    assert orphan.entry_id in quarantined
    assert len(quarantined) == 3
    reasons = {
        name: (tmp_path / "quarantine" / name / "REASON").read_text() for name in quarantined
    }
    assert "unreadable entry" in reasons[broken.entry_id]
    assert "payload without an entry" in reasons[orphan.entry_id]
    assert any("incomplete write" in reason for reason in reasons.values())
    # The bytes are kept for an operator.
    kept = tmp_path / "quarantine" / broken.entry_id / f"{broken.entry_id}.audio"
    assert kept.read_bytes() == b"broken entry"


async def test_uploader_sends_spooled_recordings_with_their_metadata(
    tmp_path: Path, store: MinioObjectStore
) -> None:
    spool = open_spool(tmp_path)
    data = os.urandom(50_000)
    entry = await spool_bytes(spool, data)

    result = await SpoolUploader(spool, store).drain()

    assert (result.uploaded, result.quarantined, result.blocked) == (1, 0, False)
    assert spool.pending() == []
    assert spool.used_bytes == 0
    assert await store.get_bytes(store.audio_bucket, entry.key) == data
    stat = await store.stat(store.audio_bucket, entry.key)
    assert RecordingMetadata.from_user_metadata(stat.metadata) == entry.metadata
    assert stat.content_type == "audio/ogg"
    assert await store.tags(store.audio_bucket, entry.key) == {
        "user-id": str(USER),
        "source": "telegram",
    }


async def test_uploader_waits_while_minio_is_unreachable(tmp_path: Path, stack: Stack) -> None:
    spool = open_spool(tmp_path)
    entry = await spool_bytes(spool, b"waiting")
    down = MinioObjectStore(stack.minio_settings(endpoint=f"127.0.0.1:{free_port()}"))

    result = await SpoolUploader(spool, down).drain(fresh_health=True)

    assert result.blocked
    assert result.pending == 1
    assert [e.entry_id for e in spool.pending()] == [entry.entry_id]
    assert spool.quarantined() == []


async def test_tampered_payload_is_quarantined_and_never_uploaded(
    tmp_path: Path, store: MinioObjectStore
) -> None:
    spool = open_spool(tmp_path)
    entry = await spool_bytes(spool, b"original bytes")
    spool.payload_path(entry).write_bytes(b"modified bytes")
    next_one = await spool_bytes(spool, b"fine")

    result = await SpoolUploader(spool, store).drain()

    assert (result.uploaded, result.quarantined) == (1, 1)
    assert spool.quarantined() == [entry.entry_id]
    assert [i.key for i in await store.list_user_recordings(USER)].count(entry.key) == 0
    assert await store.get_bytes(store.audio_bucket, next_one.key) == b"fine"


async def test_a_permanent_refusal_is_quarantined_a_transient_one_waits(
    tmp_path: Path, stack: Stack, store: MinioObjectStore
) -> None:
    if not isinstance(stack, LocalStack) or stack.minio is None:
        pytest.skip("fault injection needs the local stand-in")
    spool = open_spool(tmp_path)
    entry = await spool_bytes(spool, b"refused")
    uploader = SpoolUploader(spool, store)

    stack.minio.inject_fault("put", status=503, code="SlowDown", times=3)  # 1 try + 2 retries
    waited = await uploader.drain()
    assert waited.blocked
    assert [e.entry_id for e in spool.pending()] == [entry.entry_id]

    stack.minio.inject_fault("put", status=403, code="AccessDenied", times=1)
    refused = await uploader.drain()
    assert (refused.quarantined, refused.blocked) == (1, False)
    reason = (tmp_path / "quarantine" / entry.entry_id / "REASON").read_text()
    assert "AccessDenied" in reason
    entry_file = tmp_path / "quarantine" / entry.entry_id / f"{entry.entry_id}.json"
    assert json.loads(entry_file.read_text())["key"] == entry.key


async def test_spooled_recordings_obey_the_metadata_budget(
    tmp_path: Path, store: MinioObjectStore
) -> None:
    """The longest caption Telegram allows, spooled whole, is uploaded within MinIO's 2 KiB
    (the double refuses more, as MinIO does) and keeps its full text in the entry."""
    spool = open_spool(tmp_path)
    metadata = RecordingMetadata(
        user_id=USER,
        chat_id=USER,
        original_name="я" * 127 + ".ogg",
        title="Заголовок " * 40,
        notes="ж" * 600,
    )
    entry = await spool.write(
        chunks_of(b"OggS budget"),
        key=str(new_audio_key(USER, "ogg", now=datetime.now(UTC))),
        content_type="audio/ogg",
        metadata=metadata,
        expected_size=11,
    )
    assert spool.pending()[0].metadata == metadata  # the spool keeps the full texts

    result = await SpoolUploader(spool, store).drain()

    assert (result.uploaded, result.quarantined) == (1, 0)
    stat = await store.stat(store.audio_bucket, entry.key)
    stored = RecordingMetadata.from_user_metadata(stat.metadata)
    assert stored.title is not None
    assert metadata.title is not None
    assert metadata.title.startswith(stored.title.removesuffix("…").rstrip())
    assert stored.user_id == USER
