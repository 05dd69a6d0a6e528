"""The bucket configuration as data: the mc files and the SDK agree; drift and merging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from voxpersona.settings import MinioSettings
from voxpersona.storage.bucket_config import (
    NATS_TARGET_ARN,
    LifecycleRuleSpec,
    NotificationRuleSpec,
    desired_config,
    desired_lifecycle,
    lifecycle_from_json,
    lifecycle_from_sdk,
    lifecycle_to_sdk,
    notifications_from_sdk,
    notifications_to_sdk,
)
from voxpersona.storage.drift import (
    DriftKind,
    ObservedConfig,
    find_drift,
    grants_anonymous,
    merge_lifecycle,
    merge_notifications,
    without_anonymous,
)

ROOT = Path(__file__).resolve().parents[2]
SETTINGS = MinioSettings(endpoint="minio:9000", access_key="a", secret_key="s")  # type: ignore[arg-type]
DESIRED = desired_config(SETTINGS)
AUDIO, RESULTS = DESIRED.audio_bucket, SETTINGS.bucket_name


def in_step(**changes: Any) -> ObservedConfig:
    values: dict[str, Any] = {
        "existing_buckets": frozenset(DESIRED.buckets),
        "lifecycle": DESIRED.lifecycle,
        "notifications": DESIRED.notifications,
    }
    values.update(changes)
    return ObservedConfig(**values)


def test_mc_lifecycle_file_is_the_sdk_configuration() -> None:
    document = json.loads((ROOT / "minio-config" / "lifecycle.json").read_text())
    assert lifecycle_from_json(document) == desired_lifecycle(30)


def test_lifecycle_and_notifications_round_trip_through_the_sdk_types() -> None:
    assert lifecycle_from_sdk(lifecycle_to_sdk(DESIRED.lifecycle)) == DESIRED.lifecycle
    assert notifications_from_sdk(notifications_to_sdk(DESIRED.notifications)) == (
        DESIRED.notifications
    )
    assert lifecycle_from_sdk(None) == ()


def test_cleanup_days_come_from_settings() -> None:
    settings = SETTINGS.model_copy(update={"cleanup_days": 7})
    expire = [r for r in desired_config(settings).lifecycle if r.expire_days]
    assert [(r.prefix, r.expire_days) for r in expire] == [("audio/", 7)]


def test_in_step_means_no_drift_whatever_the_rule_ids() -> None:
    renamed = tuple(
        NotificationRuleSpec(f"mc-generated-{i}", r.arn, r.events, r.prefix)
        for i, r in enumerate(DESIRED.notifications)
    )
    assert find_drift(DESIRED, in_step(notifications=renamed)) == []


def test_every_kind_of_drift_is_reported() -> None:
    observed = ObservedConfig(
        existing_buckets=frozenset({AUDIO}),
        lifecycle=(LifecycleRuleSpec("expire-audio", "audio/", expire_days=90),),
        notifications=DESIRED.notifications[:1],
        anonymous_buckets=frozenset({AUDIO}),
    )
    found = {(d.kind, d.bucket) for d in find_drift(DESIRED, observed)}
    assert found == {
        (DriftKind.MISSING_BUCKET, RESULTS),
        (DriftKind.ANONYMOUS_ACCESS, AUDIO),
        (DriftKind.LIFECYCLE_RULE, AUDIO),
        (DriftKind.NOTIFICATION_RULE, AUDIO),
    }
    texts = [str(d) for d in find_drift(DESIRED, observed)]
    assert f"{AUDIO}: missing lifecycle rule: expire-audio: objects under 'audio/': expire " in (
        "\n".join(texts)
    )


def test_merge_keeps_foreign_rules_and_replaces_drifted_ones_of_ours() -> None:
    foreign_rule = LifecycleRuleSpec("keep-exports", "exports/", expire_days=5)
    drifted = LifecycleRuleSpec("expire-audio", "audio/", expire_days=90)
    merged = merge_lifecycle(DESIRED, in_step(lifecycle=(foreign_rule, drifted)))
    assert merged == (foreign_rule, *DESIRED.lifecycle)

    foreign_queue = NotificationRuleSpec("x", NATS_TARGET_ARN, ("s3:ObjectCreated:*",), "exports/")
    merged_rules = merge_notifications(DESIRED, in_step(notifications=(foreign_queue,)))
    assert merged_rules == (foreign_queue, *DESIRED.notifications)
    # Ours already present under other ids are not added twice.
    present = merge_notifications(DESIRED, in_step())
    assert present == DESIRED.notifications


@pytest.mark.parametrize(
    ("principal", "anonymous"),
    [("*", True), ({"AWS": "*"}, True), ({"AWS": ["*"]}, True), ({"AWS": ["arn:x"]}, False)],
)
def test_anonymous_principals(principal: object, anonymous: bool) -> None:
    statement = {"Effect": "Allow", "Principal": principal, "Action": "s3:GetObject"}
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    assert grants_anonymous(policy) is anonymous
    assert (without_anonymous(policy) is None) is anonymous


def test_denials_and_named_principals_survive_the_cleanup() -> None:
    deny = {"Effect": "Deny", "Principal": "*", "Action": "s3:*"}
    named = {"Effect": "Allow", "Principal": {"AWS": ["arn:aws:iam::1:root"]}, "Action": "s3:*"}
    anyone = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:GetObject"}
    policy = {"Version": "2012-10-17", "Statement": [deny, anyone, named]}
    assert without_anonymous(policy) == {"Version": "2012-10-17", "Statement": [deny, named]}
    assert not grants_anonymous(None)
