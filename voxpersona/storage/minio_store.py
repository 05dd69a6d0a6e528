"""MinIO adapter: the ``minio`` SDK (synchronous) run in worker threads, with typed errors,
bounded retries for transient failures only, timing of every operation, and a streaming
upload that never holds a whole file in memory.

Every key passes :func:`~voxpersona.contracts.keys.check_object_key` before it reaches MinIO.
"""

from __future__ import annotations

import asyncio
import io
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import TypeVar

from minio import Minio
from minio.deleteobjects import DeleteObject
from minio.helpers import ObjectWriteResult

from voxpersona.contracts.keys import (
    RESULTS_PREFIX,
    check_object_key,
    user_audio_prefix,
)
from voxpersona.logging import get_logger
from voxpersona.retry import retry_async
from voxpersona.settings import MinioSettings
from voxpersona.storage.errors import StorageError
from voxpersona.storage.health import StorageHealth
from voxpersona.storage.objects import (
    ObjectInfo,
    ProgressCallback,
    info_from_listing,
    info_from_stat,
)
from voxpersona.storage.recorder import NullRecorder, OperationRecorder
from voxpersona.storage.streaming import (
    ProgressAdapter,
    coalesce,
    feed,
    sdk_tags,
    short_source,
)
from voxpersona.storage.transport import ChunkReader
from voxpersona.storage.transport import build_http_client as build_http_client  # re-export
from voxpersona.storage.transport import translate_error as translate_error  # re-export

T = TypeVar("T")
log = get_logger(__name__)

# The part size of multipart uploads: memory per upload is a few parts, whatever the file size.
PART_SIZE = 5 * 1024 * 1024  # S3 minimum; the SDK picks the same for files up to ~48 GiB
STREAM_CHUNK = 1024 * 1024
DEFAULT_REGION = "us-east-1"  # MinIO's default; set, so the SDK never asks GetBucketLocation
MAX_PRESIGN_TTL = timedelta(hours=1)
_PROBE_PREFIX = "voxpersona-probe/"


