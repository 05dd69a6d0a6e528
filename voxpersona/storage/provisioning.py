"""Applying VoxPersona's bucket configuration idempotently through the MinIO SDK.

The same configuration ``minio-config/`` applies with ``mc`` in docker-compose: buckets, and the
notification rules that send audio events to MinIO's NATS target.
"""

from __future__ import annotations

import asyncio

from minio.notificationconfig import (
    NotificationConfig,
    PrefixFilterRule,
    QueueConfig,
)

from voxpersona.contracts.keys import AUDIO_PREFIX
from voxpersona.storage.minio_store import MinioObjectStore

NATS_TARGET_ARN = "arn:minio:sqs::primary:nats"
CREATED_EVENTS = ["s3:ObjectCreated:*"]
REMOVED_EVENTS = ["s3:ObjectRemoved:*"]


def notification_config() -> NotificationConfig:
    """``put`` and ``delete`` rules on the audio prefix, to the NATS target.

    The delete rule is what keeps PostgreSQL in step with lifecycle expiry: MinIO's ILM scanner
    reports expiry as an ordinary ``s3:ObjectRemoved:Delete``.
    """
    prefix = PrefixFilterRule(AUDIO_PREFIX)
    return NotificationConfig(
        queue_config_list=[
            QueueConfig(
                queue=NATS_TARGET_ARN,
                events=CREATED_EVENTS,
                config_id="audio-put",
                prefix_filter_rule=prefix,
            ),
            QueueConfig(
                queue=NATS_TARGET_ARN,
                events=REMOVED_EVENTS,
                config_id="audio-delete",
                prefix_filter_rule=prefix,
            ),
        ]
    )


def _rules(config: NotificationConfig) -> set[tuple[str | None, tuple[str, ...], str]]:
    found = set()
    for queue in config.queue_config_list:
        prefix = queue.prefix_filter_rule.value if queue.prefix_filter_rule else ""
        found.add((queue.queue, tuple(sorted(queue.events)), prefix))
    return found


async def provision(store: MinioObjectStore) -> list[str]:
    """Create missing buckets and notification rules; return what changed (empty: nothing)."""
    changes = [f"created bucket {name}" for name in await store.ensure_buckets()]
    client = store.client
    bucket = store.audio_bucket
    current = await asyncio.to_thread(client.get_bucket_notification, bucket)
    wanted = notification_config()
    if _rules(current) != _rules(wanted):
        await asyncio.to_thread(client.set_bucket_notification, bucket, wanted)
        changes.append(f"set notification rules on {bucket}")
    return changes
