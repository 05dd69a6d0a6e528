"""The storage layer both services use: MinIO behind a small typed interface."""

from voxpersona.storage.errors import (
    StorageAccessDeniedError,
    StorageConnectionError,
    StorageDownloadError,
    StorageError,
    StorageNotFoundError,
    StorageUploadError,
)
from voxpersona.storage.health import HealthStatus, StorageHealth
from voxpersona.storage.minio_store import MinioObjectStore
from voxpersona.storage.objects import ObjectInfo, ProgressCallback
from voxpersona.storage.recorder import NullRecorder, OperationRecorder, OperationStats
from voxpersona.storage.startup import StartupReport, validate_startup

__all__ = [
    "HealthStatus",
    "MinioObjectStore",
    "NullRecorder",
    "ObjectInfo",
    "OperationRecorder",
    "OperationStats",
    "ProgressCallback",
    "StartupReport",
    "StorageAccessDeniedError",
    "StorageConnectionError",
    "StorageDownloadError",
    "StorageError",
    "StorageHealth",
    "StorageNotFoundError",
    "StorageUploadError",
    "validate_startup",
]
