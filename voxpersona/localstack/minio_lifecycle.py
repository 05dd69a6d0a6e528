"""MinIO's reading of a bucket lifecycle configuration, rebuilt without I/O.

Mirrors minio/minio ``internal/bucket/lifecycle``: ``rule.go`` (the ``Rule`` struct and
``Validate``), ``lifecycle.go`` (``ParseLifecycleConfig``, its errors) and ``cmd/api-errors.go``
(``toAPIError``: a ``lifecycle.Error`` is answered ``400 InvalidArgument`` with its text).

Two facts matter for VoxPersona:

- MinIO's ``Rule`` has no ``AbortIncompleteMultipartUpload`` field (a FIXME in ``rule.go``), and
  Go's XML decoder skips elements a struct does not name. Beside a supported action it is
  silently dropped, so it never comes back from GetBucketLifecycle;
- a rule with none of Expiration, Transition, NoncurrentVersionExpiration,
  NoncurrentVersionTransition (or DelMarkerExpiration) fails ``Validate`` with
  ``errXMLNotWellFormed``: a rule whose only action is AbortIncompleteMultipartUpload is refused.

MinIO cleans up stale multipart uploads itself (``MINIO_API_STALE_UPLOADS_EXPIRY``, 24h).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

SUPPORTED_ACTIONS = frozenset(
    {
        "Expiration",
        "Transition",
        "NoncurrentVersionExpiration",
        "NoncurrentVersionTransition",
        "DelMarkerExpiration",
    }
)
#: Rule elements MinIO's ``Rule`` struct knows; anything else is skipped by the decoder.
KNOWN_RULE_ELEMENTS = SUPPORTED_ACTIONS | {"ID", "Status", "Filter", "Prefix"}


class LifecycleConfigError(Exception):
    """An S3 error MinIO answers a bad PutBucketLifecycleConfiguration with."""

    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


def _lifecycle_error(message: str) -> LifecycleConfigError:
    # cmd/api-errors.go toAPIError: `case lifecycle.Error` -> InvalidArgument, 400.
    return LifecycleConfigError("InvalidArgument", message)


# internal/bucket/lifecycle/lifecycle.go
ERR_XML_NOT_WELL_FORMED = (
    "The XML you provided was not well-formed or did not validate against our published schema"
)
ERR_NO_RULE = "Lifecycle configuration should have at least one rule"
ERR_DUPLICATE_ID = "Rule ID must be unique. Found same ID for more than one rule"
ERR_TOO_MANY_RULES = "Lifecycle configuration allows a maximum of 1000 rules"
ERR_EMPTY_STATUS = "Status should not be empty"  # rule.go
ERR_INVALID_STATUS = "Status must be set to either Enabled or Disabled"  # rule.go


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def normalise_lifecycle(body: bytes) -> bytes:
    """Validate a lifecycle configuration as MinIO does; return what MinIO would keep.

    The returned document has every element MinIO's ``Rule`` does not know removed (notably
    ``AbortIncompleteMultipartUpload``). Raises :class:`LifecycleConfigError`.
    """
    try:
        root = ET.fromstring(body)
    except ET.ParseError:
        raise LifecycleConfigError(
            "MalformedXML",
            "The XML you provided was not well-formed or did not validate against our "
            "published schema.",
        ) from None
    rules = [node for node in root if _local(node.tag) == "Rule"]
    if not rules:
        raise _lifecycle_error(ERR_NO_RULE)
    if len(rules) > 1000:
        raise _lifecycle_error(ERR_TOO_MANY_RULES)
    ids: set[str] = set()
    for rule in rules:
        _validate_rule(rule)
        rule_id = _text(rule, "ID")
        if rule_id and rule_id in ids:
            raise _lifecycle_error(ERR_DUPLICATE_ID)
        ids.add(rule_id)
        for child in list(rule):
            if _local(child.tag) not in KNOWN_RULE_ELEMENTS:
                rule.remove(child)
    return _serialise(root)


def _serialise(root: ET.Element) -> bytes:
    """The document with its namespace as a plain ``xmlns`` (no ``ns0:`` prefixes)."""
    namespace = root.tag[1:].split("}", 1)[0] if root.tag.startswith("{") else ""
    for node in root.iter():
        node.tag = _local(node.tag)
    if namespace:
        root.set("xmlns", namespace)
    document: bytes = ET.tostring(root, encoding="utf-8")
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + document


def _text(node: ET.Element, name: str) -> str:
    for child in node:
        if _local(child.tag) == name:
            return (child.text or "").strip()
    return ""


def _validate_rule(rule: ET.Element) -> None:
    """``Rule.Validate`` (rule.go): status, then at least one supported action."""
    status = _text(rule, "Status")
    if not status:
        raise _lifecycle_error(ERR_EMPTY_STATUS)
    if status not in {"Enabled", "Disabled"}:
        raise _lifecycle_error(ERR_INVALID_STATUS)
    if len(_text(rule, "ID")) > 255:
        raise _lifecycle_error("ID length is limited to 255 characters")
    if not {_local(child.tag) for child in rule} & SUPPORTED_ACTIONS:
        raise _lifecycle_error(ERR_XML_NOT_WELL_FORMED)
