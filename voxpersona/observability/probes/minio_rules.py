"""Judging MinIO's bucket configuration and metrics: pure functions over SDK objects and text."""

from __future__ import annotations

from minio.lifecycleconfig import LifecycleConfig
from minio.notificationconfig import NotificationConfig
from prometheus_client.parser import text_string_to_metric_families

from voxpersona.contracts.keys import AUDIO_PREFIX
from voxpersona.observability.health import Check, degraded, down, ok

FREE_METRIC = "minio_cluster_capacity_usable_free_bytes"
TOTAL_METRIC = "minio_cluster_capacity_usable_total_bytes"


def _covers_audio(prefix: str | None) -> bool:
    return not prefix or AUDIO_PREFIX.startswith(prefix) or prefix.startswith(AUDIO_PREFIX)


def judge_lifecycle(config: LifecycleConfig | None) -> Check:
    """Audio must expire: an enabled rule with an expiration over the audio prefix."""
    if config is None or not config.rules:
        return degraded("lifecycle", "no lifecycle rules: audio never expires")
    for rule in config.rules:
        prefix = rule.rule_filter.prefix if rule.rule_filter is not None else None
        expiration = rule.expiration
        if rule.status == "Enabled" and expiration is not None and _covers_audio(prefix):
            days = expiration.days
            return ok("lifecycle", f"audio expires after {days} days", expire_days=days)
    return degraded("lifecycle", f"no enabled expiration rule covers {AUDIO_PREFIX}")


def _rule_kinds(config: NotificationConfig) -> set[str]:
    kinds = set()
    for queue in config.queue_config_list:
        if not (queue.queue or "").endswith(":nats"):
            continue
        prefix = queue.prefix_filter_rule.value if queue.prefix_filter_rule else None
        if not _covers_audio(prefix):
            continue
        for event in queue.events:
            if event.startswith("s3:ObjectCreated:"):
                kinds.add("put")
            if event.startswith("s3:ObjectRemoved:"):
                kinds.add("delete")
    return kinds


def judge_notifications(config: NotificationConfig) -> Check:
    """Created events must reach NATS (else nothing is processed); removals keep the index true."""
    kinds = _rule_kinds(config)
    if "put" not in kinds:
        return down(
            "notifications", "no s3:ObjectCreated rule to the NATS target: uploads are never seen"
        )
    if "delete" not in kinds:
        return degraded("notifications", "no s3:ObjectRemoved rule: expiry is not recorded")
    return ok("notifications", "put and delete events go to NATS")


def capacity_from_metrics(text: str) -> tuple[float | None, float | None]:
    """Free and total usable bytes from MinIO's cluster metrics text (None when absent)."""
    found: dict[str, float] = {}
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                if sample.name in (FREE_METRIC, TOTAL_METRIC):
                    found[sample.name] = found.get(sample.name, 0.0) + sample.value
    except ValueError:
        return None, None
    return found.get(FREE_METRIC), found.get(TOTAL_METRIC)
