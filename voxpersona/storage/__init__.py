"""The storage layer both services use: MinIO behind a small typed interface."""

from voxpersona.storage.errors import (
    StorageAccessDeniedError,
    StorageConnectionError,
    StorageDownloadError,
    StorageError,
    StorageNotFoundError,
    StorageUploadError,
)
from voxpersona.storage.minio_store import MinioObjectStore, ObjectInfo

__all__ = [
    "MinioObjectStore",
    "ObjectInfo",
    "StorageAccessDeniedError",
    "StorageConnectionError",
    "StorageDownloadError",
    "StorageError",
    "StorageNotFoundError",
    "StorageUploadError",
]
