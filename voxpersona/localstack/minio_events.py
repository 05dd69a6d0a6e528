"""MinIO's bucket-event payloads and S3 request facts, rebuilt without I/O.

The notifier stand-in (:mod:`.minio_standin`) uses these functions to turn one S3 request that
succeeded into exactly the bytes MinIO publishes to NATS. Sources, all in minio/minio:

- ``internal/event/event.go``: the record's fields and their JSON order (Go marshals struct
  fields in declaration order and map keys sorted).
- ``cmd/event-notification.go`` (``eventArgs.ToEvent``): ``configurationId`` is always
  ``"Config"``; ``s3.object.key`` is ``url.QueryEscape(objectName)``; ``sequencer`` is the
  object's modification time (or the event time when there is none) as ``%X`` of Unix
  nanoseconds; removal events carry only key and sequencer; ``content-length`` joins
  ``responseElements`` when the handler wrote its response before sending the event.
- ``internal/event/target/nats.go`` (``send``): the message is ``{"EventName", "Key",
  "Records": [record]}`` with ``Key`` = bucket + "/" + the URL-decoded object name.
- ``cmd/handler-utils.go`` (``extractReqParams``/``extractRespElements``) and
  ``internal/handlers/forwarder.go`` (``GetSourceIP``).
"""

from __future__ import annotations

import email.utils
import enum
import json
import re
import time
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus, unquote

EVENT_VERSION = "2.0"
EVENT_SOURCE = "minio:s3"
S3_SCHEMA_VERSION = "1.0"
CONFIGURATION_ID = "Config"  # hard-coded in MinIO's ToEvent, whatever the rule's Id is
REMOVAL_EVENTS = frozenset(
    {"s3:ObjectRemoved:Delete", "s3:ObjectRemoved:DeleteMarkerCreated", "s3:ObjectRemoved:NoOP"}
)

# Standard headers MinIO keeps in an object's metadata (lower-case keys, as it stores them);
# together with the X-Amz-Meta-* keys they make up the event's userMetadata. ``expires`` is
# stored too but MinIO moves it into ObjectInfo.Expires and ``cleanMetadata`` drops it from
# UserDefined, as it drops ``X-Amz-Tagging`` (tags live in ObjectInfo.UserTags):
# cmd/erasure-metadata.go (ToObjectInfo) and cmd/object-api-utils.go (cleanMetadata). So
# neither ever reaches an event's userMetadata.
_STORED_STANDARD_HEADERS = frozenset(
    {"cache-control", "content-disposition", "content-encoding", "content-language"}
    | {"content-type"}
)
_DROPPED_FROM_USER_METADATA = frozenset({"expires", "x-amz-tagging", "x-amz-tagging-count"})
# cmd/generic-handlers.go: maxHeaderSize and maxUserDataSize, and the prefixes counted as
# user metadata (userMetadataKeyPrefixes).
MAX_HEADER_SIZE = 8 * 1024
MAX_USER_METADATA_SIZE = 2 * 1024
_USER_METADATA_PREFIXES = ("x-amz-meta-", "x-minio-meta-")
_TOKEN = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_SIGV4_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")
HOP_BY_HOP_HEADERS = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te"}
    | {"trailer", "trailers", "transfer-encoding", "upgrade"}
)
# Response headers the proxy writes itself instead of copying them from moto.
_PROXY_OWN_HEADERS = frozenset(
    {"content-length", "date", "server", "x-amz-request-id", "x-amz-id-2"}
)
_ERROR_MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "InternalError": "We encountered an internal error, please try again.",
    "ServiceUnavailable": "The service is unavailable. Please retry.",
    "NoSuchBucket": "The specified bucket does not exist",
    # cmd/api-errors.go, ErrMetadataTooLarge.
    "MetadataTooLarge": "Your metadata headers exceed the maximum allowed metadata size.",
}


class Operation(enum.Enum):
    """What a request does, as far as the notifier cares."""

    PUT_OBJECT = "s3:ObjectCreated:Put"
    COPY_OBJECT = "s3:ObjectCreated:Copy"
    COMPLETE_MULTIPART = "s3:ObjectCreated:CompleteMultipartUpload"
    PUT_TAGGING = "s3:ObjectCreated:PutTagging"
    DELETE_TAGGING = "s3:ObjectCreated:DeleteTagging"
    DELETE_OBJECT = "s3:ObjectRemoved:Delete"
    DELETE_OBJECTS = "multi-object delete"
    PUT_NOTIFICATION = "PutBucketNotification"
    PUT_LIFECYCLE = "PutBucketLifecycleConfiguration"
    GET_NOTIFICATION = "GetBucketNotification"
    DELETE_BUCKET = "DeleteBucket"
    OTHER = "other"


