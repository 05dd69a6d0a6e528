"""Asking the reactor to analyse a finished recording again, with another scenario.

The reactor acts on bucket events only. After :meth:`bot.repos.library.Library.prepare_rerun`
has marked the analysis outstanding, the bot publishes an ``s3:ObjectCreated`` notification for
the same object version (same bucket, key and eTag, so the same recording id) onto the events
subject, in MinIO's shape; the reactor claims the recording, sees the transcript is done and
only the analysis is owed, runs it and announces it. No new audio, no new transcription.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote_plus

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from bot.repos.library import Card
from voxpersona.contracts.metadata import RecordingMetadata

USER_AGENT = "voxpersona-bot/reanalysis"


def reanalysis_event(card: Card, *, user_id: int, interface_language: str) -> bytes:
    """A MinIO-shaped created event for the recording's object (pure)."""
    metadata = RecordingMetadata(
        user_id=user_id, chat_id=card.chat_id, interface_language=interface_language
    )
    now = datetime.now(UTC)
    record: dict[str, Any] = {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "eventTime": now.isoformat().replace("+00:00", "Z"),
        "eventName": "s3:ObjectCreated:Put",
        "s3": {
            "bucket": {"name": card.bucket},
            "object": {
                "key": quote_plus(card.object_key, safe=""),
                "size": card.size_bytes or 0,
                "eTag": card.etag,
                "userMetadata": metadata.to_headers(),
                "sequencer": f"{time.time_ns():X}",
            },
        },
        "source": {"host": "", "userAgent": USER_AGENT},
    }
    envelope = {
        "EventName": "s3:ObjectCreated:Put",
        "Key": f"{card.bucket}/{card.object_key}",
        "Records": [record],
    }
    return json.dumps(envelope).encode()


class Reanalysis:
    """Publishes re-analysis requests onto the events subject."""

    def __init__(self, nc: NatsClient, js: JetStreamContext, subject: str) -> None:
        self._nc = nc
        self._js = js
        self._subject = subject

    @property
    def connected(self) -> bool:
        return bool(self._nc.is_connected)

    async def request(self, card: Card, *, user_id: int, interface_language: str) -> None:
        await self._js.publish(
            self._subject,
            reanalysis_event(card, user_id=user_id, interface_language=interface_language),
        )
