"""A user in the fake Telegram chat sends a voice message and gets the transcript back, through
bot → MinIO → NATS → reactor → PostgreSQL → bot, on real local services."""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json

import asyncpg
import nats
import pytest

from tests.audio import ogg_opus
from tests.reactor_harness import wait_idle
from tests.services import RunningServices
from voxpersona.contracts.keys import parse_audio_key, result_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.localstack.fake_telegram import FakeUser
from voxpersona.storage import MinioObjectStore

_user_ids = itertools.count(700_000_001)


def new_user(language: str = "ru") -> FakeUser:
    return FakeUser(id=next(_user_ids), first_name="Анна", language_code=language)


def transcript_messages(services: RunningServices, chat_id: int) -> list[str]:
    return [
        m.text
        for m in services.telegram.messages_to(chat_id)
        if m.text and "fake transcript" in m.text
    ]


async def fetch_recordings(services: RunningServices, user_id: int) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(services.reactor_settings.database.url.get_secret_value())
    try:
        rows: list[asyncpg.Record] = await conn.fetch(
            "SELECT * FROM recordings WHERE user_id = $1", user_id
        )
        return rows
    finally:
        await conn.close()


async def send_voice_and_wait(services: RunningServices, user: FakeUser, audio: bytes) -> str:
    services.telegram.user_sends_voice(user, audio, duration=1, mime_type="audio/ogg")
    await services.telegram.wait_for(
        lambda: bool(transcript_messages(services, user.id)), timeout=20
    )
    return transcript_messages(services, user.id)[0]


async def test_voice_message_comes_back_as_transcript(services: RunningServices) -> None:
    user = new_user()
    audio = ogg_opus(1.0)
    digest = hashlib.sha256(audio).hexdigest()

    transcript = await send_voice_and_wait(services, user, audio)

    # The fake transcriber names the bytes it received: exactly the user's voice note.
    assert f"fake transcript of {len(audio)} bytes sha256 {digest[:16]}" in transcript
    texts = [m.text or "" for m in services.telegram.messages_to(user.id)]
    assert any("Запись получена" in text for text in texts), texts

    rows = await fetch_recordings(services, user.id)
    assert len(rows) == 1
    row = rows[0]
    assert row["status"] == "done"
    assert row["chat_id"] == user.id
    assert row["transcription_model"] == "whisper-1"
    assert row["notified_at"] is not None
    key = parse_audio_key(row["object_key"])
    assert key.user_id == user.id
    assert key.extension == "ogg"

    store = MinioObjectStore(services.reactor_settings.minio)
    info = await store.stat(store.audio_bucket, row["object_key"])
    assert info.size == len(audio)
    assert info.content_type == "audio/ogg"
    meta = RecordingMetadata.from_user_metadata(info.metadata)
    assert (meta.user_id, meta.chat_id, meta.duration_seconds) == (user.id, user.id, 1)

    stored = json.loads(await store.get_bytes(store.results_bucket, result_key(user.id, row["id"])))
    assert stored["transcript"]["text"] == row["transcript_text"]
    assert stored["object_key"] == row["object_key"]

    # The request to the transcription API carried a .ogg name, never .oga.
    request = next(r for r in services.openai.transcription_requests if r.sha256 == digest)
    assert request.filename.endswith(".ogg")

    await wait_idle(services.reactor_settings)


async def test_duplicate_event_gives_one_reply_and_one_row(services: RunningServices) -> None:
    user = new_user("en")
    audio = ogg_opus(0.5, frequency=330.0)
    await send_voice_and_wait(services, user, audio)
    await wait_idle(services.reactor_settings)

    # MinIO sets no Nats-Msg-Id and may send an event again: replay the very same payload.
    nc = await nats.connect(services.reactor_settings.nats.url)
    try:
        js = nc.jetstream()
        names = services.reactor_settings.streams
        payloads = await _events_for_user(js, names.events_stream, user.id)
        assert len(payloads) == 1, payloads
        await js.publish(names.events_subject, payloads[0])
        await js.publish(names.events_subject, payloads[0])
    finally:
        await nc.close()
    await wait_idle(services.reactor_settings)
    await asyncio.sleep(1.0)  # a second reply, if there were one, would arrive now

    assert len(transcript_messages(services, user.id)) == 1
    assert len(await fetch_recordings(services, user.id)) == 1
    openai_calls = [
        r
        for r in services.openai.transcription_requests
        if r.sha256 == hashlib.sha256(audio).hexdigest()
    ]
    assert len(openai_calls) == 1


async def _events_for_user(js: nats.js.JetStreamContext, stream: str, user_id: int) -> list[bytes]:
    """The raw MinIO payloads in the stream for this user's objects."""
    info = await js.stream_info(stream)
    found = []
    for seq in range(info.state.first_seq, info.state.last_seq + 1):
        try:
            msg = await js.get_msg(stream, seq)
        except nats.js.errors.NotFoundError:
            continue
        assert msg.data is not None
        event = json.loads(msg.data)
        if event.get("EventName", "").startswith("s3:ObjectCreated") and event["Key"].split("/", 1)[
            1
        ].startswith(f"audio/{user_id}/"):
            found.append(msg.data)
    return found


@pytest.fixture(autouse=True)
def _no_injected_faults(services: RunningServices) -> None:
    services.openai.reset()
