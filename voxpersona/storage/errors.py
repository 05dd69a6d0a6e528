"""Typed storage errors. Adapters translate MinIO/urllib3 exceptions into these."""

from __future__ import annotations


class StorageError(Exception):
    """Base of all storage failures. ``transient`` says whether retrying may help."""

    transient: bool = False

    def __init__(self, message: str, *, key: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.key = key
        self.code = code


class StorageConnectionError(StorageError):
    """MinIO unreachable, timed out, or answered 5xx / SlowDown."""

    transient = True


class StorageUploadError(StorageError):
    """An upload failed for a reason retrying will not fix."""


class StorageDownloadError(StorageError):
    """A download failed for a reason retrying will not fix."""


class StorageNotFoundError(StorageError):
    """The bucket or object does not exist (``NoSuchKey``, ``NoSuchBucket``)."""


class StorageAccessDeniedError(StorageError):
    """Credentials rejected or policy forbids the operation."""
