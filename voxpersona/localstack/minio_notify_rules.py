"""MinIO's bucket-notification rules, rebuilt without I/O for the notifier stand-in.

Mirrors minio/minio ``internal/event``: ``config.go`` (NotificationConfiguration parsing and
validation), ``arn.go`` (``arn:minio:sqs:<region>:<id>:<name>``), ``name.go`` (event names and
the expansion of ``s3:ObjectCreated:*``-style wildcards), ``rules.go`` and ``rulesmap.go``
(prefix/suffix filters turned into one wildcard pattern). Error codes and messages are MinIO's
(``cmd/api-errors.go``, ``toAPIErrorCode``), so a client sees what the real server would say.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass

S3_XMLNS = "http://s3.amazonaws.com/doc/2006-03-01/"
XML_HEADER = b'<?xml version="1.0" encoding="UTF-8"?>\n'

#: The id of the stand-in's one notification target, as docker-compose.yml configures MinIO
#: (``MINIO_NOTIFY_NATS_ENABLE_PRIMARY``). MinIO keeps the case of the id from the variable
#: name (internal/config/config.go, the ``_<ID>`` suffix of ``MINIO_NOTIFY_NATS_*_<ID>``) and
#: looks ARNs up exactly (internal/event/config.go ``Queue.Validate`` -> ``targetList.Exists``
#: on the TargetID struct): ``arn:minio:sqs::primary:nats`` does not name this target.
DEFAULT_NATS_TARGET_ID = "PRIMARY"
NATS_TARGET_TYPE = "nats"


def nats_target(target_id: str = DEFAULT_NATS_TARGET_ID) -> tuple[str, str]:
    """The TargetID (id, type) of a ``MINIO_NOTIFY_NATS_*_<target_id>`` target."""
    return (target_id, NATS_TARGET_TYPE)


def _names(kind: str, names: str) -> tuple[str, ...]:
    return tuple(f"s3:{kind}:{name}" for name in names.split())


_COMPOUND_EVENTS: dict[str, tuple[str, ...]] = {
    "s3:ObjectAccessed:*": _names(
        "ObjectAccessed", "Get Head GetRetention GetLegalHold Attributes"
    ),
    # Tagging and retention changes are "created" events too: a consumer that listens to
    # s3:ObjectCreated:* sees them and must not take them for new uploads.
    "s3:ObjectCreated:*": _names(
        "ObjectCreated",
        "CompleteMultipartUpload Copy Post Put PutRetention PutLegalHold PutTagging DeleteTagging",
    ),
    "s3:ObjectRemoved:*": _names(
        "ObjectRemoved", "Delete DeleteMarkerCreated NoOP DeleteAllVersions"
    ),
    "s3:Replication:*": _names(
        "Replication",
        "OperationFailedReplication OperationCompletedReplication OperationNotTracked "
        "OperationMissedThreshold OperationReplicatedAfterThreshold",
    ),
    "s3:ObjectRestore:*": _names("ObjectRestore", "Post Completed"),
    "s3:ObjectTransition:*": _names("ObjectTransition", "Failed Complete"),
}
_SINGLE_EVENTS = frozenset(
    {name for names in _COMPOUND_EVENTS.values() for name in names}
    | {"s3:BucketCreated:*", "s3:BucketRemoved:*", "s3:LifecycleDelMarkerExpiration:Delete"}
    | set(_names("Scanner", "ManyVersions LargeVersions BigPrefix"))
)
_UNSUPPORTED_CONFIGURATIONS = frozenset({"TopicConfiguration", "CloudFunctionConfiguration"})

#: Every name ``ParseName`` in MinIO's name.go accepts in a NotificationConfiguration.
EVENT_NAMES = _SINGLE_EVENTS | frozenset(_COMPOUND_EVENTS)


class NotificationConfigError(Exception):
    """An S3 error MinIO answers a bad PutBucketNotification with."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _invalid_argument(message: str) -> NotificationConfigError:
    return NotificationConfigError("InvalidArgument", message)


def malformed_xml() -> NotificationConfigError:
    """MinIO's ``ErrMalformedXML``; also what a non-event decoding error maps to."""
    return NotificationConfigError(
        "MalformedXML",
        "The XML you provided was not well-formed or did not validate against our published "
        "schema.",
    )