class MinioObjectStore:
    """All MinIO operations VoxPersona performs."""

    def __init__(
        self, settings: MinioSettings, *, recorder: OperationRecorder | None = None
    ) -> None:
        self.settings = settings
        self.recorder: OperationRecorder = recorder or NullRecorder()
        self.health = StorageHealth(settings, recorder=self.recorder)
        self._client = Minio(
            settings.endpoint,
            access_key=settings.access_key.get_secret_value(),
            secret_key=settings.secret_key.get_secret_value(),
            secure=settings.use_ssl,
            region=settings.region or DEFAULT_REGION,
            http_client=build_http_client(settings),
        )
        self._presigner = self._client
        if settings.public_url is not None:
            scheme, _, public = settings.public_url.partition("://")
            # Signing is local (the region is set): this client never sends a request.
            self._presigner = Minio(
                public,
                access_key=settings.access_key.get_secret_value(),
                secret_key=settings.secret_key.get_secret_value(),
                secure=scheme == "https",
                region=settings.region or DEFAULT_REGION,
            )

    @property
    def client(self) -> Minio:
        """The SDK client, for provisioning code that needs calls this class does not wrap."""
        return self._client

    @property
    def audio_bucket(self) -> str:
        return self.settings.audio_bucket_name

    @property
    def results_bucket(self) -> str:
        return self.settings.bucket_name

    # ------------------------------------------------------------------ plumbing

    async def _call(
        self,
        operation: str,
        func: Callable[[], T],
        *,
        key: str | None = None,
        upload: bool = False,
        retry: bool = True,
    ) -> T:
        """Run one SDK call in a thread: timed, translated, retried while transient."""
        if key is not None:
            check_object_key(key)

        async def attempt() -> T:
            started = time.perf_counter()
            try:
                result = await asyncio.to_thread(func)
            except Exception as exc:
                self.recorder.record(
                    operation, success=False, duration=time.perf_counter() - started
                )
                error = translate_error(exc, key=key, upload=upload)
                if error.transient:
                    self.health.invalidate()
                raise error from exc
            self.recorder.record(operation, success=True, duration=time.perf_counter() - started)
            return result

        return await self._retrying(operation, attempt, key=key, retry=retry)

    async def sdk_call(self, operation: str, func: Callable[[], T], *, key: str | None = None) -> T:
        """Run an SDK call this class does not wrap (provisioning) with the same timing,
        error translation and retries as every other operation."""
        return await self._call(operation, func, key=key)

    async def _retrying(
        self, operation: str, attempt: Callable[[], Awaitable[T]], *, key: str | None, retry: bool
    ) -> T:
        def on_retry(number: int, exc: BaseException, delay: float) -> None:
            log.warning(
                "storage.retry",
                operation=operation,
                key=key,
                attempt=number,
                delay=round(delay, 2),
                reason=str(exc),
            )

        return await retry_async(
            attempt,
            is_transient=lambda exc: isinstance(exc, StorageError) and exc.transient,
            max_retries=self.settings.max_retries if retry else 0,
            base_delay=self.settings.retry_backoff,
            factor=self.settings.retry_backoff,
            on_retry=on_retry,
        )

    # ------------------------------------------------------------------ buckets

    async def bucket_exists(self, bucket: str) -> bool:
        return await self._call("bucket_exists", lambda: self._client.bucket_exists(bucket))

    async def ensure_buckets(self, *buckets: str) -> list[str]:
        """Create missing buckets; return the names created."""
        created = []
        for bucket in buckets or (self.audio_bucket, self.results_bucket):
            if not await self.bucket_exists(bucket):
                await self._call("make_bucket", lambda b=bucket: self._client.make_bucket(b))  # type: ignore[misc]
                created.append(bucket)
        return created

    async def check_buckets(self) -> None:
        """Fail start-up clearly when MinIO is unreachable, credentials are wrong or a bucket
        is missing (for services whose policy lets them look at both buckets)."""
        from voxpersona.storage.startup import validate_startup

        await validate_startup(self)

    async def probe_bucket(self, bucket: str) -> None:
        """One signed GET on ``bucket`` (an empty listing). Raises what MinIO answered.

        Unlike HEAD, a GET error carries MinIO's code, so bad credentials
        (``InvalidAccessKeyId``) can be told from a policy that forbids listing (``AccessDenied``).
        """

        def probe() -> None:
            next(iter(self._client.list_objects(bucket, prefix=_PROBE_PREFIX)), None)

        await self._call("probe_bucket", probe)

    # ------------------------------------------------------------------ uploads

    async def put_stream(
        self,
        bucket: str,
        key: str,
        chunks: AsyncIterator[bytes],
        *,
        length: int | None,
        content_type: str,
        metadata: Mapping[str, str],
        tags: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> ObjectInfo:
        """Stream an upload from async chunks; memory is bounded by a few parts.

        Multipart above :data:`PART_SIZE`. Not retried here: a stream cannot be replayed;
        callers retry by re-opening the source. ``progress`` gets the bytes sent so far, from
        a worker thread.
        """
        check_object_key(key)
        reader = ChunkReader()

        def upload() -> ObjectWriteResult:
            return self._client.put_object(
                bucket,
                key,
                reader,  # type: ignore[arg-type]  # duck-typed: minio only calls read()
                length if length is not None else -1,
                content_type=content_type,
                metadata=dict(metadata),
                part_size=PART_SIZE,
                tags=sdk_tags(tags),
                progress=ProgressAdapter(progress) if progress else None,
            )

        upload_task = asyncio.ensure_future(
            self._call("put_object", upload, key=key, upload=True, retry=False)
        )
        try:
            sent, exhausted = await feed(reader, coalesce(chunks), upload_task)
        except BaseException:
            reader.abort()
            upload_task.cancel()
            raise
        short = exhausted and length is not None and sent != length
        try:
            result = await upload_task
        except StorageError as exc:
            if short:
                raise short_source(key, sent, length) from exc
            raise
        if short:
            raise short_source(key, sent, length)
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=sent,
            etag=result.etag,
            content_type=content_type,
            metadata=dict(metadata),
            version_id=result.version_id,
        )

    async def put_bytes(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        def upload() -> ObjectWriteResult:
            return self._client.put_object(
                bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata=dict(metadata or {}),
                tags=sdk_tags(tags),
            )

        result = await self._call("put_object", upload, key=key, upload=True)
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=len(data),
            etag=result.etag,
            content_type=content_type,
            metadata=dict(metadata or {}),
            version_id=result.version_id,
        )

    async def put_file(
        self,
        bucket: str,
        key: str,
        path: Path,
        *,
        content_type: str,
        metadata: Mapping[str, str],
        tags: Mapping[str, str] | None = None,
        progress: ProgressCallback | None = None,
    ) -> ObjectInfo:
        """Upload a local file (multipart above :data:`PART_SIZE`), retried while transient."""
        result = await self._call(
            "fput_object",
            lambda: self._client.fput_object(
                bucket,
                key,
                str(path),
                content_type=content_type,
                metadata=dict(metadata),
                part_size=PART_SIZE,
                tags=sdk_tags(tags),
                progress=ProgressAdapter(progress) if progress else None,
            ),
            key=key,
            upload=True,
        )
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=(await asyncio.to_thread(path.stat)).st_size,
            etag=result.etag,
            content_type=content_type,
            metadata=dict(metadata),
            version_id=result.version_id,
        )

    # ------------------------------------------------------------------ reads

    async def stat(self, bucket: str, key: str) -> ObjectInfo:
        stat = await self._call(
            "stat_object", lambda: self._client.stat_object(bucket, key), key=key
        )
        return info_from_stat(bucket, key, stat)

    async def tags(self, bucket: str, key: str) -> dict[str, str]:
        found = await self._call(
            "get_object_tags", lambda: self._client.get_object_tags(bucket, key), key=key
        )
        return dict(found or {})

    async def download_to_file(self, bucket: str, key: str, path: Path) -> ObjectInfo:
        stat = await self._call(
            "fget_object", lambda: self._client.fget_object(bucket, key, str(path)), key=key
        )
        return info_from_stat(bucket, key, stat)

    async def get_bytes(self, bucket: str, key: str) -> bytes:
        def read() -> bytes:
            response = self._client.get_object(bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await self._call("get_object", read, key=key)

    async def iter_object(
        self, bucket: str, key: str, *, chunk_size: int = STREAM_CHUNK
    ) -> AsyncIterator[bytes]:
        """The object's bytes as they arrive. Opening is retried; a broken stream is not."""
        response = await self._call(
            "get_object", lambda: self._client.get_object(bucket, key), key=key
        )
        chunks: Iterator[bytes] = response.stream(chunk_size)
        try:
            while True:
                chunk = await self._call(
                    "read_object", lambda: next(chunks, b""), key=key, retry=False
                )
                if not chunk:
                    return
                yield chunk
        finally:
            response.close()
            response.release_conn()

    async def list_objects(self, bucket: str, prefix: str) -> list[ObjectInfo]:
        """Every object under ``prefix`` (recursively), in key order."""
        check_object_key(prefix)

        def listing() -> list[ObjectInfo]:
            found = self._client.list_objects(bucket, prefix=prefix, recursive=True)
            return [info_from_listing(bucket, obj) for obj in found if not obj.is_dir]

        return await self._call("list_objects", listing)

    async def list_user_recordings(self, user_id: int) -> list[ObjectInfo]:
        """One user's audio objects (``audio/<user>/...``)."""
        return await self.list_objects(self.audio_bucket, user_audio_prefix(user_id))

    async def presigned_get(
        self, bucket: str, key: str, *, ttl: timedelta = timedelta(minutes=15)
    ) -> str:
        """A GET URL valid for ``ttl`` (at most an hour), for ``MINIO_PUBLIC_URL`` when set.

        Signed locally: no request to MinIO. Only ever sent to a user's private chat.
        """
        if not timedelta(seconds=1) <= ttl <= MAX_PRESIGN_TTL:
            raise ValueError(f"presigned URL TTL must be between 1 s and {MAX_PRESIGN_TTL}")
        return await self._call(
            "presigned_get_object",
            lambda: self._presigner.presigned_get_object(bucket, key, expires=ttl),
            key=key,
        )

    # ------------------------------------------------------------------ deletes

    async def delete(self, bucket: str, key: str) -> None:
        """Remove one object (S3 semantics: removing a missing object succeeds)."""
        await self._call("remove_object", lambda: self._client.remove_object(bucket, key), key=key)

    async def delete_prefix(self, bucket: str, prefix: str) -> int:
        """Remove every object under ``prefix``; return how many were removed."""
        keys = [info.key for info in await self.list_objects(bucket, prefix)]
        if not keys:
            return 0

        def remove() -> list[str]:
            errors = self._client.remove_objects(bucket, (DeleteObject(k) for k in keys))
            return [f"{e.name}: {e.code}" for e in errors]

        failed = await self._call("remove_objects", remove)
        if failed:
            raise StorageError(
                f"could not remove {len(failed)} objects: {failed[:5]}", code="DeleteFailed"
            )
        return len(keys)

    async def delete_user_objects(self, user_id: int) -> int:
        """Remove all of one user's audio and results; return how many objects went."""
        audio = await self.delete_prefix(self.audio_bucket, user_audio_prefix(user_id))
        results = await self.delete_prefix(self.results_bucket, f"{RESULTS_PREFIX}{user_id}/")
        log.info("storage.user_deleted", user_id=user_id, audio=audio, results=results)
        return audio + results
