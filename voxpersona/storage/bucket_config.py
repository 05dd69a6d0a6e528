"""VoxPersona's MinIO bucket configuration as data, and its mapping to and from the SDK.

The same configuration ``minio-config/`` applies with ``mc`` (a unit test keeps the two equal):

- buckets: audio and results;
- notification rules on the audio prefix to MinIO's NATS target: ``put`` (``s3:ObjectCreated:*``)
  and ``delete`` (``s3:ObjectRemoved:*``). MinIO's ILM scanner reports expiry as an ordinary
  ``s3:ObjectRemoved:Delete``, so the delete rule is what keeps PostgreSQL in step with expiry;
- lifecycle rules on the audio bucket: audio expires after ``MINIO_CLEANUP_DAYS``. MinIO's
  lifecycle has no AbortIncompleteMultipartUpload (``internal/bucket/lifecycle/rule.go`` drops
  it, or refuses a rule with nothing else); MinIO removes stale multipart uploads itself
  (``MINIO_API_STALE_UPLOADS_EXPIRY``, 24h by default, set in docker-compose.yml);
- no anonymous access to any bucket.

Rules are compared by content, not by id: ``mc event add`` names its rules itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from minio.commonconfig import ENABLED, Filter
from minio.lifecycleconfig import AbortIncompleteMultipartUpload, Expiration, LifecycleConfig, Rule
from minio.notificationconfig import (
    NotificationConfig,
    PrefixFilterRule,
    QueueConfig,
    SuffixFilterRule,
)

from voxpersona.contracts.keys import AUDIO_PREFIX
from voxpersona.settings import MinioSettings

#: The id of MinIO's NATS target, exactly as docker-compose.yml spells it in
#: ``MINIO_NOTIFY_NATS_ENABLE_PRIMARY``. MinIO keeps the case of that suffix and looks ARNs up
#: case-sensitively, so this is the one place the ARN comes from (a unit test keeps compose,
#: ``minio-config/init.sh`` and this equal).
NATS_TARGET_ID = "PRIMARY"
NATS_TARGET_ARN = f"arn:minio:sqs::{NATS_TARGET_ID}:nats"
CREATED_EVENTS = ("s3:ObjectCreated:*",)
REMOVED_EVENTS = ("s3:ObjectRemoved:*",)
#: Lifecycle rule id, the same in ``minio-config/lifecycle.json``.
EXPIRE_AUDIO_RULE_ID = "expire-audio"


@dataclass(frozen=True, slots=True)
class LifecycleRuleSpec:
    """One lifecycle rule; ``rule_id`` names it but does not take part in comparisons."""

    rule_id: str
    prefix: str
    expire_days: int | None = None
    abort_incomplete_days: int | None = None

    @property
    def content(self) -> tuple[str, int | None, int | None]:
        return (self.prefix, self.expire_days, self.abort_incomplete_days)


@dataclass(frozen=True, slots=True)
class NotificationRuleSpec:
    """One queue notification rule (MinIO's NATS target is a "queue" in S3 terms)."""

    rule_id: str
    arn: str
    events: tuple[str, ...]
    prefix: str
    suffix: str = ""

    @property
    def content(self) -> tuple[str, tuple[str, ...], str, str]:
        return (self.arn, tuple(sorted(self.events)), self.prefix, self.suffix)


@dataclass(frozen=True, slots=True)
class DesiredConfig:
    """Everything ``voxpersona storage init`` makes true."""

    buckets: tuple[str, ...]
    audio_bucket: str
    lifecycle: tuple[LifecycleRuleSpec, ...]
    notifications: tuple[NotificationRuleSpec, ...]


def desired_lifecycle(cleanup_days: int) -> tuple[LifecycleRuleSpec, ...]:
    return (LifecycleRuleSpec(EXPIRE_AUDIO_RULE_ID, AUDIO_PREFIX, expire_days=cleanup_days),)


def desired_notifications() -> tuple[NotificationRuleSpec, ...]:
    return (
        NotificationRuleSpec("audio-put", NATS_TARGET_ARN, CREATED_EVENTS, AUDIO_PREFIX),
        NotificationRuleSpec("audio-delete", NATS_TARGET_ARN, REMOVED_EVENTS, AUDIO_PREFIX),
    )


def desired_config(settings: MinioSettings) -> DesiredConfig:
    return DesiredConfig(
        buckets=(settings.audio_bucket_name, settings.bucket_name),
        audio_bucket=settings.audio_bucket_name,
        lifecycle=desired_lifecycle(settings.cleanup_days),
        notifications=desired_notifications(),
    )


# ---------------------------------------------------------------- lifecycle <-> SDK


def lifecycle_to_sdk(specs: Iterable[LifecycleRuleSpec]) -> LifecycleConfig:
    rules = []
    for spec in specs:
        rules.append(
            Rule(
                ENABLED,
                rule_filter=Filter(prefix=spec.prefix),
                rule_id=spec.rule_id,
                expiration=Expiration(days=spec.expire_days) if spec.expire_days else None,
                abort_incomplete_multipart_upload=(
                    AbortIncompleteMultipartUpload(spec.abort_incomplete_days)
                    if spec.abort_incomplete_days
                    else None
                ),
            )
        )
    return LifecycleConfig(rules)


def lifecycle_from_sdk(config: LifecycleConfig | None) -> tuple[LifecycleRuleSpec, ...]:
    """Enabled, prefix-filtered rules as specs (others cannot be ours and are left alone)."""
    specs = []
    for rule in config.rules if config is not None else []:
        if rule.status != ENABLED:
            continue
        prefix = rule.rule_filter.prefix if rule.rule_filter is not None else ""
        abort = rule.abort_incomplete_multipart_upload
        specs.append(
            LifecycleRuleSpec(
                rule_id=rule.rule_id or "",
                prefix=prefix or "",
                expire_days=rule.expiration.days if rule.expiration is not None else None,
                abort_incomplete_days=abort.days_after_initiation if abort is not None else None,
            )
        )
    return tuple(specs)


def lifecycle_from_json(document: Mapping[str, Any]) -> tuple[LifecycleRuleSpec, ...]:
    """Specs from an ``mc ilm import`` document (``minio-config/lifecycle.json``)."""
    specs = []
    for rule in document["Rules"]:
        if rule.get("Status") != "Enabled":
            continue
        expiration = rule.get("Expiration") or {}
        abort = rule.get("AbortIncompleteMultipartUpload") or {}
        specs.append(
            LifecycleRuleSpec(
                rule_id=rule["ID"],
                prefix=(rule.get("Filter") or {}).get("Prefix", ""),
                expire_days=expiration.get("Days"),
                abort_incomplete_days=abort.get("DaysAfterInitiation"),
            )
        )
    return tuple(specs)


# ---------------------------------------------------------------- notifications <-> SDK


def notifications_to_sdk(specs: Iterable[NotificationRuleSpec]) -> NotificationConfig:
    return NotificationConfig(
        queue_config_list=[
            QueueConfig(
                queue=spec.arn,
                events=list(spec.events),
                config_id=spec.rule_id,
                prefix_filter_rule=PrefixFilterRule(spec.prefix) if spec.prefix else None,
                suffix_filter_rule=SuffixFilterRule(spec.suffix) if spec.suffix else None,
            )
            for spec in specs
        ]
    )


def notifications_from_sdk(config: NotificationConfig) -> tuple[NotificationRuleSpec, ...]:
    """Queue rules as specs (MinIO's targets are all queues; other kinds are not ours)."""
    specs = []
    for queue in config.queue_config_list:
        prefix = queue.prefix_filter_rule.value if queue.prefix_filter_rule else ""
        suffix = queue.suffix_filter_rule.value if queue.suffix_filter_rule else ""
        specs.append(
            NotificationRuleSpec(
                rule_id=queue.config_id or "",
                arn=queue.queue or "",
                events=tuple(queue.events),
                prefix=prefix or "",
                suffix=suffix or "",
            )
        )
    return tuple(specs)
