"""Result delivery under faults, end to end on the local stack: a long Telegram outage, a group
upgraded to a supergroup, PostgreSQL stopped mid-delivery. Each: the user has the transcript
exactly once afterwards, and the bot keeps running (the session fixture checks)."""

from __future__ import annotations

import asyncio
import itertools
import os
from datetime import UTC, datetime

import asyncpg
import nats
import pytest

from tests.audio import ogg_opus
from tests.bot_chat import has_text, texts, transcript_count
from tests.cli import run_voxpersona
from tests.reactor_harness import upload, wait_row
from tests.services import RunningServices
from voxpersona.contracts.keys import new_audio_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.contracts.results import ResultMessage
from voxpersona.localstack.fake_telegram import FakeChat, FakeUser
from voxpersona.localstack.stack import LocalStack
from voxpersona.storage import MinioObjectStore

# The must-show outage is three minutes; a shorter one can be chosen for a quick local run.
OUTAGE_SECONDS = float(os.environ.get("VOXPERSONA_TEST_TELEGRAM_OUTAGE_SECONDS", "180"))
_ids = itertools.count(740_000_001 + (os.getpid() % 1000) * 10_000)


def _user(services: RunningServices) -> FakeUser:
    user = FakeUser(id=next(_ids), first_name="Вера", language_code="ru")
    services.telegram.add_chat(user)
    return user


def _dsn(services: RunningServices) -> str:
    return services.reactor_settings.database.url.get_secret_value()


async def _bots_idle(services: RunningServices) -> None:
    """Until the bots have settled every result published so far."""
    names = services.bot_settings.streams
    nc = await nats.connect(services.stack.nats_settings().url)
    try:
        js = nc.jetstream()
        async with asyncio.timeout(60):
            while True:
                info = await js.consumer_info(names.results_stream, names.bot_durable)
                if info.num_pending == 0 and info.num_ack_pending == 0:
                    return
                await asyncio.sleep(0.1)
    finally:
        await nc.close()


async def _stays_once(services: RunningServices, chat_id: int, seconds: float = 3.0) -> None:
    """Exactly one transcript now, and still one a little later (no late duplicate)."""
    await services.telegram.wait_for(lambda: transcript_count(services.telegram, chat_id) >= 1)
    await asyncio.sleep(seconds)
    assert transcript_count(services.telegram, chat_id) == 1, texts(services.telegram, chat_id)