def arn_error() -> NotificationConfigError:
    """MinIO's ``ErrARNNotification`` (for both ``ErrInvalidARN`` and ``ErrARNNotFound``)."""
    return _invalid_argument(
        "A specified destination ARN does not exist or is not well-formed. "
        "Verify the destination ARN."
    )


def region_error() -> NotificationConfigError:
    """MinIO's ``ErrRegionNotification`` (``ErrUnknownRegion``)."""
    return _invalid_argument(
        "A specified destination is in a different region than the bucket. You must use a "
        "destination that resides in the same region as the bucket."
    )


def event_error() -> NotificationConfigError:
    """MinIO's ``ErrEventNotification`` (``ErrInvalidEventName``)."""
    return _invalid_argument("A specified event is not supported for notifications.")


@dataclass(frozen=True)
class QueueRule:
    """One ``<QueueConfiguration>``: where events go, which events, which object names."""

    id: str
    arn: str
    events: tuple[str, ...]
    filter_rules: tuple[tuple[str, str], ...] = ()

    @property
    def prefix(self) -> str:
        return dict(self.filter_rules).get("prefix", "")

    @property
    def suffix(self) -> str:
        return dict(self.filter_rules).get("suffix", "")

    @property
    def pattern(self) -> str:
        """The wildcard pattern MinIO matches object names against (``*`` when unfiltered)."""
        return new_pattern(self.prefix, self.suffix) or "*"

    def matches(self, event_name: str, object_name: str) -> bool:
        """Whether an event about ``object_name`` (URL-decoded) falls under this rule."""
        expanded = {name for event in self.events for name in expand_event_name(event)}
        return event_name in expanded and wildcard_match(self.pattern, object_name)


def expand_event_name(name: str) -> tuple[str, ...]:
    """``Name.Expand()``: a compound name's single names, or the name itself."""
    return _COMPOUND_EVENTS.get(name, (name,))


def new_pattern(prefix: str, suffix: str) -> str:
    """``NewPattern``: ``prefix*`` + ``*suffix`` with a doubled ``**`` collapsed."""
    pattern = ""
    if prefix:
        pattern = prefix if prefix.endswith("*") else prefix + "*"
    if suffix:
        pattern += suffix if suffix.startswith("*") else "*" + suffix
    return pattern.replace("**", "*")


def wildcard_match(pattern: str, name: str) -> bool:
    """``wildcard.MatchSimple``: ``*`` matches any run of characters, ``?`` exactly one."""
    if pattern == "":
        return name == ""
    if pattern == "*":
        return True
    regex = "".join(
        ".*" if char == "*" else "." if char == "?" else re.escape(char) for char in pattern
    )
    return re.fullmatch(regex, name, flags=re.DOTALL) is not None


def rules_match(rules: Iterable[QueueRule], event_name: str, object_name: str) -> bool:
    """Whether any rule sends this event to the NATS target.

    MinIO resolves rules to a *set of targets* and sends one event per target, so several
    overlapping rules that all point at the NATS target still produce one message.
    """
    return any(rule.matches(event_name, object_name) for rule in rules)


def parse_notification_config(
    body: bytes,
    *,
    region: str,
    targets: Collection[tuple[str, str]] = (nats_target(),),
) -> tuple[QueueRule, ...]:
    """Parse and validate a PutBucketNotification body the way MinIO's ``ParseConfig`` does.

    ``region`` is the server's region: an ARN naming another region is rejected; ``targets``
    the configured (id, type) pairs, matched case-sensitively. An empty result means "remove
    the configuration". Raises :class:`NotificationConfigError`.
    """
    root = _parse_xml(body)
    if _local(root.tag) != "NotificationConfiguration":
        raise malformed_xml()
    rules = tuple(_parse_queue(node) for node in root if _local(node.tag) == "QueueConfiguration")
    _reject_duplicates(rules)
    if any(_local(node.tag) in _UNSUPPORTED_CONFIGURATIONS for node in root):
        raise NotificationConfigError(
            "UnsupportedNotification",
            "MinIO server does not support Topic or Cloud Function based notifications.",
        )
    for rule in rules:
        validate_arn(rule.arn, region=region, targets=targets)
    return rules


