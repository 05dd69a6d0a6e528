"""The live MinIO stand-in refuses what MinIO refuses, through the real ``minio`` SDK, and can
deliver events the way MinIO's ``queue_dir`` does: seconds after the upload was answered."""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from collections.abc import AsyncIterator, Iterator

import nats
import pytest
from minio import Minio
from minio.commonconfig import ENABLED, Filter
from minio.error import S3Error
from minio.lifecycleconfig import AbortIncompleteMultipartUpload, Expiration, LifecycleConfig, Rule
from minio.notificationconfig import NotificationConfig, PrefixFilterRule, QueueConfig
from nats.js import JetStreamContext

from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.localstack.minio_standin import MinioStandin
from voxpersona.localstack.nats import NatsServer
from voxpersona.storage.bucket_config import NATS_TARGET_ARN

DELAY = 1.5


@pytest.fixture(scope="module")
def nats_server() -> Iterator[NatsServer]:
    with NatsServer() as server:
        yield server


@pytest.fixture(scope="module")
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_server.url)
    yield nc.jetstream()
    await nc.close()


async def _standin(
    nats_server: NatsServer, js: JetStreamContext, delay: float
) -> tuple[MinioStandin, str]:
    subject = f"vp.test.refusals.{uuid.uuid4().hex}"
    stream = f"VP_REFUSALS_{uuid.uuid4().hex[:8]}"
    await js.add_stream(name=stream, subjects=[subject])
    standin = MinioStandin(nats_url=nats_server.url, subject=subject, event_delay=delay)
    await standin.start()
    return standin, stream


@pytest.fixture(scope="module")
async def standin(nats_server: NatsServer, js: JetStreamContext) -> AsyncIterator[MinioStandin]:
    running, _ = await _standin(nats_server, js, 0.0)
    yield running
    await running.close()


def _client(standin: MinioStandin) -> Minio:
    return Minio(standin.endpoint, standin.access_key, standin.secret_key, secure=False)


async def _bucket(client: Minio) -> str:
    name = f"vp-{uuid.uuid4().hex[:16]}"
    await asyncio.to_thread(client.make_bucket, name)
    return name


async def _subscribe(client: Minio, bucket: str, arn: str = NATS_TARGET_ARN) -> None:
    rule = QueueConfig(
        queue=arn, events=["s3:ObjectCreated:*"], prefix_filter_rule=PrefixFilterRule("audio/")
    )
    config = NotificationConfig(queue_config_list=[rule])
    await asyncio.to_thread(client.set_bucket_notification, bucket, config)


async def test_lower_case_target_arn_is_refused(standin: MinioStandin) -> None:
    client = _client(standin)
    bucket = await _bucket(client)
    with pytest.raises(S3Error) as caught:
        await _subscribe(client, bucket, "arn:minio:sqs::primary:nats")
    assert caught.value.code == "InvalidArgument"
    assert "A specified destination ARN does not exist" in str(caught.value)
    assert standin.nats_target_arn == NATS_TARGET_ARN
    await _subscribe(client, bucket, standin.nats_target_arn)  # PRIMARY, as in compose


async def test_metadata_over_2_kib_is_refused_and_the_budget_fits(standin: MinioStandin) -> None:
    client = _client(standin)
    bucket = await _bucket(client)
    data = b"OggS" + bytes(100)
    too_much = {"x-amz-meta-notes": "%D0%96" * 400}  # 2400 bytes of percent-encoded Cyrillic
    with pytest.raises(S3Error) as caught:
        await asyncio.to_thread(
            client.put_object,
            bucket,
            "audio/1/a.ogg",
            io.BytesIO(data),
            len(data),
            metadata=too_much,
        )
    assert (caught.value.code, caught.value.response.status) == ("MetadataTooLarge", 400)
    assert str(caught.value.message) == (
        "Your metadata headers exceed the maximum allowed metadata size."
    )
    worst = RecordingMetadata(
        user_id=1,
        chat_id=1,
        original_name="я" * 200 + ".ogg",
        title="😀" * 1024,
        notes="ж" * 1024,
    )
    await asyncio.to_thread(
        client.put_object,
        bucket,
        "audio/1/b.ogg",
        io.BytesIO(data),
        len(data),
        metadata=worst.to_headers(),
    )
    stat = await asyncio.to_thread(client.stat_object, bucket, "audio/1/b.ogg")
    assert RecordingMetadata.from_user_metadata(dict(stat.metadata)).user_id == 1


async def test_lifecycle_abort_is_dropped_or_refused_as_by_minio(standin: MinioStandin) -> None:
    client = _client(standin)
    bucket = await _bucket(client)
    expire = Rule(
        ENABLED,
        rule_filter=Filter(prefix="audio/"),
        rule_id="expire-audio",
        expiration=Expiration(days=30),
        abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(1),
    )
    await asyncio.to_thread(client.set_bucket_lifecycle, bucket, LifecycleConfig([expire]))
    kept = await asyncio.to_thread(client.get_bucket_lifecycle, bucket)
    assert kept is not None
    (rule,) = kept.rules
    assert rule.expiration is not None
    assert rule.expiration.days == 30
    assert rule.abort_incomplete_multipart_upload is None  # dropped, as MinIO's Rule does

    only_abort = Rule(
        ENABLED,
        rule_filter=Filter(prefix=""),
        rule_id="abort",
        abort_incomplete_multipart_upload=AbortIncompleteMultipartUpload(1),
    )
    with pytest.raises(S3Error) as caught:
        await asyncio.to_thread(client.set_bucket_lifecycle, bucket, LifecycleConfig([only_abort]))
    assert caught.value.code == "InvalidArgument"
    assert "not well-formed" in str(caught.value.message)


async def test_async_mode_answers_first_and_publishes_seconds_later(
    nats_server: NatsServer, js: JetStreamContext
) -> None:
    standin, stream = await _standin(nats_server, js, DELAY)
    try:
        client = _client(standin)
        bucket = await _bucket(client)
        await _subscribe(client, bucket)
        keys = [f"audio/1/{n}.ogg" for n in range(3)]
        started = time.monotonic()
        for key in keys:
            await asyncio.to_thread(client.put_object, bucket, key, io.BytesIO(b"x"), 1)
        answered = time.monotonic()
        # Answered, but not yet published: the events wait their delay.
        assert (await js.stream_info(stream)).state.messages == 0
        assert standin.pending_events == 3
        deadline = time.monotonic() + 30
        while (await js.stream_info(stream)).state.messages < 3:
            assert time.monotonic() < deadline, "events never arrived"
            await asyncio.sleep(0.1)
        arrived = time.monotonic()
        assert arrived - started >= DELAY
        assert answered - started < arrived - started
        published = [
            json.loads((await js.get_msg(stream, seq)).data or b"")["Key"] for seq in (1, 2, 3)
        ]
        assert published == [f"{bucket}/{key}" for key in keys]  # in order
    finally:
        await standin.close()