@pytest.mark.timeout(OUTAGE_SECONDS + 300)
async def test_telegram_answering_502_for_minutes_then_the_transcript_arrives_once(
    services: RunningServices,
) -> None:
    telegram = services.telegram
    user = _user(services)
    await _bots_idle(services)
    telegram.inject_error(
        "sendMessage", status=502, description="Bad Gateway", times=1_000_000, chat_id=user.id
    )
    try:
        key = await upload(services.stack.minio_settings(), user, ogg_opus(0.3, frequency=910.0))
        await wait_row(_dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
        await asyncio.sleep(OUTAGE_SECONDS)
        refused = [c for c in telegram.rejected if c.chat_id == user.id]
        assert len(refused) >= 2  # the bot kept trying through the outage
        assert transcript_count(telegram, user.id) == 0
    finally:
        telegram.clear_errors("sendMessage")
    # Backoff is capped (60 s by default): the first try after the outage succeeds by then.
    await telegram.wait_for(lambda: transcript_count(telegram, user.id) >= 1, timeout=150)
    await _stays_once(services, user.id)


async def test_a_group_upgraded_to_a_supergroup_gets_its_result_and_its_chat_id_moves(
    services: RunningServices,
) -> None:
    telegram = services.telegram
    user = _user(services)
    group = FakeChat(id=-(next(_ids)), title="Planning")
    telegram.add_chat(group)
    minio = services.stack.minio_settings()
    key = str(new_audio_key(user.id, "ogg", now=datetime.now(UTC)))
    meta = RecordingMetadata(user_id=user.id, chat_id=group.id, interface_language="ru")  # type: ignore[call-arg]
    conn = await asyncpg.connect(_dsn(services))
    try:
        await conn.execute(
            "INSERT INTO bot_uploads (object_key, user_id, chat_id) VALUES ($1, $2, $3)",
            key,
            user.id,
            group.id,
        )
        # The group is upgraded before the result is sent: Telegram answers the old id with
        # the new one (``migrate_to_chat_id``).
        supergroup = telegram.upgrade_group(group)
        store = MinioObjectStore(minio)
        await store.put_bytes(
            store.audio_bucket,
            key,
            ogg_opus(0.3, frequency=920.0),
            content_type="audio/ogg",
            metadata=meta.to_headers(),
        )
        await _stays_once(services, supergroup.id)
        assert transcript_count(telegram, group.id) == 0
        upload_chat = await conn.fetchval(
            "SELECT chat_id FROM bot_uploads WHERE object_key = $1", key
        )
        recording_chat = await conn.fetchval(
            "SELECT chat_id FROM recordings WHERE object_key = $1", key
        )
    finally:
        await conn.close()
    assert upload_chat == recording_chat == supergroup.id
    assert any("upgraded to a supergroup" in (c.error or "") for c in telegram.rejected)


async def test_postgres_stopped_during_delivery_then_the_transcript_arrives_once(
    services: RunningServices,
) -> None:
    stack = services.stack
    if not isinstance(stack, LocalStack):
        pytest.skip("stopping PostgreSQL needs the local stack")
    telegram = services.telegram
    user = _user(services)
    telegram.set_latency("sendMessage", 3.0)  # the send is in flight when PostgreSQL goes
    try:
        key = await upload(stack.minio_settings(), user, ogg_opus(0.3, frequency=930.0))
        await wait_row(_dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
        await asyncio.to_thread(stack.postgres.stop)
        try:
            await asyncio.sleep(6.0)
        finally:
            await asyncio.to_thread(stack.postgres.start)
    finally:
        telegram.set_latency("sendMessage", 0.0)
    await telegram.wait_for(lambda: transcript_count(telegram, user.id) >= 1, timeout=90)
    await _stays_once(services, user.id, seconds=5.0)


async def _dlq(services: RunningServices, *args: str) -> str:
    code, output = await run_voxpersona(
        "dlq",
        *args,
        env={"NATS_URL": services.stack.nats_settings().url},
        drop=("NATS_", "DATABASE_"),
    )
    assert code == 0, output
    return output


async def test_a_result_telegram_refuses_is_dead_lettered_the_user_told_and_requeued(
    services: RunningServices,
) -> None:
    telegram = services.telegram
    user = _user(services)
    await _bots_idle(services)
    # A request Telegram will never accept (a bug on our side): kept for an operator.
    telegram.inject_error(
        "sendMessage", status=400, description="Bad Request: can't parse entities"
    )
    key = await upload(services.stack.minio_settings(), user, ogg_opus(0.3, frequency=950.0))
    row = await wait_row(_dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
    await telegram.wait_for(lambda: has_text(telegram, user.id, "Не получилось отправить"), 30)
    listed = [
        line for line in (await _dlq(services, "list")).splitlines() if str(row["id"]) in line
    ]
    assert len(listed) == 1
    assert "\ttelegram_bad_request\t" in listed[0]
    assert transcript_count(telegram, user.id) == 0
    letter = listed[0].split("\t")[0]
    assert f"requeued 1: {letter}" in await _dlq(services, "requeue", letter)
    await _stays_once(services, user.id)


async def test_a_result_published_again_beyond_the_dedup_window_is_not_sent_twice(
    services: RunningServices,
) -> None:
    user = _user(services)
    key = await upload(services.stack.minio_settings(), user, ogg_opus(0.3, frequency=960.0))
    await wait_row(_dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
    await _stays_once(services, user.id, seconds=1.0)
    names = services.bot_settings.streams
    nc = await nats.connect(services.stack.nats_settings().url)
    try:
        js = nc.jetstream()
        original = await js.get_last_msg(names.results_stream, names.results_subject)
        result = ResultMessage.model_validate_json(original.data or b"")
        assert result.chat_id == user.id
        # The same result again under another id: what JetStream's window no longer catches.
        await js.publish(
            names.results_subject, original.data or b"", headers={"Nats-Msg-Id": "late-copy"}
        )
    finally:
        await nc.close()
    await _bots_idle(services)  # the copy is settled
    await _stays_once(services, user.id)
