"""The storage layer against a real S3 server (the local stack's moto behind the MinIO
notifier double, or a MinIO container): round trips, retries, typed errors, health, start-up
validation. Each test module works in fresh buckets, so nothing here triggers the reactor."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio

from tests.stacks import Stack
from voxpersona.contracts.keys import InvalidKeyError, new_audio_key, result_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.localstack.minio_standin import MinioStandin
from voxpersona.localstack.ports import free_port
from voxpersona.localstack.stack import LocalStack
from voxpersona.storage import (
    MinioObjectStore,
    OperationStats,
    StorageAccessDeniedError,
    StorageConnectionError,
    StorageHealth,
    StorageNotFoundError,
    StorageUploadError,
    validate_startup,
)
from voxpersona.storage.minio_store import PART_SIZE
from voxpersona.storage.startup import BucketState

USER = 880_000_001
OTHER_USER = 880_000_002


@pytest_asyncio.fixture(loop_scope="session")
async def store(stack: Stack) -> AsyncIterator[MinioObjectStore]:
    suffix = uuid.uuid4().hex[:10]
    settings = stack.minio_settings(
        audio_bucket_name=f"vp-audio-{suffix}", bucket_name=f"vp-results-{suffix}"
    )
    opened = MinioObjectStore(settings, recorder=OperationStats())
    await opened.ensure_buckets()
    yield opened


def standin_of(stack: Stack) -> MinioStandin:
    if not isinstance(stack, LocalStack) or stack.minio is None:
        pytest.skip("fault injection needs the local stand-in")
    return stack.minio


def stats_of(store: MinioObjectStore) -> OperationStats:
    assert isinstance(store.recorder, OperationStats)
    return store.recorder


def audio_key(user_id: int = USER) -> str:
    return str(new_audio_key(user_id, "ogg", now=datetime.now(UTC)))


async def chunks_of(data: bytes, size: int = 256 * 1024) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_streamed_multipart_upload_round_trips(
    store: MinioObjectStore, tmp_path: Path
) -> None:
    data = os.urandom(2 * PART_SIZE + 12_345)  # three parts
    key = audio_key()
    meta = RecordingMetadata(user_id=USER, chat_id=USER, original_name="интервью.ogg")
    seen: list[int] = []

    info = await store.put_stream(
        store.audio_bucket,
        key,
        chunks_of(data),
        length=len(data),
        content_type="audio/ogg",
        metadata=meta.to_headers(),
        tags=meta.to_tags(),
        progress=seen.append,
    )

    assert info.size == len(data)
    assert info.etag is not None
    assert info.etag.endswith("-3")
    assert seen
    assert seen[-1] == len(data)
    assert seen == sorted(seen)
    stat = await store.stat(store.audio_bucket, key)
    assert (stat.size, stat.content_type) == (len(data), "audio/ogg")
    assert RecordingMetadata.from_user_metadata(stat.metadata) == meta
    assert await store.tags(store.audio_bucket, key) == {"user-id": str(USER), "source": "telegram"}

    target = tmp_path / "copy.ogg"
    downloaded = await store.download_to_file(store.audio_bucket, key, target)
    assert downloaded.size == len(data)
    assert hashlib.sha256(target.read_bytes()).digest() == hashlib.sha256(data).digest()
    streamed = b"".join([chunk async for chunk in store.iter_object(store.audio_bucket, key)])
    assert streamed == data


async def test_stream_shorter_than_announced_is_a_permanent_upload_error(
    store: MinioObjectStore,
) -> None:
    with pytest.raises(StorageUploadError, match="gave 1000 bytes, 2000 were announced"):
        await store.put_stream(
            store.audio_bucket,
            audio_key(),
            chunks_of(b"x" * 1000),
            length=2000,
            content_type="audio/ogg",
            metadata={},
        )


async def test_put_file_reports_progress_and_lists_per_user(
    store: MinioObjectStore, tmp_path: Path
) -> None:
    path = tmp_path / "voice.ogg"
    path.write_bytes(os.urandom(300_000))
    seen: list[int] = []
    keys = sorted(audio_key() for _ in range(3))
    for key in keys:
        await store.put_file(
            store.audio_bucket,
            key,
            path,
            content_type="audio/ogg",
            metadata={},
            progress=seen.append,
        )
    other = audio_key(OTHER_USER)
    await store.put_bytes(store.audio_bucket, other, b"other", content_type="audio/ogg")

    assert seen[-1] == 300_000
    listed = await store.list_user_recordings(USER)
    assert [info.key for info in listed] == keys
    assert all(info.size == 300_000 and info.last_modified is not None for info in listed)
    assert [i.key for i in await store.list_user_recordings(OTHER_USER)] == [other]


async def test_delete_one_and_all_of_a_user(store: MinioObjectStore) -> None:
    user = 880_000_010
    keys = [audio_key(user) for _ in range(3)]
    for key in keys:
        await store.put_bytes(store.audio_bucket, key, b"a", content_type="audio/ogg")
    result = result_key(user, uuid.uuid4())
    await store.put_bytes(store.results_bucket, result, b"{}", content_type="application/json")
    bystander = audio_key(880_000_011)
    await store.put_bytes(store.audio_bucket, bystander, b"b", content_type="audio/ogg")

    await store.delete(store.audio_bucket, keys[0])
    with pytest.raises(StorageNotFoundError):
        await store.stat(store.audio_bucket, keys[0])
    assert await store.delete_user_objects(user) == 3  # two audio objects and the result
    assert await store.list_user_recordings(user) == []
    assert await store.list_objects(store.results_bucket, f"results/{user}/") == []
    assert (await store.stat(store.audio_bucket, bystander)).size == 1


async def test_presigned_get_downloads_for_a_short_time(store: MinioObjectStore) -> None:
    key = audio_key()
    await store.put_bytes(store.audio_bucket, key, b"presigned bytes", content_type="audio/ogg")

    url = await store.presigned_get(store.audio_bucket, key, ttl=timedelta(minutes=2))

    assert "X-Amz-Expires=120" in url
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        assert response.status == 200
        assert await response.read() == b"presigned bytes"
    with pytest.raises(ValueError, match="TTL"):
        await store.presigned_get(store.audio_bucket, key, ttl=timedelta(days=7))


@pytest.mark.parametrize(
    "key", ["../audio/1/x.ogg", "/audio/1/x.ogg", "audio/1/\nx.ogg", "audio//x.ogg", ""]
)
async def test_unsafe_keys_never_reach_minio(store: MinioObjectStore, key: str) -> None:
    before = stats_of(store).snapshot()
    with pytest.raises(InvalidKeyError):
        await store.put_bytes(store.audio_bucket, key, b"x", content_type="audio/ogg")
    with pytest.raises(InvalidKeyError):
        await store.stat(store.audio_bucket, key)
    assert stats_of(store).snapshot() == before


async def test_transient_faults_are_retried_until_success(
    stack: Stack, store: MinioObjectStore
) -> None:
    standin = standin_of(stack)
    key = audio_key()
    before = stats_of(store).get("put_object")
    standin.inject_fault("put", status=503, code="SlowDown", times=2)

    await store.put_bytes(store.audio_bucket, key, b"retried", content_type="audio/ogg")

    after = stats_of(store).get("put_object")
    assert (after.failures - before.failures, after.successes - before.successes) == (2, 1)
    assert await store.get_bytes(store.audio_bucket, key) == b"retried"


async def test_transient_faults_beyond_the_budget_surface_as_connection_error(
    stack: Stack, store: MinioObjectStore
) -> None:
    standin = standin_of(stack)
    before = stats_of(store).get("put_object")
    standin.inject_fault("put", status=500, code="InternalError", times=3)  # 1 + 2 retries

    with pytest.raises(StorageConnectionError) as caught:
        await store.put_bytes(store.audio_bucket, audio_key(), b"x", content_type="audio/ogg")

    assert caught.value.code == "InternalError"
    assert stats_of(store).get("put_object").failures - before.failures == 3


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [(403, "AccessDenied", StorageAccessDeniedError), (404, "NoSuchKey", StorageNotFoundError)],
)
async def test_client_errors_are_not_retried(
    stack: Stack,
    store: MinioObjectStore,
    status: int,
    code: str,
    error: type[Exception],
) -> None:
    standin = standin_of(stack)
    key = audio_key()
    await store.put_bytes(store.audio_bucket, key, b"present", content_type="audio/ogg")
    before = stats_of(store).get("get_object")
    standin.inject_fault("get", status=status, code=code, times=1)

    with pytest.raises(error):
        await store.get_bytes(store.audio_bucket, key)

    assert stats_of(store).get("get_object").failures - before.failures == 1
    # The fault was used up by that one attempt: the object itself is fine.
    assert await store.get_bytes(store.audio_bucket, key) == b"present"


async def test_missing_object_is_not_found(store: MinioObjectStore) -> None:
    with pytest.raises(StorageNotFoundError) as caught:
        await store.stat(store.audio_bucket, audio_key())
    assert caught.value.code == "NoSuchKey"


async def test_health_is_cached_for_the_interval(stack: Stack) -> None:
    now = [0.0]
    stats = OperationStats()
    health = StorageHealth(
        stack.minio_settings(health_check_interval=60), recorder=stats, clock=lambda: now[0]
    )

    first = await health.status()
    now[0] = 59.0
    second = await health.status()
    now[0] = 61.0
    third = await health.status()

    assert first.live
    assert first.ready
    assert second is first
    assert third is not first
    assert stats.get("health_live").successes == 2
    assert stats.get("health_ready").successes == 2
    assert third.as_report()["ready"] is True


async def test_unreachable_minio(stack: Stack) -> None:
    store = MinioObjectStore(stack.minio_settings(endpoint=f"127.0.0.1:{free_port()}"))

    status = await store.health.status()
    assert not status.live
    assert not status.ready
    assert status.detail

    with pytest.raises(StorageConnectionError):
        await validate_startup(store)
    report = await validate_startup(store, require_reachable=False)
    assert not report.usable
    assert set(report.buckets.values()) == {BucketState.UNREACHABLE}


async def test_startup_validation_checks_buckets(stack: Stack, store: MinioObjectStore) -> None:
    report = await validate_startup(store)
    assert report.usable
    assert report.buckets == {
        store.audio_bucket: BucketState.PRESENT,
        store.results_bucket: BucketState.PRESENT,
    }
    missing = MinioObjectStore(
        stack.minio_settings(audio_bucket_name=f"vp-missing-{uuid.uuid4().hex[:8]}")
    )
    with pytest.raises(StorageNotFoundError, match="does not exist"):
        await validate_startup(missing)


async def test_startup_tolerates_a_policy_refusal_but_not_bad_credentials(
    stack: Stack, store: MinioObjectStore
) -> None:
    standin = standin_of(stack)
    standin.inject_fault("any", status=403, code="AccessDenied", times=2)
    report = await validate_startup(store, tolerate_denied=True)
    assert set(report.buckets.values()) == {BucketState.UNVERIFIED}

    standin.inject_fault("any", status=403, code="AccessDenied", times=1)
    with pytest.raises(StorageAccessDeniedError):
        await validate_startup(store)

    standin.inject_fault("any", status=403, code="InvalidAccessKeyId", times=1)
    with pytest.raises(StorageAccessDeniedError, match="rejected the credentials"):
        await validate_startup(store, tolerate_denied=True)