def validate_arn(
    arn: str, *, region: str, targets: Collection[tuple[str, str]] = (nats_target(),)
) -> None:
    """``parseARN`` + ``Queue.Validate``: well-formed, same region, a target that exists."""
    tokens = arn.split(":")
    if not arn.startswith("arn:minio:sqs:") or len(tokens) != 6 or not tokens[4] or not tokens[5]:
        raise arn_error()
    arn_region = tokens[3]
    if arn_region and region and arn_region != region:
        raise region_error()
    if (tokens[4], tokens[5]) not in targets:
        raise arn_error()  # ErrARNNotFound: the id's case matters


def render_notification_config(rules: Sequence[QueueRule]) -> bytes:
    """GetBucketNotification's body, element order as MinIO's Go structs marshal it."""
    root = ET.Element("NotificationConfiguration", xmlns=S3_XMLNS)
    for rule in rules:
        queue = ET.SubElement(root, "QueueConfiguration")
        ET.SubElement(queue, "Id").text = rule.id
        if rule.filter_rules:
            s3_key = ET.SubElement(ET.SubElement(queue, "Filter"), "S3Key")
            for name, value in rule.filter_rules:
                filter_rule = ET.SubElement(s3_key, "FilterRule")
                ET.SubElement(filter_rule, "Name").text = name
                ET.SubElement(filter_rule, "Value").text = value
        for event in rule.events:
            ET.SubElement(queue, "Event").text = event
        ET.SubElement(queue, "Queue").text = rule.arn
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=False)
    return XML_HEADER + document


def _parse_xml(body: bytes) -> ET.Element:
    try:
        return ET.fromstring(body)
    except ET.ParseError:
        raise malformed_xml() from None


def _local(tag: str) -> str:
    """Go's encoding/xml matches on local names, so the S3 namespace is optional."""
    return tag.rsplit("}", 1)[-1]


def _children(node: ET.Element, name: str) -> list[ET.Element]:
    return [child for child in node if _local(child.tag) == name]


def _text(node: ET.Element, name: str) -> str:
    found = _children(node, name)
    return (found[0].text or "").strip() if found else ""


def _parse_queue(node: ET.Element) -> QueueRule:
    arn = _text(node, "Queue")
    if not arn.startswith("arn:minio:sqs:") or len(arn.split(":")) != 6:
        raise arn_error()
    events = tuple((child.text or "").strip() for child in _children(node, "Event"))
    if not events:
        # MinIO returns a plain error here, which its handler reports as MalformedXML.
        raise malformed_xml()
    for event in events:
        if event not in EVENT_NAMES:
            raise event_error()
    if len(set(events)) != len(events):
        # ErrDuplicateEventName maps to ErrOverlappingConfigs.
        raise _invalid_argument(
            "Configurations overlap. Configurations on the same bucket cannot share a common "
            "event type."
        )
    return QueueRule(_text(node, "Id"), arn, events, _parse_filter(node))


def _parse_filter(node: ET.Element) -> tuple[tuple[str, str], ...]:
    rules: list[tuple[str, str]] = []
    for filter_node in _children(node, "Filter"):
        for s3_key in _children(filter_node, "S3Key"):
            rules.extend(_parse_filter_rule(rule) for rule in _children(s3_key, "FilterRule"))
    names = [name for name, _ in rules]
    if names.count("prefix") > 1:
        raise _invalid_argument("Cannot specify more than one prefix rule in a filter.")
    if names.count("suffix") > 1:
        raise _invalid_argument("Cannot specify more than one suffix rule in a filter.")
    return tuple(rules)


def _parse_filter_rule(node: ET.Element) -> tuple[str, str]:
    # MinIO compares the name case-sensitively (AWS would also take "Prefix"). It means to
    # validate the value too, but checks the not-yet-filled receiver, so any value passes;
    # the stand-in accepts what the real server accepts.
    name = _text(node, "Name")
    if name not in {"prefix", "suffix"}:
        raise _invalid_argument("filter rule name must be either prefix or suffix")
    return name, _text(node, "Value")


def _reject_duplicates(rules: Sequence[QueueRule]) -> None:
    """``ErrDuplicateQueueConfiguration``: two identical entries (ignoring the ARN region)."""
    seen: set[tuple[object, ...]] = set()
    for rule in rules:
        tokens = rule.arn.split(":")
        identity = (rule.id, rule.events, rule.filter_rules, tokens[4], tokens[5])
        if identity in seen:
            raise _invalid_argument(
                "An object key name filtering rule defined with overlapping prefixes, "
                "overlapping suffixes, or overlapping combinations of prefixes and suffixes "
                "for the same event types."
            )
        seen.add(identity)
