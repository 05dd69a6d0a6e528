"""Nothing twice, nothing resurrected, on the real local stack: one lease per delivery, deletion
while a recording is processed, the same Telegram file twice, forced reruns of expired audio,
commands on a reactor without analysis, and the schema upgrade of a database in the field.
Transcriptions are counted on a fake OpenAI of each test's own."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import nats
import pytest
import pytest_asyncio
from nats.js import JetStreamContext

from bot.reanalysis import Reanalysis
from bot.repos.library import Library
from reactor.app import build_analysis, build_transcriber, transcribe_options
from reactor.commands import (
    RecordingUnknownError,
    command_owner,
    fail_exhausted_command,
    handle_command,
)
from reactor.dead_letters import HEADER_FORCE
from reactor.pipeline import Outcome, PipelineDeps, fail_exhausted, handle_event
from reactor.recording_input import new_recording
from reactor.results import ResultPublisher
from reactor.transcription import Transcript
from reactor.transcription.base import ProgressCallback
from tests.audio import ogg_opus
from tests.reactor_harness import (
    dsn,
    fresh_audio_bucket,
    new_user,
    reactor_settings,
    rows_for,
    running_reactor,
    upload,
    wait_idle,
    wait_row,
)
from tests.services import OPENAI_TEST_KEY, RunningServices
from tests.stacks import Stack
from voxpersona.contracts.commands import (
    ChooseScenarioCommand,
    ReanalyseCommand,
    command_id_for,
    encode_command,
)
from voxpersona.contracts.events import parse_notification
from voxpersona.contracts.keys import result_key
from voxpersona.contracts.subjects import StreamNames
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.recordings import Recordings, recording_id_for
from voxpersona.recordings.schema import current_version, load_migrations, migrate
from voxpersona.settings import MinioSettings, ReactorSettings
from voxpersona.storage import MinioObjectStore

# A recording no reactor knows: the command is published, then dropped by the reactor.
RID_UNKNOWN = uuid.UUID("00000000-0000-4000-8000-00000000c0de")


@pytest_asyncio.fixture(loop_scope="session")
async def openai_double() -> AsyncIterator[FakeOpenAI]:
    async with FakeOpenAI(api_key=OPENAI_TEST_KEY) as server:
        yield server


@pytest_asyncio.fixture(loop_scope="session")
async def js(services: RunningServices) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(services.reactor_settings.nats.url)
    try:
        yield nc.jetstream()
    finally:
        await nc.close()


def group(services: RunningServices, minio: MinioSettings, fake: FakeOpenAI) -> ReactorSettings:
    """A reactor group of its own, several events at once, no analysis (transcripts only)."""
    return reactor_settings(
        services, minio, openai=fake, reactor_concurrency=4, analysis_enabled=False
    )


async def stored_event(js: JetStreamContext, names: StreamNames, key: str) -> bytes:
    """The MinIO event of ``key`` as the stream holds it (to deliver it once more)."""
    async with asyncio.timeout(15):
        while True:
            msg = await js.get_last_msg(names.events_stream, names.events_subject)
            data = msg.data or b""
            if parse_notification(data).key == key:
                return data
            await asyncio.sleep(0.1)


async def test_two_copies_of_one_event_are_transcribed_once(
    services: RunningServices, openai_double: FakeOpenAI, js: JetStreamContext
) -> None:
    openai_double.set_latency("transcriptions", 1.5)
    minio = await fresh_audio_bucket(services.stack)
    settings = group(services, minio, openai_double)
    user = new_user(services)
    key = await upload(minio, user, ogg_opus(0.5, frequency=310.0))
    # MinIO delivering the same event twice: both copies wait in the stream, fetched together.
    await js.publish(settings.streams.events_subject, await stored_event(js, settings.streams, key))

    async with running_reactor(settings):
        row = await wait_row(dsn(services), key, until="status = 'done'", timeout=60)
        await wait_idle(settings, timeout=60)

    assert len(openai_double.transcription_requests) == 1
    assert row["attempts"] == 1


async def test_delete_all_while_processing_stops_it_and_a_redelivery_does_not_recreate_it(
    services: RunningServices, openai_double: FakeOpenAI, js: JetStreamContext
) -> None:
    openai_double.set_latency("transcriptions", 3.0)
    minio = await fresh_audio_bucket(services.stack)
    settings = group(services, minio, openai_double)
    user = new_user(services)
    key = await upload(minio, user, ogg_opus(0.5, frequency=330.0))
    event = await stored_event(js, settings.streams, key)
    etag = parse_notification(event).etag
    assert etag is not None
    pool = await asyncpg.create_pool(dsn(services), min_size=1, max_size=2)
    try:
        async with running_reactor(settings):
            await wait_row(dsn(services), key, until="lease_until > now()", timeout=30)
            # What the bot's /delete_all does to the rows (it then removes the objects).
            assert await Library(pool).delete_all(user.id) == (1, 1)
            await wait_idle(settings, timeout=60)
            # An event still in flight (MinIO's duplicate, a redelivery) arrives afterwards.
            await js.publish(settings.streams.events_subject, event)
            await asyncio.sleep(1.0)
            await wait_idle(settings, timeout=60)
    finally:
        await pool.close()

    assert await rows_for(dsn(services), key) == []
    assert len(openai_double.transcription_requests) == 1
    store = MinioObjectStore(minio)
    document = result_key(user.id, recording_id_for(minio.audio_bucket_name, key, etag))
    assert [o for o in await store.list_objects(store.results_bucket, document)] == []
    await asyncio.sleep(1.0)
    assert services.telegram.messages_to(user.id) == []


async def test_a_deleted_recording_is_not_recreated_by_a_redelivered_event(
    services: RunningServices, openai_double: FakeOpenAI, js: JetStreamContext
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = group(services, minio, openai_double)
    user = new_user(services)
    key = await upload(minio, user, ogg_opus(0.4, frequency=350.0))
    event = await stored_event(js, settings.streams, key)
    pool = await asyncpg.create_pool(dsn(services), min_size=1, max_size=2)
    try:
        async with running_reactor(settings):
            row = await wait_row(dsn(services), key, timeout=60)
            await wait_idle(settings, timeout=60)
            assert await Library(pool).delete(user.id, row["id"])
            await js.publish(settings.streams.events_subject, event)
            await asyncio.sleep(1.0)
            await wait_idle(settings, timeout=60)
    finally:
        await pool.close()

    assert await rows_for(dsn(services), key) == []
    assert len(openai_double.transcription_requests) == 1


async def test_the_same_telegram_file_twice_while_the_first_runs_is_transcribed_once(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    openai_double.set_latency("transcriptions", 2.0)
    minio = await fresh_audio_bucket(services.stack)
    settings = group(services, minio, openai_double)
    user = new_user(services)
    audio = ogg_opus(0.5, frequency=370.0)
    file_id = f"AgAD{uuid.uuid4().hex[:12]}"
    # A resend: the same file in a second message.
    first = await upload(minio, user, audio, file_unique_id=file_id, message_id=101)
    second = await upload(minio, user, audio, file_unique_id=file_id, message_id=102)

    async with running_reactor(settings):
        one = await wait_row(dsn(services), first, until="status = 'done'", timeout=60)
        two = await wait_row(dsn(services), second, until="status = 'done'", timeout=60)
        await wait_idle(settings, timeout=60)

    assert len(openai_double.transcription_requests) == 1
    assert one["transcript_text"] == two["transcript_text"]
    assert one["transcript_text"]


async def test_the_same_telegram_message_stored_twice_is_transcribed_and_announced_once(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    """An update redelivered after a bot crash: the bot stores the same message's file again."""
    openai_double.set_latency("transcriptions", 1.0)
    minio = await fresh_audio_bucket(services.stack)
    settings = group(services, minio, openai_double)
    user = new_user(services)
    audio = ogg_opus(0.5, frequency=390.0)
    file_id = f"AgAD{uuid.uuid4().hex[:12]}"
    first = await upload(minio, user, audio, file_unique_id=file_id, message_id=201)
    second = await upload(minio, user, audio, file_unique_id=file_id, message_id=201)

    async with running_reactor(settings):
        await wait_row(dsn(services), first, until="notified_at IS NOT NULL", timeout=60)
        await wait_row(dsn(services), second, until="notified_at IS NOT NULL", timeout=60)
        await wait_idle(settings, timeout=60)

    assert len(openai_double.transcription_requests) == 1
    async with asyncio.timeout(30):
        while not services.telegram.messages_to(user.id):  # noqa: ASYNC110 (a fake's list)
            await asyncio.sleep(0.1)
    await asyncio.sleep(2.0)  # a second message, if one were owed, would be out by now
    transcripts = [
        m for m in services.telegram.messages_to(user.id) if (m.text or "").startswith("📝")
    ]
    assert len(transcripts) == 1


