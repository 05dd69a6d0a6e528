"""Parsing MinIO's NATS payloads: the shared examples and payloads built here."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import quote_plus

import pytest

from voxpersona.contracts.events import EventKind, MalformedEventError, parse_notification

SHARED_EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "minio_events"


def minio_payload(
    key: str,
    *,
    event: str = "s3:ObjectCreated:Put",
    bucket: str = "voxpersona-audio",
    agent: str = "MinIO (linux; amd64) minio-py/7.2.20",
    size: int | None = 10,
) -> bytes:
    """A payload shaped like MinIO's: ``Key`` decoded, ``s3.object.key`` QueryEscape'd."""
    obj: dict[str, object] = {"key": quote_plus(key, safe=""), "sequencer": "187A9C3F2B1D0E42"}
    if size is not None:
        obj |= {
            "size": size,
            "eTag": "abc123",
            "contentType": "audio/ogg",
            "userMetadata": {"X-Amz-Meta-User-Id": "5", "X-Amz-Meta-Chat-Id": "5"},
        }
    record = {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "eventName": event,
        "eventTime": "2026-11-24T00:08:12.345Z",
        "s3": {"bucket": {"name": bucket}, "object": obj},
        "source": {"host": "", "port": "", "userAgent": agent},
    }
    return json.dumps({"EventName": event, "Key": f"{bucket}/{key}", "Records": [record]}).encode()


def read_shared(name: str) -> bytes:
    return (SHARED_EVENTS / name).read_bytes()


def test_shared_put_example() -> None:
    event = parse_notification(read_shared("put.json"))
    assert event.kind is EventKind.CREATED
    assert event.key == "audio/123456789/2026/11/24/5b0f6a1e-9c1d-4b52-8a63-2f7e1d9b0c44.ogg"
    assert (event.size, event.etag, event.content_type) == (
        48213,
        "5f1c8e2d9a7b3c4d6e8f0a1b2c3d4e5f",
        "audio/ogg",
    )
    assert event.user_metadata["X-Amz-Meta-User-Id"] == "123456789"
    assert event.sequencer == "187A9C3F2B1D0E42"


def test_shared_multipart_example_decodes_cyrillic_space_and_plus() -> None:
    event = parse_notification(read_shared("multipart-complete.json"))
    assert event.event_name == "s3:ObjectCreated:CompleteMultipartUpload"
    assert event.kind is EventKind.CREATED
    assert event.key == "audio/987654321/2026/11/24/интервью клиента+1.m4a"
    assert event.etag == "a1b2c3d4e5f60718293a4b5c6d7e8f90-140"


def test_shared_delete_and_ilm_expiry() -> None:
    delete = parse_notification(read_shared("delete.json"))
    expiry = parse_notification(read_shared("ilm-expiry-delete.json"))
    assert delete.kind is EventKind.REMOVED
    assert not delete.is_lifecycle_expiry
    assert expiry.kind is EventKind.REMOVED
    assert expiry.is_lifecycle_expiry
    assert delete.size is None
    assert delete.etag is None


@pytest.mark.parametrize(
    "key",
    [
        "audio/1/2026/01/02/with space.ogg",
        "audio/1/2026/01/02/plus+sign.ogg",
        "audio/1/2026/01/02/percent%41literal.ogg",
        "audio/1/2026/01/02/запись встречи №5.ogg",
        "audio/1/2026/01/02/a&b=c?d#e.ogg",
    ],
)
def test_generated_keys_round_trip(key: str) -> None:
    assert parse_notification(minio_payload(key)).key == key


@pytest.mark.parametrize(
    "name",
    ["s3:ObjectCreated:PutTagging", "s3:ObjectCreated:PutRetention", "s3:ObjectRemoved:NoOP"],
)
def test_events_that_change_no_content(name: str) -> None:
    assert parse_notification(minio_payload("audio/1/x.ogg", event=name)).kind is EventKind.OTHER


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"not json", "not a MinIO notification"),
        (b'{"hello": "world"}', "EventName"),
        (b'{"EventName": "x", "Key": "b/k", "Records": []}', "Records"),
        (json.dumps({"Records": [{"eventName": "s3:ObjectCreated:Put"}]}).encode(), "EventName"),
    ],
)
def test_malformed_payloads_say_why(payload: bytes, reason: str) -> None:
    with pytest.raises(MalformedEventError, match=reason):
        parse_notification(payload)


def test_envelope_key_must_match_record() -> None:
    payload = json.loads(minio_payload("audio/1/a.ogg"))
    payload["Key"] = "voxpersona-audio/audio/1/other.ogg"
    with pytest.raises(MalformedEventError, match="does not match"):
        parse_notification(json.dumps(payload).encode())
