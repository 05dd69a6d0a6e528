"""Comparing MinIO's bucket configuration with VoxPersona's, and merging the two. Pure.

Rules that are not VoxPersona's (an operator's extra lifecycle rule, another notification
target) are neither drift nor touched: merging keeps them and adds or replaces only ours.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from voxpersona.storage.bucket_config import (
    DesiredConfig,
    LifecycleRuleSpec,
    NotificationRuleSpec,
)


class DriftKind(StrEnum):
    MISSING_BUCKET = "missing bucket"
    LIFECYCLE_RULE = "missing lifecycle rule"
    NOTIFICATION_RULE = "missing notification rule"
    ANONYMOUS_ACCESS = "anonymous access"


@dataclass(frozen=True, slots=True)
class Drift:
    kind: DriftKind
    bucket: str
    detail: str

    def __str__(self) -> str:
        return f"{self.bucket}: {self.kind.value}: {self.detail}"


@dataclass(frozen=True, slots=True)
class ObservedConfig:
    """What MinIO has now. Rules are read from the audio bucket only (if it exists)."""

    existing_buckets: frozenset[str]
    lifecycle: tuple[LifecycleRuleSpec, ...] = ()
    notifications: tuple[NotificationRuleSpec, ...] = ()
    anonymous_buckets: frozenset[str] = frozenset()


def describe_lifecycle(rule: LifecycleRuleSpec) -> str:
    target = f"objects under {rule.prefix!r}" if rule.prefix else "all objects"
    actions = []
    if rule.expire_days:
        actions.append(f"expire after {rule.expire_days} days")
    if rule.abort_incomplete_days:
        actions.append(f"abort incomplete uploads after {rule.abort_incomplete_days} days")
    return f"{rule.rule_id}: {target}: {', '.join(actions)}"


def describe_notification(rule: NotificationRuleSpec) -> str:
    return f"{rule.rule_id}: {','.join(rule.events)} on {rule.prefix!r} to {rule.arn}"


def missing_lifecycle(desired: DesiredConfig, observed: ObservedConfig) -> list[LifecycleRuleSpec]:
    present = {rule.content for rule in observed.lifecycle}
    return [rule for rule in desired.lifecycle if rule.content not in present]


def missing_notifications(
    desired: DesiredConfig, observed: ObservedConfig
) -> list[NotificationRuleSpec]:
    present = {rule.content for rule in observed.notifications}
    return [rule for rule in desired.notifications if rule.content not in present]


def find_drift(desired: DesiredConfig, observed: ObservedConfig) -> list[Drift]:
    """Every way MinIO differs from the desired configuration; empty when in step."""
    drift = [
        Drift(DriftKind.MISSING_BUCKET, bucket, "does not exist")
        for bucket in desired.buckets
        if bucket not in observed.existing_buckets
    ]
    drift += [
        Drift(DriftKind.ANONYMOUS_ACCESS, bucket, "the bucket policy allows anonymous requests")
        for bucket in desired.buckets
        if bucket in observed.anonymous_buckets
    ]
    audio = desired.audio_bucket
    drift += [
        Drift(DriftKind.LIFECYCLE_RULE, audio, describe_lifecycle(rule))
        for rule in missing_lifecycle(desired, observed)
    ]
    drift += [
        Drift(DriftKind.NOTIFICATION_RULE, audio, describe_notification(rule))
        for rule in missing_notifications(desired, observed)
    ]
    return drift


def merge_lifecycle(
    desired: DesiredConfig, observed: ObservedConfig
) -> tuple[LifecycleRuleSpec, ...]:
    """Foreign rules kept; ours added, or replacing a rule of the same id that drifted."""
    ours_ids = {rule.rule_id for rule in desired.lifecycle}
    ours = {rule.content for rule in desired.lifecycle}
    kept = tuple(
        rule
        for rule in observed.lifecycle
        if rule.rule_id not in ours_ids and rule.content not in ours
    )
    return kept + desired.lifecycle


def merge_notifications(
    desired: DesiredConfig, observed: ObservedConfig
) -> tuple[NotificationRuleSpec, ...]:
    """Foreign rules kept; ours added, or replacing a rule of the same id that drifted."""
    ours_ids = {rule.rule_id for rule in desired.notifications}
    ours = {rule.content for rule in desired.notifications}
    kept = tuple(
        rule
        for rule in observed.notifications
        if rule.rule_id not in ours_ids and rule.content not in ours
    )
    return kept + desired.notifications


def _is_anonymous(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Allow":
        return False
    principal = statement.get("Principal")
    if isinstance(principal, Mapping):
        principal = principal.get("AWS")
    values = principal if isinstance(principal, list) else [principal]
    return "*" in values


def grants_anonymous(policy: Mapping[str, Any] | None) -> bool:
    """Whether a bucket policy lets anyone without credentials in."""
    return policy is not None and any(_is_anonymous(s) for s in _statements(policy))


def without_anonymous(policy: Mapping[str, Any]) -> dict[str, Any] | None:
    """The policy minus its anonymous statements; None when nothing else is left."""
    kept = [s for s in _statements(policy) if not _is_anonymous(s)]
    return {**policy, "Statement": kept} if kept else None


def _statements(policy: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    statements = policy.get("Statement", [])
    return [statements] if isinstance(statements, Mapping) else list(statements)