async def test_a_forced_rerun_never_destroys_a_transcript_whose_audio_is_gone(
    services: RunningServices, openai_double: FakeOpenAI, js: JetStreamContext
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = group(services, minio, openai_double)
    user = new_user(services)
    key = await upload(minio, user, ogg_opus(0.4, frequency=410.0))
    event = await stored_event(js, settings.streams, key)
    store = MinioObjectStore(minio)

    async with running_reactor(settings):
        done = await wait_row(dsn(services), key, timeout=60)
        await store.delete(store.audio_bucket, key)  # expired or deleted: the audio is gone
        await wait_row(dsn(services), key, until="audio_state <> 'present'", timeout=30)
        await js.publish(
            settings.streams.events_subject, event, headers={HEADER_FORCE: "replay-run1-x"}
        )
        await asyncio.sleep(1.0)
        await wait_idle(settings, timeout=60)
        after = await wait_row(dsn(services), key, until="true")

    assert done["status"] == after["status"] == "done"
    assert after["transcript_text"] == done["transcript_text"]
    assert len(openai_double.transcription_requests) == 1


async def test_a_reactor_without_analysis_does_not_leave_a_rerun_pending(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = group(services, minio, openai_double)
    user = new_user(services)
    key = await upload(minio, user, ogg_opus(0.4, frequency=430.0))
    async with running_reactor(settings):
        row = await wait_row(dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
        await wait_idle(settings, timeout=60)
    pool = await asyncpg.create_pool(dsn(services), min_size=1, max_size=2)
    nc = await nats.connect(settings.nats.url)
    try:
        deps = PipelineDeps(
            store=MinioObjectStore(minio),
            recordings=Recordings(pool),
            transcriber=build_transcriber(settings),
            publisher=ResultPublisher(nc.jetstream(), settings.streams.results_subject),
            owner="analysis-off-test",
            lease=timedelta(seconds=10),
            transcribe_options=transcribe_options(settings),
            analysis=None,
        )
        command = ReanalyseCommand(
            command_id=command_id_for(uuid.uuid4().hex),
            user_id=user.id,
            interface_language="ru",
            recording_id=row["id"],
            scenario="meeting",
        )

        async def beat() -> None:
            return None

        outcome = await handle_command(encode_command(command), deps, beat, lease_owner="t/1")
        again = await handle_command(encode_command(command), deps, beat, lease_owner="t/2")
    finally:
        await nc.close()
        await pool.close()

    after = await wait_row(dsn(services), key, until="true")
    assert outcome is Outcome.DONE
    assert again is Outcome.DUPLICATE  # the same command redelivered: applied once
    assert after["analysis_status"] == "failed"
    assert after["analysis_code"] == "analysis_unavailable"
    assert after["lease_until"] is None
    assert after["analysis_notified_at"] is not None


async def test_migrations_upgrade_a_database_already_at_0004(stack: Stack) -> None:
    admin_dsn = stack.database_settings().url.get_secret_value()
    name = f"vp_upgrade_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    conn = await asyncpg.connect(urlunsplit(urlsplit(admin_dsn)._replace(path=f"/{name}")))
    try:
        # The database as the field has it: 0001..0004 applied by an earlier release.
        await conn.execute(
            "CREATE TABLE schema_migrations (version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        for migration in load_migrations()[:4]:
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations VALUES ($1, $2)", migration.version, migration.name
            )
        rid = uuid.uuid4()
        await conn.execute(
            "INSERT INTO recordings (id, bucket, object_key, etag, user_id, chat_id, status,"
            " transcript_text) VALUES ($1, 'b', 'audio/1/k.ogg', 'e', 1, 1, 'done', 'привет')",
            rid,
        )

        applied = await migrate(conn)

        assert applied == [m.version for m in load_migrations()[4:]]
        assert await current_version(conn) == load_migrations()[-1].version
        row = await conn.fetchrow(
            "SELECT transcript_text, file_unique_id, twin_of FROM recordings WHERE id = $1", rid
        )
        assert row is not None
        assert (row["transcript_text"], row["file_unique_id"], row["twin_of"]) == (
            "привет",
            None,
            None,
        )
        assert await conn.fetchval("SELECT count(*) FROM recording_tombstones") == 0
        assert await migrate(conn) == []
    finally:
        await conn.close()
        await admin.execute(f'DROP DATABASE "{name}"')
        await admin.close()


class BrokenTranscriber:
    """A transcriber with a bug: an exception no error class names."""

    engine = "broken"
    model = "broken-1"

    def __init__(self) -> None:
        self.calls = 0

    async def transcribe(
        self,
        path: Path,
        *,
        filename: str,
        language: str | None,
        progress: ProgressCallback | None = None,
    ) -> Transcript:
        self.calls += 1
        raise RuntimeError("a bug in the transcriber")


async def test_an_unexpected_error_hands_the_lease_back_and_exhaustion_knows_its_own_lease(
    services: RunningServices, js: JetStreamContext
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    user = new_user(services)
    key = await upload(minio, user, ogg_opus(0.3, frequency=450.0))
    event = await stored_event(js, services.reactor_settings.streams, key)
    settings = services.reactor_settings
    pool = await asyncpg.create_pool(dsn(services), min_size=1, max_size=2)
    nc = await nats.connect(settings.nats.url)
    broken = BrokenTranscriber()
    deps = PipelineDeps(
        store=MinioObjectStore(minio),
        recordings=Recordings(pool),
        transcriber=broken,
        publisher=ResultPublisher(nc.jetstream(), settings.streams.results_subject),
        owner="bug-test",
        lease=timedelta(seconds=60),
        transcribe_options=transcribe_options(settings),
    )

    async def beat() -> None:
        return None

    try:
        with pytest.raises(RuntimeError):
            await handle_event(event, deps, beat, lease_owner="bug-test/7.1")
        handed_back = await wait_row(dsn(services), key, until="true")
        # The next delivery may start at once: no lease left behind for it to wait out.
        with pytest.raises(RuntimeError):
            await handle_event(event, deps, beat, lease_owner="bug-test/7.2")
        # The last delivery's own lease is still held (its hand-back failed, say): the
        # dead-letter bookkeeping must not take it for another reactor's.
        new = new_recording(parse_notification(event))
        claim = await deps.recordings.claim(new, owner="bug-test/7.3", lease=timedelta(minutes=5))
        assert claim.acquired
        await fail_exhausted(
            event, deps, code="retries_exhausted", reason="gave up", lease_owner="bug-test/7.3"
        )
    finally:
        await nc.close()
        await pool.close()

    after = await wait_row(dsn(services), key, until="true")
    assert handed_back["status"] == "processing"
    assert handed_back["lease_until"] is None
    assert broken.calls == 2
    assert after["status"] == "failed"
    assert after["failure_code"] == "retries_exhausted"
    assert after["notified_at"] is not None


async def test_a_command_that_exhausts_its_deliveries_does_not_leave_its_analysis_pending(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    minio = await fresh_audio_bucket(services.stack)
    settings = group(services, minio, openai_double)
    user = new_user(services)
    key = await upload(minio, user, ogg_opus(0.4, frequency=470.0))
    async with running_reactor(settings):
        row = await wait_row(dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
        await wait_idle(settings, timeout=60)
    command = ReanalyseCommand(
        command_id=command_id_for(uuid.uuid4().hex),
        user_id=user.id,
        interface_language="en",
        recording_id=row["id"],
        scenario="summary",
    )
    pool = await asyncpg.create_pool(dsn(services), min_size=1, max_size=2)
    nc = await nats.connect(settings.nats.url)
    try:
        deps = PipelineDeps(
            store=MinioObjectStore(minio),
            recordings=Recordings(pool),
            transcriber=BrokenTranscriber(),
            publisher=ResultPublisher(nc.jetstream(), settings.streams.results_subject),
            owner="exhausted-command-test",
            lease=timedelta(minutes=5),
            transcribe_options=transcribe_options(settings),
        )
        # The last delivery took the re-analysis and crashed holding its lease.
        last = command_owner("exhausted-command-test/3.5")
        claim = await deps.recordings.claim_rerun(
            row["id"],
            user_id=user.id,
            scenario="summary",
            token=f"cmd-{command.command_id}",
            owner=last,
            lease=timedelta(minutes=5),
        )
        assert claim.acquired
        await fail_exhausted_command(
            encode_command(command), deps, code="retries_exhausted", reason="x", lease_owner=last
        )
    finally:
        await nc.close()
        await pool.close()

    after = await wait_row(dsn(services), key, until="true")
    assert after["analysis_status"] == "failed"
    assert after["analysis_code"] == "analysis_retries_exhausted"
    assert after["analysis_notified_at"] is not None


async def test_a_request_handled_twice_publishes_one_command(
    services: RunningServices, js: JetStreamContext
) -> None:
    """A Telegram update redelivered after a bot crash presses the same button twice: one
    command, by its idempotency key."""
    names = services.reactor_settings.streams
    nc = await nats.connect(services.reactor_settings.nats.url)
    try:
        bot_side = Reanalysis(nc, nc.jetstream(), names.commands_subject)
        before = (await js.stream_info(names.commands_stream)).state.last_seq
        callback = f"callback-{uuid.uuid4().hex}"
        for _ in range(2):
            await bot_side.request(
                RID_UNKNOWN,
                user_id=1,
                scenario="summary",
                interface_language="en",
                idempotency_key=callback,
            )
        after = (await js.stream_info(names.commands_stream)).state.last_seq
    finally:
        await nc.close()
    assert after - before == 1


async def test_a_scenario_chosen_later_is_a_command_the_reactor_applies_once(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    """Chosen after the transcript: a re-analysis, once per command; for an upload no reactor
    has recorded yet: retried later; for a deleted recording: dropped."""
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai_double)
    user = new_user(services, "en")
    key = await upload(minio, user, ogg_opus(0.4, frequency=490.0), scenario="none")
    async with running_reactor(settings):
        row = await wait_row(dsn(services), key, until="notified_at IS NOT NULL", timeout=60)
        await wait_idle(settings, timeout=60)
    assert row["analysis_status"] == "none"
    pool = await asyncpg.create_pool(dsn(services), min_size=1, max_size=2)
    nc = await nats.connect(settings.nats.url)

    def choose(object_key: str) -> bytes:
        return encode_command(
            ChooseScenarioCommand(
                command_id=command_id_for(f"choose-{object_key}"),
                user_id=user.id,
                interface_language="en",
                object_key=object_key,
                scenario="audit",
            )
        )

    async def beat() -> None:
        return None

    try:
        deps = PipelineDeps(
            store=MinioObjectStore(minio),
            recordings=Recordings(pool),
            transcriber=BrokenTranscriber(),
            publisher=ResultPublisher(nc.jetstream(), settings.streams.results_subject),
            owner="choose-test",
            lease=timedelta(seconds=30),
            transcribe_options=transcribe_options(settings),
            analysis=build_analysis(settings),
        )
        first = await handle_command(choose(key), deps, beat, lease_owner="c/1")
        again = await handle_command(choose(key), deps, beat, lease_owner="c/2")
        with pytest.raises(RecordingUnknownError):
            await handle_command(choose(f"{key}.unknown"), deps, beat, lease_owner="c/3")
        assert await Library(pool).delete(user.id, row["id"])
        gone = await handle_command(choose(key), deps, beat, lease_owner="c/4")
    finally:
        await nc.close()
        await pool.close()

    assert (first, again, gone) == (Outcome.DONE, Outcome.DUPLICATE, Outcome.DELETED)
    assert len(openai_double.chat_requests) > 0


async def test_the_same_file_twice_with_another_scenario_is_transcribed_once_analysed_twice(
    services: RunningServices, openai_double: FakeOpenAI
) -> None:
    openai_double.set_latency("transcriptions", 1.5)
    minio = await fresh_audio_bucket(services.stack)
    settings = reactor_settings(services, minio, openai=openai_double, reactor_concurrency=4)
    user = new_user(services)
    audio = ogg_opus(0.5, frequency=510.0)
    file_id = f"AgAD{uuid.uuid4().hex[:12]}"
    first = await upload(minio, user, audio, file_unique_id=file_id, message_id=301)
    second = await upload(
        minio, user, audio, file_unique_id=file_id, message_id=302, scenario="audit"
    )

    async with running_reactor(settings):
        done = "status = 'done' AND analysis_status = 'done' AND notified_at IS NOT NULL"
        one = await wait_row(dsn(services), first, until=done, timeout=60)
        two = await wait_row(dsn(services), second, until=done, timeout=60)
        await wait_idle(settings, timeout=60)

    assert len(openai_double.transcription_requests) == 1
    assert one["transcript_text"] == two["transcript_text"]
    # The second asked for another analysis: its own ran, the first one's was not copied.
    assert (one["scenario"], two["scenario"]) == ("summary", "audit")