#: Operations after which the stand-in reads the object back (HEAD) for the event.
CREATED_OPERATIONS = frozenset(
    {Operation.PUT_OBJECT, Operation.COPY_OBJECT, Operation.COMPLETE_MULTIPART}
    | {Operation.PUT_TAGGING, Operation.DELETE_TAGGING}
)
EVENT_OPERATIONS = CREATED_OPERATIONS | {Operation.DELETE_OBJECT, Operation.DELETE_OBJECTS}
# MinIO's handlers for these write the response before calling sendEvent, so the response's
# Content-Length lands in responseElements. PutObject (and a NoOP delete) send first.
_RESPONSE_BEFORE_EVENT = EVENT_OPERATIONS - {Operation.PUT_OBJECT}


@dataclass(frozen=True)
class Deployment:
    """Facts about the (pretend) MinIO deployment that every record repeats."""

    deployment_id: str
    origin_endpoint: str
    region: str = ""  # MinIO's site region; empty unless MINIO_SITE_REGION is set


@dataclass(frozen=True)
class RequestInfo:
    """Who asked, from where, and the ids the response carried."""

    principal_id: str
    source_ip: str
    user_agent: str
    request_id: str
    host_id: str


@dataclass(frozen=True)
class ObjectState:
    """What a HEAD after a write says about the object."""

    size: int
    etag: str
    content_type: str
    last_modified_s: int
    user_metadata: Mapping[str, str] = field(default_factory=dict)
    version_id: str = ""


@dataclass(frozen=True)
class EventSpec:
    """One event to publish; ``obj`` is ``None`` for removal events."""

    event_name: str
    bucket: str
    object_name: str
    event_time_ns: int
    sequencer_ns: int
    obj: ObjectState | None = None
    content_length: str | None = None
    version_id: str = ""  # of a removal (a versioned delete or the delete marker it made)


def header_size_too_large(headers: Iterable[tuple[str, str]]) -> bool:
    """MinIO's ``isHTTPHeaderSizeTooLarge`` (cmd/generic-handlers.go).

    For each header name, its length plus that of its (first) value counts towards the whole
    (over 8 KiB refused) and, for ``X-Amz-Meta-*``/``X-Minio-Meta-*``, towards user metadata
    (over 2 KiB refused). Either answers ``400 MetadataTooLarge``.
    """
    first: dict[str, tuple[str, str]] = {}
    for key, value in headers:
        first.setdefault(key.lower(), (key, value))
    size = user_size = 0
    for lowered, (key, value) in first.items():
        if lowered == "host":
            continue  # Go moves Host out of r.Header
        length = len(key) + len(value.encode("latin-1", errors="replace"))
        size += length
        if lowered.startswith(_USER_METADATA_PREFIXES):
            user_size += length
        if user_size > MAX_USER_METADATA_SIZE or size > MAX_HEADER_SIZE:
            return True
    return False


def query_escape(name: str) -> str:
    """Go's ``url.QueryEscape``: only ``A-Za-z0-9-_.~`` stay, space becomes ``+``."""
    return quote_plus(name, safe="")


def canonical_header_key(key: str) -> str:
    """Go's ``http.CanonicalHeaderKey`` (``x-amz-meta-user-id`` -> ``X-Amz-Meta-User-Id``)."""
    if not _TOKEN.match(key):
        return key  # Go leaves keys that are not valid tokens untouched
    return "-".join(part[:1].upper() + part[1:].lower() for part in key.split("-"))


def format_event_time(ns: int) -> str:
    """MinIO's ``AMZTimeFormat`` (``2006-01-02T15:04:05.000Z``), milliseconds truncated."""
    seconds, rest = divmod(ns, 1_000_000_000)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + f".{rest // 1_000_000:03d}Z"


def sequencer(ns: int) -> str:
    """``fmt.Sprintf("%X", t.UnixNano())``."""
    return f"{ns:X}"


def modification_time_ns(last_modified_s: int, observed_ns: int) -> int:
    """Best nanosecond modification time from a second-precision ``Last-Modified``.

    moto reports modification times to the second only, so the stand-in takes the moment it
    saw the write succeed and clamps it into that second: never before the real write, never
    past the second the object's ``Last-Modified`` names, and increasing across writes.
    """
    start = last_modified_s * 1_000_000_000
    return min(max(observed_ns, start), start + 999_999_999)


