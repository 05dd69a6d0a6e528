"""Applying VoxPersona's bucket configuration idempotently through the MinIO SDK, and reporting
drift: what ``voxpersona storage init`` and ``voxpersona storage check`` run.

The configuration itself is :mod:`voxpersona.storage.bucket_config`; the comparison is the pure
:mod:`voxpersona.storage.drift`. Here: reading MinIO's state and writing the changes. IAM users
and policies are not here (MinIO's admin API): ``minio-config/init.sh`` applies them with ``mc``.
"""

from __future__ import annotations

import json
from typing import Any

from voxpersona.storage.bucket_config import (
    DesiredConfig,
    desired_config,
    lifecycle_from_sdk,
    lifecycle_to_sdk,
    notifications_from_sdk,
    notifications_to_sdk,
)
from voxpersona.storage.drift import (
    Drift,
    ObservedConfig,
    find_drift,
    grants_anonymous,
    merge_lifecycle,
    merge_notifications,
    missing_lifecycle,
    missing_notifications,
    without_anonymous,
)
from voxpersona.storage.errors import StorageError
from voxpersona.storage.minio_store import MinioObjectStore

_NO_POLICY = "NoSuchBucketPolicy"


async def bucket_policy(store: MinioObjectStore, bucket: str) -> dict[str, Any] | None:
    """The bucket's policy document, or None when it has none."""
    try:
        text = await store.sdk_call(
            "get_bucket_policy", lambda: store.client.get_bucket_policy(bucket)
        )
    except StorageError as exc:
        if exc.code == _NO_POLICY:
            return None
        raise
    policy: dict[str, Any] = json.loads(text)
    return policy


async def observe(store: MinioObjectStore, desired: DesiredConfig) -> ObservedConfig:
    """Read what MinIO has now (rules only when the audio bucket exists)."""
    existing = frozenset([b for b in desired.buckets if await store.bucket_exists(b)])
    anonymous = frozenset([b for b in existing if grants_anonymous(await bucket_policy(store, b))])
    if desired.audio_bucket not in existing:
        return ObservedConfig(existing, anonymous_buckets=anonymous)
    client, audio = store.client, desired.audio_bucket
    lifecycle = await store.sdk_call(
        "get_bucket_lifecycle", lambda: client.get_bucket_lifecycle(audio)
    )
    notifications = await store.sdk_call(
        "get_bucket_notification", lambda: client.get_bucket_notification(audio)
    )
    return ObservedConfig(
        existing_buckets=existing,
        lifecycle=lifecycle_from_sdk(lifecycle),
        notifications=notifications_from_sdk(notifications),
        anonymous_buckets=anonymous,
    )


async def check(store: MinioObjectStore) -> list[Drift]:
    """How MinIO differs from the configuration; empty when in step."""
    desired = desired_config(store.settings)
    return find_drift(desired, await observe(store, desired))


async def provision(store: MinioObjectStore) -> list[str]:
    """Make MinIO match the configuration; return what changed (empty: nothing to do)."""
    desired = desired_config(store.settings)
    changes = [f"created bucket {name}" for name in await store.ensure_buckets(*desired.buckets)]
    observed = await observe(store, desired)
    for bucket in sorted(observed.anonymous_buckets):
        await _close_anonymous_access(store, bucket)
        changes.append(f"removed anonymous access from {bucket}")
    client, audio = store.client, desired.audio_bucket
    if missing_lifecycle(desired, observed):
        config = lifecycle_to_sdk(merge_lifecycle(desired, observed))
        await store.sdk_call(
            "set_bucket_lifecycle", lambda: client.set_bucket_lifecycle(audio, config)
        )
        changes.append(f"set lifecycle rules on {audio}")
    if missing_notifications(desired, observed):
        rules = notifications_to_sdk(merge_notifications(desired, observed))
        await store.sdk_call(
            "set_bucket_notification", lambda: client.set_bucket_notification(audio, rules)
        )
        changes.append(f"set notification rules on {audio}")
    return changes


async def _close_anonymous_access(store: MinioObjectStore, bucket: str) -> None:
    policy = await bucket_policy(store, bucket)
    remaining = without_anonymous(policy) if policy is not None else None
    if remaining is None:
        await store.sdk_call(
            "delete_bucket_policy", lambda: store.client.delete_bucket_policy(bucket)
        )
    else:
        text = json.dumps(remaining)
        await store.sdk_call(
            "set_bucket_policy", lambda: store.client.set_bucket_policy(bucket, text)
        )
