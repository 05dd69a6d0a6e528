"""The wire under the ``minio`` SDK: TLS-verifying HTTP client, error translation, and the
bounded bridge that lets an async producer feed a blocking multipart upload."""

from __future__ import annotations

import queue

import certifi
import urllib3
from minio.error import InvalidResponseError, MinioException, S3Error, ServerError
from urllib3.exceptions import HTTPError

from voxpersona.settings import MinioSettings
from voxpersona.storage.errors import (
    StorageAccessDeniedError,
    StorageConnectionError,
    StorageDownloadError,
    StorageError,
    StorageNotFoundError,
    StorageUploadError,
)

NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "NoSuchObject", "NoSuchVersion"})
DENIED_CODES = frozenset(
    {"AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "AllAccessDisabled"}
)
# Codes meaning the credentials themselves were refused (not merely a policy saying no).
BAD_CREDENTIAL_CODES = frozenset({"InvalidAccessKeyId", "SignatureDoesNotMatch"})
TRANSIENT_CODES = frozenset(
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


def translate_error(exc: BaseException, *, key: str | None, upload: bool) -> StorageError:
    """Map an SDK/transport exception to our typed errors.

    Transient (retry may help): connection errors, timeouts, 5xx and the throttling codes.
    Everything 4xx is permanent: not found, access denied, or an upload/download error.
    """
    if isinstance(exc, StorageError):
        return exc
    kind = StorageUploadError if upload else StorageDownloadError
    if isinstance(exc, S3Error):
        code = exc.code or ""
        message = f"{code}: {exc.message}" if exc.message else code
        if code in NOT_FOUND_CODES:
            return StorageNotFoundError(message, key=key, code=code)
        if code in DENIED_CODES:
            return StorageAccessDeniedError(message, key=key, code=code)
        http_status = exc.response.status if exc.response is not None else 0
        if code in TRANSIENT_CODES or http_status >= 500:
            return StorageConnectionError(message, key=key, code=code)
        return kind(message, key=key, code=code)
    status = _status_of(exc)
    if status is not None:
        if status >= 500:
            return StorageConnectionError(f"server error {status}", key=key, code="ServerError")
        return kind(f"HTTP {status}", key=key, code=f"HTTP{status}")
    if isinstance(exc, HTTPError | OSError | MinioException):
        return StorageConnectionError(f"{type(exc).__name__}: {exc}", key=key, code="Connection")
    return kind(f"{type(exc).__name__}: {exc}", key=key)


def _status_of(exc: BaseException) -> int | None:
    """The HTTP status of an SDK error that carries no S3 error code."""
    if isinstance(exc, ServerError):
        return exc.status_code
    if isinstance(exc, InvalidResponseError):  # e.g. a proxy's HTML error page
        code = getattr(exc, "_code", None)
        return code if isinstance(code, int) else None
    return None


def _ca_locations(settings: MinioSettings) -> tuple[str | None, str | None]:
    """(CA file, CA directory): ``MINIO_CERT_PATH`` when set, else certifi's bundle."""
    if settings.cert_path is None:
        return certifi.where(), None
    if settings.cert_path.is_dir():
        return None, str(settings.cert_path)
    return str(settings.cert_path), None


def build_http_client(
    settings: MinioSettings, *, connect_timeout: float = 10.0, read_timeout: float = 300.0
) -> urllib3.PoolManager:
    """TLS with verification always on (system CAs or ``MINIO_CERT_PATH``); retries are ours."""
    ca_file, ca_dir = _ca_locations(settings)
    return urllib3.PoolManager(
        timeout=urllib3.Timeout(connect=connect_timeout, read=read_timeout),
        maxsize=16,
        cert_reqs="CERT_REQUIRED",
        ca_certs=ca_file,
        ca_cert_dir=ca_dir,
        retries=False,
    )


class ChunkReader:
    """A blocking file-like view of chunks handed over from the event loop.

    The queue is bounded, so at most ``maxsize`` chunks wait in memory whatever the file size;
    ``read`` joins chunks once instead of growing a ``bytes`` object piece by piece.
    """

    def __init__(self, maxsize: int = 4) -> None:
        self.chunks: queue.Queue[bytes | None] = queue.Queue(maxsize=maxsize)
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._eof = False
        self._aborted = False

    def read(self, size: int = -1) -> bytes:
        while not self._eof and (size < 0 or self._pending_size < size):
            chunk = self.chunks.get()
            if chunk is None:
                if self._aborted:  # never let a cut-off source look like a complete one
                    raise OSError("the upload's source was aborted")
                self._eof = True
                break
            self._pending.append(chunk)
            self._pending_size += len(chunk)
        data = b"".join(self._pending)
        if size < 0 or len(data) <= size:
            out, rest = data, b""
        else:
            out, rest = data[:size], data[size:]
        self._pending = [rest] if rest else []
        self._pending_size = len(rest)
        return out

    def abort(self) -> None:
        """Make the consumer's next read fail (not end): the producer gave up midway."""
        self._aborted = True
        while True:
            try:
                self.chunks.get_nowait()
            except queue.Empty:
                break
        self.chunks.put_nowait(None)