def parse_http_date(value: str) -> int:
    """Seconds since the epoch from an HTTP date (``Last-Modified``); 0 when unparsable."""
    try:
        return int(email.utils.parsedate_to_datetime(value).timestamp())
    except (TypeError, ValueError):
        return 0


def _lower_keys(headers: Mapping[str, str]) -> dict[str, str]:
    return {key.lower(): value for key, value in headers.items()}


def user_metadata(headers: Mapping[str, str]) -> dict[str, str]:
    """The event's ``userMetadata`` from an object's response headers.

    MinIO reports its stored metadata: the standard headers it keeps (``content-type`` at
    least) under lower-case keys and every ``X-Amz-Meta-*`` key in canonical form.
    """
    meta: dict[str, str] = {}
    for key, value in _lower_keys(headers).items():
        if key in _DROPPED_FROM_USER_METADATA:
            continue
        if key.startswith("x-amz-meta-"):
            meta[canonical_header_key(key)] = value
        elif key in _STORED_STANDARD_HEADERS:
            meta[key] = value
    return meta


def version_id_header(headers: Mapping[str, str]) -> str:
    """``x-amz-version-id`` of a response; ``null`` (unversioned) counts as none."""
    version = _lower_keys(headers).get("x-amz-version-id", "")
    return "" if version == "null" else version


def object_state_from_head(headers: Mapping[str, str]) -> ObjectState:
    """Read an :class:`ObjectState` from HEAD Object response headers."""
    lowered = _lower_keys(headers)
    version = lowered.get("x-amz-version-id", "")
    return ObjectState(
        size=int(lowered.get("content-length", "0") or 0),
        etag=lowered.get("etag", "").strip('"'),
        content_type=lowered.get("content-type", ""),
        last_modified_s=parse_http_date(lowered.get("last-modified", "")),
        user_metadata=user_metadata(headers),
        version_id="" if version == "null" else version,
    )


def access_key_from(headers: Mapping[str, str], query: Mapping[str, str]) -> str:
    """The access key that signed the request (SigV4 or V2, header or presigned URL)."""
    auth = _lower_keys(headers).get("authorization", "")
    if auth.startswith("AWS4-HMAC-SHA256"):
        match = _SIGV4_CREDENTIAL.search(auth)
        return match.group(1) if match else ""
    if auth.startswith("AWS "):
        return auth[4:].split(":", 1)[0]
    if "X-Amz-Credential" in query:
        return query["X-Amz-Credential"].split("/", 1)[0]
    return query.get("AWSAccessKeyId", "")


def source_ip(headers: Mapping[str, str], peer: str) -> str:
    """MinIO's ``GetSourceIP``: forwarding headers first, then the peer; IPv6 bracketed."""
    lowered = _lower_keys(headers)
    address = lowered.get("x-forwarded-for", "").split(",")[0].strip()
    address = address or lowered.get("x-real-ip", "").strip()
    if not address:
        forwarded = re.search(r'(?i)for="?([^";,]+)', lowered.get("forwarded", ""))
        address = forwarded.group(1) if forwarded else peer
    return f"[{address}]" if ":" in address else address


def split_path(raw_path: str) -> tuple[str, str]:
    """``(bucket, object name)`` of a path-style request path (without its query)."""
    path = raw_path.split("?", 1)[0].lstrip("/")
    bucket, _, key = path.partition("/")
    return unquote(bucket), unquote(key)


def classify(
    method: str, bucket: str, key: str, query: Collection[str], copy_source: bool
) -> Operation:
    """Which :class:`Operation` a path-style S3 request is."""
    if not bucket:
        return Operation.OTHER
    if not key:
        return _classify_bucket(method, query)
    if method == "PUT":
        return _classify_put(query, copy_source)
    if method == "POST" and "uploadId" in query:
        return Operation.COMPLETE_MULTIPART
    if method == "DELETE" and "tagging" in query:
        return Operation.DELETE_TAGGING
    if method == "DELETE" and not {"uploadId", "versionId"} & set(query):
        return Operation.DELETE_OBJECT
    return Operation.OTHER


def _classify_bucket(method: str, query: Collection[str]) -> Operation:
    if "notification" in query and method in {"PUT", "GET"}:
        return Operation.PUT_NOTIFICATION if method == "PUT" else Operation.GET_NOTIFICATION
    if "lifecycle" in query and method == "PUT":
        return Operation.PUT_LIFECYCLE
    if method == "POST" and "delete" in query:
        return Operation.DELETE_OBJECTS
    if method == "DELETE" and not query:
        return Operation.DELETE_BUCKET
    return Operation.OTHER


