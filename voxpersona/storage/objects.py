"""What the storage layer reports about objects."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

# Receives the number of bytes sent so far.
ProgressCallback = Callable[[int], None]


@dataclass(frozen=True, slots=True)
class ObjectInfo:
    """What ``stat``, listings and uploads report about an object."""

    bucket: str
    key: str
    size: int | None
    etag: str | None
    content_type: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    last_modified: datetime | None = None
    version_id: str | None = None


def info_from_stat(bucket: str, key: str, stat: Any) -> ObjectInfo:
    """From the SDK's ``Object`` as ``stat_object``/``fget_object`` return it."""
    return ObjectInfo(
        bucket=bucket,
        key=key,
        size=stat.size,
        etag=stat.etag,
        content_type=stat.content_type,
        metadata={str(k): str(v) for k, v in (stat.metadata or {}).items()},
        last_modified=stat.last_modified,
        version_id=stat.version_id,
    )


def info_from_listing(bucket: str, obj: Any) -> ObjectInfo:
    """From one entry of ``list_objects`` (no metadata: listings do not carry it)."""
    return ObjectInfo(
        bucket=bucket,
        key=obj.object_name,
        size=obj.size,
        etag=obj.etag,
        last_modified=obj.last_modified,
        version_id=obj.version_id,
    )
