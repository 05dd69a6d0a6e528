"""MinIO adapter: the ``minio`` SDK (synchronous) run in worker threads, with typed errors,
bounded retries for transient failures only, timing of every operation, and a streaming
upload that never holds a whole file in memory."""

from __future__ import annotations

import asyncio
import queue
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeVar

import certifi
import urllib3
from minio import Minio
from minio.error import MinioException, S3Error, ServerError
from urllib3.exceptions import HTTPError

from voxpersona.logging import get_logger
from voxpersona.retry import retry_async
from voxpersona.settings import MinioSettings
from voxpersona.storage.errors import (
    StorageAccessDeniedError,
    StorageConnectionError,
    StorageDownloadError,
    StorageError,
    StorageNotFoundError,
    StorageUploadError,
)

T = TypeVar("T")
log = get_logger(__name__)

# minio-py's smallest multipart part; also the unit our streaming bridge hands over.
PART_SIZE = 8 * 1024 * 1024
_NOT_FOUND = frozenset({"NoSuchKey", "NoSuchBucket", "NoSuchObject", "NoSuchVersion"})
_DENIED = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled"}
)
_TRANSIENT = frozenset(
    {
        "SlowDown",
        "ServiceUnavailable",
        "InternalError",
        "RequestTimeout",
        "XMinioServerNotInitialized",
        "XMinioStorageFull",
        "OperationTimedOut",
    }
)


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What ``stat`` and uploads report about an object."""

    bucket: str
    key: str
    size: int | None
    etag: str | None
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None
    version_id: str | None = None


class OperationRecorder(Protocol):
    """Receives one call per MinIO operation (for metrics and KPIs)."""

    def record(self, operation: str, *, success: bool, duration: float) -> None: ...


class NullRecorder:
    """Records nothing."""

    def record(self, operation: str, *, success: bool, duration: float) -> None:
        return None


def translate_error(exc: BaseException, *, key: str | None, upload: bool) -> StorageError:
    """Map an SDK/transport exception to our typed errors."""
    if isinstance(exc, StorageError):
        return exc
    if isinstance(exc, S3Error):
        code = exc.code or ""
        message = f"{code}: {exc.message}" if exc.message else code
        if code in _NOT_FOUND:
            return StorageNotFoundError(message, key=key, code=code)
        if code in _DENIED:
            return StorageAccessDeniedError(message, key=key, code=code)
        status = exc.response.status if exc.response is not None else 0
        if code in _TRANSIENT or status >= 500:
            return StorageConnectionError(message, key=key, code=code)
        kind = StorageUploadError if upload else StorageDownloadError
        return kind(message, key=key, code=code)
    if isinstance(exc, ServerError):
        return StorageConnectionError(
            f"server error {exc.status_code}", key=key, code="ServerError"
        )
    if isinstance(exc, HTTPError | OSError | MinioException):
        return StorageConnectionError(f"{type(exc).__name__}: {exc}", key=key, code="Connection")
    kind = StorageUploadError if upload else StorageDownloadError
    return kind(f"{type(exc).__name__}: {exc}", key=key)


def build_http_client(settings: MinioSettings) -> urllib3.PoolManager:
    """TLS with verification on (system CAs or ``MINIO_CERT_PATH``); retries are ours."""
    ca_file: str | None = certifi.where()
    ca_dir: str | None = None
    if settings.cert_path is not None:
        if settings.cert_path.is_dir():
            ca_file, ca_dir = None, str(settings.cert_path)
        else:
            ca_file = str(settings.cert_path)
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=10.0, read=300.0),
        maxsize=16,
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_file,
        ca_cert_dir=ca_dir,
        retries=False,
    )


class _ChunkReader:
    """A blocking file-like view of chunks handed over from the event loop.

    The queue is bounded, so at most ``maxsize`` chunks are in memory whatever the file size.
    """

    def __init__(self, maxsize: int = 4) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=maxsize)
        self._buffer = b""
        self._eof = False

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size < 0 or len(self._buffer) < size):
            chunk = self.chunks.get()
            if chunk is None:
                self._eof = True
                break
            self._buffer += chunk
            if size >= 0 and len(self._buffer) >= size:
                break
        if size < 0:
            out, self._buffer = self._buffer, b""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out

    def drain(self) -> None:
        """Unblock a producer waiting on a full queue after the consumer gave up."""
        while True:
            try:
                self.chunks.get_nowait()
            except queue.Empty:
                return


class MinioObjectStore:
    """All MinIO operations VoxPersona performs."""

    def __init__(
        self, settings: MinioSettings, *, recorder: OperationRecorder | None = None
    ) -> None:
        self.settings = settings
        self._recorder = recorder or NullRecorder()
        self._client = Minio(
            settings.endpoint,
            access_key=settings.access_key.get_secret_value(),
            secret_key=settings.secret_key.get_secret_value(),
            secure=settings.use_ssl,
            region=settings.region,
            http_client=build_http_client(settings),
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

    async def _call(
        self,
        operation: str,
        func: Callable[[], T],
        *,
        key: str | None = None,
        upload: bool = False,
        retry: bool = True,
    ) -> T:
        async def attempt() -> T:
            started = time.perf_counter()
            try:
                result = await asyncio.to_thread(func)
            except Exception as exc:
                self._recorder.record(
                    operation, success=False, duration=time.perf_counter() - started
                )
                raise translate_error(exc, key=key, upload=upload) from exc
            self._recorder.record(operation, success=True, duration=time.perf_counter() - started)
            return result

        return await self._retrying(operation, attempt, key=key, retry=retry)

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
        """Fail start-up clearly when credentials are wrong or a bucket is missing."""
        for bucket in (self.audio_bucket, self.results_bucket):
            if not await self.bucket_exists(bucket):
                raise StorageNotFoundError(f"bucket {bucket!r} does not exist", code="NoSuchBucket")

    async def put_stream(
        self,
        bucket: str,
        key: str,
        chunks: AsyncIterator[bytes],
        *,
        length: int | None,
        content_type: str,
        metadata: Mapping[str, str],
    ) -> ObjectInfo:
        """Stream an upload from async chunks; memory is bounded by a few parts.

        Not retried here: a stream cannot be replayed. Callers retry by re-opening the source.
        """
        reader = _ChunkReader()

        def upload() -> Any:
            return self._client.put_object(
                bucket,
                key,
                reader,  # type: ignore[arg-type]  # duck-typed: minio only calls read()
                length if length is not None else -1,
                content_type=content_type,
                metadata=dict(metadata),
                part_size=PART_SIZE,
            )

        upload_task = asyncio.ensure_future(
            self._call("put_object", upload, key=key, upload=True, retry=False)
        )
        try:
            await self._feed(reader, chunks, upload_task)
        except BaseException:
            reader.drain()
            reader.chunks.put(None)
            upload_task.cancel()
            raise
        result = await upload_task
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=length,
            etag=result.etag,
            content_type=content_type,
            metadata=dict(metadata),
            version_id=result.version_id,
        )

    @staticmethod
    async def _feed(
        reader: _ChunkReader, chunks: AsyncIterator[bytes], upload_task: asyncio.Future[Any]
    ) -> None:
        async for chunk in chunks:
            if upload_task.done():
                break
            try:
                reader.chunks.put_nowait(chunk)
            except queue.Full:
                await asyncio.to_thread(reader.chunks.put, chunk)
        await asyncio.to_thread(reader.chunks.put, None)

    async def put_bytes(
        self,
        bucket: str,
        key: str,
        data: bytes,
        *,
        content_type: str,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectInfo:
        import io

        def upload() -> Any:
            return self._client.put_object(
                bucket,
                key,
                io.BytesIO(data),
                len(data),
                content_type=content_type,
                metadata=dict(metadata or {}),
            )

        result = await self._call("put_object", upload, key=key, upload=True)
        return ObjectInfo(
            bucket=bucket, key=key, size=len(data), etag=result.etag, content_type=content_type
        )

    async def put_file(
        self, bucket: str, key: str, path: Path, *, content_type: str, metadata: Mapping[str, str]
    ) -> ObjectInfo:
        result = await self._call(
            "fput_object",
            lambda: self._client.fput_object(
                bucket,
                key,
                str(path),
                content_type=content_type,
                metadata=dict(metadata),
                part_size=PART_SIZE,
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
        )

    async def stat(self, bucket: str, key: str) -> ObjectInfo:
        stat = await self._call(
            "stat_object", lambda: self._client.stat_object(bucket, key), key=key
        )
        return ObjectInfo(
            bucket=bucket,
            key=key,
            size=stat.size,
            etag=stat.etag,
            content_type=stat.content_type,
            metadata={k: v for k, v in (stat.metadata or {}).items()},
            last_modified=stat.last_modified,
            version_id=stat.version_id,
        )

    async def download_to_file(self, bucket: str, key: str, path: Path) -> ObjectInfo:
        stat = await self._call(
            "fget_object", lambda: self._client.fget_object(bucket, key, str(path)), key=key
        )
        return ObjectInfo(
            bucket=bucket, key=key, size=stat.size, etag=stat.etag, content_type=stat.content_type
        )

    async def get_bytes(self, bucket: str, key: str) -> bytes:
        def read() -> bytes:
            response = self._client.get_object(bucket, key)
            try:
                return response.read()
            finally:
                response.close()
                response.release_conn()

        return await self._call("get_object", read, key=key)
