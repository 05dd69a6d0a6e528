"""MinIO's bucket-notification payload as its NATS target publishes it, and its parsing.

MinIO publishes ``{"EventName": ..., "Key": "<bucket>/<object>", "Records": [<S3 record>]}``
(``internal/event/target/nats.go``). In the record, ``s3.object.key`` is Go's
``url.QueryEscape`` of the object name ("/" → "%2F", space → "+"), while ``Key`` holds the
decoded name. Removal events carry neither size, eTag nor metadata.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from urllib.parse import unquote_plus

from pydantic import BaseModel, ConfigDict, Field, ValidationError

ILM_EXPIRY_USER_AGENT = "Internal: [ILM-Expiry]"

# ``s3:ObjectCreated:*`` also fires for tagging and retention changes; only these mean new bytes.
NEW_CONTENT_EVENTS = frozenset(
    {
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Post",
        "s3:ObjectCreated:Copy",
        "s3:ObjectCreated:CompleteMultipartUpload",
    }
)


# ``s3:ObjectRemoved:NoOP`` (deleting a key that did not exist) removes nothing.
REMOVAL_EVENTS = frozenset({"s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated"})


class EventKind(StrEnum):
    """What an event means for a recording."""

    CREATED = "created"
    REMOVED = "removed"
    OTHER = "other"


class MalformedEventError(ValueError):
    """The message is not a MinIO bucket notification we can read."""


class _Lenient(BaseModel):
    model_config = ConfigDict(extra="ignore", populate_by_name=True)


class S3Object(_Lenient):
    key: str
    size: int | None = None
    e_tag: str | None = Field(default=None, alias="eTag")
    content_type: str | None = Field(default=None, alias="contentType")
    user_metadata: dict[str, str] = Field(default_factory=dict, alias="userMetadata")
    version_id: str | None = Field(default=None, alias="versionId")
    sequencer: str = ""


class S3Bucket(_Lenient):
    name: str


class S3Entity(_Lenient):
    bucket: S3Bucket
    object: S3Object


class EventSource(_Lenient):
    host: str = ""
    user_agent: str = Field(default="", alias="userAgent")


class S3Record(_Lenient):
    event_name: str = Field(alias="eventName")
    event_time: datetime | None = Field(default=None, alias="eventTime")
    s3: S3Entity
    source: EventSource = Field(default_factory=EventSource)


class MinioNotification(_Lenient):
    """The envelope MinIO's NATS target publishes."""

    event_name: str = Field(alias="EventName")
    key: str = Field(alias="Key")
    records: list[S3Record] = Field(alias="Records", min_length=1)


class BucketEvent(BaseModel):
    """One bucket event, flattened, with the object key URL-decoded."""

    model_config = ConfigDict(frozen=True)

    event_name: str
    bucket: str
    key: str
    size: int | None
    etag: str | None
    content_type: str | None
    user_metadata: dict[str, str]
    version_id: str | None
    sequencer: str
    user_agent: str
    event_time: datetime | None

    @property
    def kind(self) -> EventKind:
        if self.event_name in NEW_CONTENT_EVENTS:
            return EventKind.CREATED
        if self.event_name in REMOVAL_EVENTS:
            return EventKind.REMOVED
        return EventKind.OTHER

    @property
    def is_lifecycle_expiry(self) -> bool:
        """MinIO's ILM scanner reports expiry as a plain delete with this user agent."""
        return self.user_agent == ILM_EXPIRY_USER_AGENT


def parse_notification(payload: bytes) -> BucketEvent:
    """Parse one NATS message from MinIO into a :class:`BucketEvent`.

    Raises :class:`MalformedEventError` with a precise reason for anything else.
    """
    try:
        envelope = MinioNotification.model_validate_json(payload)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "payload"
        raise MalformedEventError(f"not a MinIO notification: {where}: {first['msg']}") from None
    record = envelope.records[0]
    obj = record.s3.object
    key = unquote_plus(obj.key)
    bucket = record.s3.bucket.name
    if envelope.key != f"{bucket}/{key}":
        raise MalformedEventError(
            f"envelope Key {envelope.key!r} does not match record {bucket!r}/{key!r}"
        )
    return BucketEvent(
        event_name=record.event_name,
        bucket=bucket,
        key=key,
        size=obj.size,
        etag=obj.e_tag.strip('"') if obj.e_tag else None,
        content_type=obj.content_type,
        user_metadata=obj.user_metadata,
        version_id=obj.version_id or None,
        sequencer=obj.sequencer,
        user_agent=record.source.user_agent,
        event_time=record.event_time,
    )