def _classify_put(query: Collection[str], copy_source: bool) -> Operation:
    if "partNumber" in query or "uploadId" in query:
        return Operation.OTHER  # UploadPart / UploadPartCopy: no event until Complete
    if "tagging" in query:
        return Operation.PUT_TAGGING
    if {"acl", "retention", "legal-hold"} & set(query):
        return Operation.OTHER
    return Operation.COPY_OBJECT if copy_source else Operation.PUT_OBJECT


def fault_kind(method: str, key: str, operation: Operation) -> str | None:
    """Which ``inject_fault`` operation name (besides ``any``) a request counts as."""
    if operation is Operation.DELETE_OBJECTS:
        return "delete"
    if key and method in {"PUT", "GET", "HEAD", "DELETE"}:
        return method.lower()
    return None


def succeeded(status: int, body: bytes) -> bool:
    """A 2xx answer that is not an S3 error (CompleteMultipartUpload can fail with 200)."""
    return 200 <= status < 300 and b"<Error>" not in body


def event_specs(
    operation: Operation,
    bucket: str,
    key: str,
    *,
    response_body: bytes,
    now_ns: int,
    observed_ns: int = 0,
    state: ObjectState | None = None,
    request_body: bytes = b"",
    existed: bool = True,
    version_id: str = "",
) -> list[EventSpec]:
    """The events MinIO sends after ``operation`` succeeded.

    ``state`` is the object read back after a create (``None`` if it vanished: no event),
    ``observed_ns`` when the write was seen to succeed, ``existed`` whether a deleted object
    was there before, ``version_id`` the ``x-amz-version-id`` a delete answered with.
    """
    length = str(len(response_body)) if operation in _RESPONSE_BEFORE_EVENT else None
    if operation is Operation.DELETE_OBJECTS:
        keys = deleted_keys(request_body, response_body)
        return [_removal(bucket, name, "s3:ObjectRemoved:Delete", now_ns, length) for name in keys]
    if operation is Operation.DELETE_OBJECT:
        if existed:
            return [_removal(bucket, key, "s3:ObjectRemoved:Delete", now_ns, length, version_id)]
        # Current MinIO reports deleting a missing object as NoOP, sent before its response.
        return [_removal(bucket, key, "s3:ObjectRemoved:NoOP", now_ns, None)]
    if operation not in CREATED_OPERATIONS or state is None:
        return []
    sequencer_ns = modification_time_ns(state.last_modified_s, observed_ns)
    return [EventSpec(operation.value, bucket, key, now_ns, sequencer_ns, state, length)]


def _removal(
    bucket: str, key: str, name: str, now_ns: int, length: str | None, version_id: str = ""
) -> EventSpec:
    # A removed object has no modification time, so MinIO's sequencer is the event time.
    return EventSpec(name, bucket, key, now_ns, now_ns, None, length, version_id)


def build_record(spec: EventSpec, request: RequestInfo, deployment: Deployment) -> dict[str, Any]:
    """One S3 event record, fields in the order MinIO's JSON has them."""
    return {
        "eventVersion": EVENT_VERSION,
        "eventSource": EVENT_SOURCE,
        "awsRegion": deployment.region,
        "eventTime": format_event_time(spec.event_time_ns),
        "eventName": spec.event_name,
        "userIdentity": {"principalId": request.principal_id},
        "requestParameters": {
            "principalId": request.principal_id,
            "region": deployment.region,
            "sourceIPAddress": request.source_ip,
        },
        "responseElements": _response_elements(spec, request, deployment),
        "s3": {
            "s3SchemaVersion": S3_SCHEMA_VERSION,
            "configurationId": CONFIGURATION_ID,
            "bucket": {
                "name": spec.bucket,
                "ownerIdentity": {"principalId": request.principal_id},
                "arn": "arn:aws:s3:::" + spec.bucket,
            },
            "object": _object_fields(spec),
        },
        "source": {"host": request.source_ip, "port": "", "userAgent": request.user_agent},
    }


def _response_elements(
    spec: EventSpec, request: RequestInfo, deployment: Deployment
) -> dict[str, str]:
    elements = {
        "x-amz-id-2": request.host_id,
        "x-amz-request-id": request.request_id,
        "x-minio-deployment-id": deployment.deployment_id,
        "x-minio-origin-endpoint": deployment.origin_endpoint,
    }
    if spec.content_length:
        elements["content-length"] = spec.content_length
    return dict(sorted(elements.items()))


