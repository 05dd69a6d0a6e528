"""Recordings imported by ``voxpersona migrate`` are transcribed but message nobody."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import asyncpg

from tests.audio import ogg_opus
from tests.services import RunningServices
from voxpersona.contracts.keys import new_audio_key
from voxpersona.contracts.metadata import MIGRATION_SOURCE, RecordingMetadata
from voxpersona.localstack.fake_telegram import FakeUser
from voxpersona.storage import MinioObjectStore

USER = 730_000_001


async def test_migrated_recording_is_transcribed_without_messaging(
    services: RunningServices, tmp_path: Path
) -> None:
    services.openai.reset()
    # The chat exists, so a message would be delivered (and recorded) if one were sent.
    services.telegram.add_chat(FakeUser(id=USER))
    store = MinioObjectStore(services.reactor_settings.minio)
    path = tmp_path / "old-interview.ogg"
    path.write_bytes(ogg_opus(0.4, frequency=990.0))
    key = new_audio_key(USER, "ogg", now=datetime.now(UTC))
    meta = RecordingMetadata(user_id=USER, chat_id=USER, source=MIGRATION_SOURCE)
    await store.put_file(
        store.audio_bucket, str(key), path, content_type="audio/ogg", metadata=meta.to_headers()
    )

    conn = await asyncpg.connect(services.reactor_settings.database.url.get_secret_value())
    try:
        async with asyncio.timeout(20):
            while True:
                row = await conn.fetchrow(
                    "SELECT status, notified_at, transcript_text FROM recordings"
                    " WHERE object_key = $1",
                    str(key),
                )
                if row is not None and row["notified_at"] is not None:
                    break
                await asyncio.sleep(0.1)
    finally:
        await conn.close()
    assert row["status"] == "done"
    assert "fake transcript" in row["transcript_text"]
    await asyncio.sleep(1.0)  # a message, were one sent, would have arrived by now
    assert services.telegram.messages_to(USER) == []
    assert [c for c in services.telegram.sent if c.chat_id == USER] == []
    assert [c for c in services.telegram.rejected if c.chat_id == USER] == []