def _object_fields(spec: EventSpec) -> dict[str, Any]:
    """``event.Object``: Go drops empty ``omitempty`` fields (a 0-byte object has no size).

    ``ToEvent`` (cmd/event-notification.go) sets ``versionId`` for every event, removals
    included; size, eTag, content type and metadata only for events that are not removals.
    """
    fields: dict[str, Any] = {"key": query_escape(spec.object_name)}
    if spec.obj is None and spec.version_id:
        fields["versionId"] = spec.version_id
    obj = spec.obj
    if obj is not None and spec.event_name not in REMOVAL_EVENTS:
        optional: dict[str, Any] = {
            "size": obj.size,
            "eTag": obj.etag,
            "contentType": obj.content_type,
            "userMetadata": dict(sorted(obj.user_metadata.items())),
            "versionId": obj.version_id,
        }
        fields.update({name: value for name, value in optional.items() if value})
    fields["sequencer"] = sequencer(spec.sequencer_ns)
    return fields


def build_log(record: dict[str, Any]) -> dict[str, Any]:
    """The NATS message body MinIO's NATS target publishes for one record."""
    name = record["s3"]["bucket"]["name"] + "/" + unquote_plus_go(record["s3"]["object"]["key"])
    return {"EventName": record["eventName"], "Key": name, "Records": [record]}


def unquote_plus_go(escaped: str) -> str:
    """Go's ``url.QueryUnescape`` (``+`` is a space)."""
    return unquote(escaped.replace("+", " "))


def encode_go_json(value: Any) -> bytes:
    """JSON bytes as Go's ``json.Marshal`` writes them.

    Compact, UTF-8 kept as is, and HTML-sensitive ``<``, ``>``, ``&`` plus U+2028/U+2029
    escaped as ``\\u003c`` etc. Those characters can only occur inside strings, so replacing
    them after encoding is safe.
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for char, escaped in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escaped)
    return text.encode("utf-8")


def deleted_keys(request_body: bytes, response_body: bytes) -> list[str]:
    """Keys a DeleteObjects call removed: requested minus the ``<Error>`` entries.

    Clients usually ask for quiet mode, in which S3 lists only failures, so the request body
    is the only place the successful keys appear. MinIO sends an event for each of them,
    including keys that did not exist.
    """
    failed = {_child_text(error, "Key") for error in _elements(response_body, "Error")}
    requested = [_child_text(obj, "Key") for obj in _elements(request_body, "Object")]
    return [key for key in requested if key and key not in failed]


def _elements(body: bytes, name: str) -> list[ET.Element]:
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        return []
    return [node for node in root.iter() if node.tag.rsplit("}", 1)[-1] == name]


def _child_text(node: ET.Element, name: str) -> str:
    for child in node:
        if child.tag.rsplit("}", 1)[-1] == name:
            return child.text or ""
    return ""


def s3_error_xml(
    *,
    code: str,
    message: str,
    resource: str,
    request_id: str,
    host_id: str,
    bucket: str = "",
    key: str = "",
) -> bytes:
    """An S3 ``<Error>`` document in MinIO's element order."""
    root = ET.Element("Error")
    for tag, text in (
        ("Code", code),
        ("Message", message),
        ("Key", key),
        ("BucketName", bucket),
        ("Resource", resource),
        ("RequestId", request_id),
        ("HostId", host_id),
    ):
        if text or tag in {"Code", "Message"}:
            ET.SubElement(root, tag).text = text
    document: bytes = ET.tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + document


def error_message(code: str) -> str:
    """MinIO's description for an S3 error code the stand-in produces."""
    return _ERROR_MESSAGES.get(code, f"{code} (injected by the MinIO notifier stand-in)")


def request_headers_for_upstream(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """A request's headers minus hop-by-hop ones (and those its Connection header names)."""
    pairs = list(headers)
    named = {
        token.strip().lower()
        for key, value in pairs
        if key.lower() == "connection"
        for token in value.split(",")
    }
    # The proxy already answered any "Expect: 100-continue"; moto gets the body outright.
    drop = HOP_BY_HOP_HEADERS | named | {"expect"}
    return [(key, value) for key, value in pairs if key.lower() not in drop]


def response_headers_for_client(headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """moto's response headers minus hop-by-hop ones and those the proxy sets itself."""
    drop = HOP_BY_HOP_HEADERS | _PROXY_OWN_HEADERS
    return [(key, value) for key, value in headers if key.lower() not in drop]
