"""The MinIO notifier stand-in against the real ``minio`` SDK and a real nats-server.

The stand-in must never create a stream, so the tests create one on its subject. Each test
works in a fresh bucket and reads back only that bucket's events from the stream.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import logging
import os
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import aiohttp
import nats
import pytest
import urllib3
from minio import Minio
from minio.commonconfig import CopySource, Tags
from minio.deleteobjects import DeleteObject
from minio.error import S3Error, ServerError
from minio.notificationconfig import (
    NotificationConfig,
    PrefixFilterRule,
    QueueConfig,
    SuffixFilterRule,
)
from nats.js import JetStreamContext
from nats.js.api import RawStreamMsg

from voxpersona.localstack.minio_standin import DOUBLE_HEADER, DOUBLE_VALUE, MinioStandin
from voxpersona.localstack.nats import NatsServer
from voxpersona.localstack.ports import free_port

ARN = "arn:minio:sqs::PRIMARY:nats"
STREAM = "VP_MINIO_STANDIN_TEST"
MiB = 1024 * 1024
SHARED_EVENTS = Path(__file__).resolve().parents[1] / "fixtures" / "minio_events"


class StreamEvents:
    """Reads the stream's messages once and hands out those of one bucket."""

    def __init__(self, js: JetStreamContext, stream: str) -> None:
        self._js = js
        self._stream = stream
        self._seen: dict[int, RawStreamMsg] = {}

    async def messages(self, bucket: str) -> list[RawStreamMsg]:
        info = await self._js.stream_info(self._stream)
        for seq in range(info.state.first_seq, info.state.last_seq + 1):
            if seq not in self._seen:
                self._seen[seq] = await self._js.get_msg(self._stream, seq)
        return [m for _, m in sorted(self._seen.items()) if _bucket_of(m) == bucket]

    async def payloads(self, bucket: str) -> list[dict[str, Any]]:
        return [json.loads(m.data or b"") for m in await self.messages(bucket)]

    async def wait_for(self, bucket: str, count: int, within: float = 15.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + within
        while len(found := await self.payloads(bucket)) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(found)} of {count} events for {bucket}")
            await asyncio.sleep(0.1)
        return found


def _bucket_of(message: RawStreamMsg) -> str:
    name: str = json.loads(message.data or b"")["Records"][0]["s3"]["bucket"]["name"]
    return name


def _shape(value: Any) -> Any:
    """The nested key structure of a JSON value, for comparing against MinIO's examples."""
    if isinstance(value, dict):
        return {key: _shape(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_shape(item) for item in value]
    return type(value).__name__


def _rule(events: list[str], prefix: str = "", suffix: str = "", rule_id: str = "1") -> QueueConfig:
    return QueueConfig(
        queue=ARN,
        events=events,
        config_id=rule_id,
        prefix_filter_rule=PrefixFilterRule(prefix) if prefix else None,
        suffix_filter_rule=SuffixFilterRule(suffix) if suffix else None,
    )


async def _subscribe(client: Minio, bucket: str, *rules: QueueConfig) -> None:
    config = NotificationConfig(queue_config_list=list(rules))
    await asyncio.to_thread(client.set_bucket_notification, bucket, config)


async def _put(client: Minio, bucket: str, key: str, data: bytes, **kwargs: Any) -> Any:
    return await asyncio.to_thread(
        client.put_object, bucket, key, io.BytesIO(data), len(data), **kwargs
    )


async def _get(client: Minio, bucket: str, key: str) -> bytes:
    """Download in a worker thread: the proxy shares this event loop and must keep streaming."""

    def read() -> bytes:
        response = client.get_object(bucket, key)
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    return await asyncio.to_thread(read)


def _no_retry_client(standin: MinioStandin) -> Minio:
    return Minio(
        standin.endpoint,
        standin.access_key,
        standin.secret_key,
        secure=False,
        http_client=urllib3.PoolManager(retries=False),
    )


@pytest.fixture(scope="session")
def nats_server() -> Iterator[NatsServer]:
    with NatsServer() as server:
        yield server


@pytest.fixture(scope="session")
async def js(nats_server: NatsServer) -> AsyncIterator[JetStreamContext]:
    nc = await nats.connect(nats_server.url)
    yield nc.jetstream()
    await nc.close()


@pytest.fixture(scope="session")
async def standin(nats_server: NatsServer, js: JetStreamContext) -> AsyncIterator[MinioStandin]:
    subject = f"vp.test.minio.{uuid.uuid4().hex}"
    await js.add_stream(name=STREAM, subjects=[subject])
    async with MinioStandin(nats_url=nats_server.url, subject=subject) as running:
        yield running


@pytest.fixture(scope="session")
def events(js: JetStreamContext, standin: MinioStandin) -> StreamEvents:
    return StreamEvents(js, STREAM)


@pytest.fixture(scope="session")
def client(standin: MinioStandin) -> Minio:
    return Minio(standin.endpoint, standin.access_key, standin.secret_key, secure=False)


@pytest.fixture
async def bucket(client: Minio) -> str:
    name = f"vp-{uuid.uuid4().hex[:16]}"
    await asyncio.to_thread(client.make_bucket, name)
    return name


async def test_put_publishes_minio_payload_before_answering(
    client: Minio, bucket: str, events: StreamEvents, standin: MinioStandin
) -> None:
    await _subscribe(client, bucket, _rule(["s3:ObjectCreated:*"]))
    key = "audio/123456789/2026/11/24/5b0f6a1e.ogg"
    data = os.urandom(48213)
    original = quote("интервью.ogg")
    before_ns = time.time_ns()
    result = await _put(
        client,
        bucket,
        key,
        data,
        content_type="audio/ogg",
        metadata={"User-Id": "123456789", "Chat-Id": "42", "Original-Name": original},
    )

    # No waiting: with synchronous events the message is stored before the client's answer.
    messages = await events.messages(bucket)
    assert len(messages) == 1
    assert not (messages[0].headers or {}).get("Nats-Msg-Id")
    assert messages[0].data is not None
    assert messages[0].data.startswith(b'{"EventName":"s3:ObjectCreated:Put","Key":"')
    payload = json.loads(messages[0].data)
    record = payload["Records"][0]
    assert list(payload) == ["EventName", "Key", "Records"]
    assert payload["Key"] == f"{bucket}/{key}"
    assert _shape(payload) == _shape(json.loads((SHARED_EVENTS / "put.json").read_text()))
    assert {k: record[k] for k in ("eventVersion", "eventSource", "awsRegion", "eventName")} == {
        "eventVersion": "2.0",
        "eventSource": "minio:s3",
        "awsRegion": "",
        "eventName": "s3:ObjectCreated:Put",
    }
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", record["eventTime"])
    assert record["userIdentity"] == {"principalId": "minioadmin"}
    assert record["requestParameters"] == {
        "principalId": "minioadmin",
        "region": "",
        "sourceIPAddress": "127.0.0.1",
    }
    assert record["responseElements"] == {
        "x-amz-id-2": result.http_headers["x-amz-id-2"],
        "x-amz-request-id": result.http_headers["x-amz-request-id"],
        "x-minio-deployment-id": record["responseElements"]["x-minio-deployment-id"],
        "x-minio-origin-endpoint": standin.url,
    }
    assert uuid.UUID(record["responseElements"]["x-minio-deployment-id"])
    assert record["s3"]["configurationId"] == "Config"
    assert record["s3"]["bucket"] == {
        "name": bucket,
        "ownerIdentity": {"principalId": "minioadmin"},
        "arn": f"arn:aws:s3:::{bucket}",
    }
    s3_object = record["s3"]["object"]
    assert s3_object == {
        "key": "audio%2F123456789%2F2026%2F11%2F24%2F5b0f6a1e.ogg",
        "size": 48213,
        "eTag": hashlib.md5(data).hexdigest(),
        "contentType": "audio/ogg",
        "userMetadata": {
            "X-Amz-Meta-Chat-Id": "42",
            "X-Amz-Meta-Original-Name": "%D0%B8%D0%BD%D1%82%D0%B5%D1%80%D0%B2%D1%8C%D1%8E.ogg",
            "X-Amz-Meta-User-Id": "123456789",
            "content-type": "audio/ogg",
        },
        "sequencer": s3_object["sequencer"],
    }
    assert before_ns - 1_000_000_000 <= int(s3_object["sequencer"], 16) <= time.time_ns()
    assert s3_object["sequencer"] == s3_object["sequencer"].upper()
    assert record["source"] == {"host": "127.0.0.1", "port": "", "userAgent": client._user_agent}
    assert result.etag == s3_object["eTag"]
    assert result.http_headers[DOUBLE_HEADER] == DOUBLE_VALUE
    assert standin.published[-1] == payload


async def test_key_with_spaces_plus_percent_and_cyrillic(
    client: Minio, bucket: str, events: StreamEvents
) -> None:
    await _subscribe(client, bucket, _rule(["s3:ObjectCreated:Put"]))
    key = "audio/987654321/интервью клиента+1 100%.m4a"
    await _put(client, bucket, key, b"voice", content_type="audio/mp4")

    [payload] = await events.payloads(bucket)
    assert payload["Key"] == f"{bucket}/{key}"
    assert payload["Records"][0]["s3"]["object"]["key"] == (
        "audio%2F987654321%2F%D0%B8%D0%BD%D1%82%D0%B5%D1%80%D0%B2%D1%8C%D1%8E"
        "+%D0%BA%D0%BB%D0%B8%D0%B5%D0%BD%D1%82%D0%B0%2B1+100%25.m4a"
    )
    assert await _get(client, bucket, key) == b"voice"


async def test_multipart_upload_is_one_complete_event_with_multipart_etag(
    client: Minio, bucket: str, events: StreamEvents
) -> None:
    await _subscribe(client, bucket, _rule(["s3:ObjectCreated:*"]))
    data = os.urandom(11 * MiB)
    await asyncio.to_thread(
        client.put_object, bucket, "audio/long.m4a", io.BytesIO(data), -1, part_size=5 * MiB
    )

    [payload] = await events.payloads(bucket)
    parts = [data[i : i + 5 * MiB] for i in range(0, len(data), 5 * MiB)]
    digest = hashlib.md5(b"".join(hashlib.md5(part).digest() for part in parts)).hexdigest()
    record = payload["Records"][0]
    assert payload["EventName"] == "s3:ObjectCreated:CompleteMultipartUpload"
    assert record["s3"]["object"]["eTag"] == f"{digest}-3"
    assert record["s3"]["object"]["size"] == 11 * MiB
    # MinIO writes the CompleteMultipartUpload XML before sending the event.
    assert int(record["responseElements"]["content-length"]) > 0
    assert await _get(client, bucket, "audio/long.m4a") == data  # streamed back intact


async def test_copy_publishes_copy_event_for_the_destination(
    client: Minio, bucket: str, events: StreamEvents
) -> None:
    await _subscribe(client, bucket, _rule(["s3:ObjectCreated:*"]))
    await _put(client, bucket, "src.ogg", b"abc", metadata={"User-Id": "7"})
    await asyncio.to_thread(client.copy_object, bucket, "dst.ogg", CopySource(bucket, "src.ogg"))

    put, copy = await events.payloads(bucket)
    assert [put["EventName"], copy["EventName"]] == [
        "s3:ObjectCreated:Put",
        "s3:ObjectCreated:Copy",
    ]
    copied = copy["Records"][0]["s3"]["object"]
    assert copy["Key"] == f"{bucket}/dst.ogg"
    assert copied["eTag"] == put["Records"][0]["s3"]["object"]["eTag"]
    assert copied["size"] == 3
    assert copied["userMetadata"]["X-Amz-Meta-User-Id"] == "7"


async def test_tagging_changes_are_created_events(
    client: Minio, bucket: str, events: StreamEvents
) -> None:
    await _subscribe(client, bucket, _rule(["s3:ObjectCreated:*"]))
    await _put(client, bucket, "tagged.ogg", b"abc")
    tags = Tags.new_object_tags()
    tags["stage"] = "transcribed"
    await asyncio.to_thread(client.set_object_tags, bucket, "tagged.ogg", tags)
    await asyncio.to_thread(client.delete_object_tags, bucket, "tagged.ogg")

    put, tagged, untagged = await events.payloads(bucket)
    # A consumer of s3:ObjectCreated:* must not take these for new uploads.
    assert [tagged["EventName"], untagged["EventName"]] == [
        "s3:ObjectCreated:PutTagging",
        "s3:ObjectCreated:DeleteTagging",
    ]
    assert tagged["Records"][0]["s3"]["object"]["eTag"] == hashlib.md5(b"abc").hexdigest()
    assert tagged["Records"][0]["responseElements"]["content-length"] == "0"
    assert "content-length" not in put["Records"][0]["responseElements"]


async def test_delete_publishes_removal_without_object_details(
    client: Minio, bucket: str, events: StreamEvents
) -> None:
    await _subscribe(client, bucket, _rule(["s3:ObjectRemoved:*"]))
    await _put(client, bucket, "gone.ogg", b"abc")
    await asyncio.to_thread(client.remove_object, bucket, "gone.ogg")
    await asyncio.to_thread(client.remove_object, bucket, "never-existed.ogg")

    delete, noop = await events.payloads(bucket)
    removed = delete["Records"][0]
    assert delete["EventName"] == "s3:ObjectRemoved:Delete"
    assert list(removed["s3"]["object"]) == ["key", "sequencer"]
    assert removed["responseElements"]["content-length"] == "0"
    expected = _shape(json.loads((SHARED_EVENTS / "delete.json").read_text()))
    expected["Records"][0]["responseElements"]["content-length"] = "str"
    assert _shape(delete) == expected
    # Current MinIO reports a delete of a missing object as NoOP (part of s3:ObjectRemoved:*).
    assert noop["EventName"] == "s3:ObjectRemoved:NoOP"
    assert "content-length" not in noop["Records"][0]["responseElements"]


async def test_remove_objects_publishes_one_delete_per_key(
    client: Minio, bucket: str, events: StreamEvents
) -> None:
    await _subscribe(client, bucket, _rule(["s3:ObjectRemoved:Delete"]))
    for name in ("a.ogg", "b.ogg", "c d.ogg"):
        await _put(client, bucket, name, b"x")
    targets = [DeleteObject(name) for name in ("a.ogg", "b.ogg", "c d.ogg", "missing.ogg")]
    errors = await asyncio.to_thread(lambda: list(client.remove_objects(bucket, targets)))

    assert errors == []
    payloads = await events.payloads(bucket)
    # MinIO reports every key of a DeleteObjects call as deleted, missing ones included.
    assert [p["Key"] for p in payloads] == [
        f"{bucket}/a.ogg",
        f"{bucket}/b.ogg",
        f"{bucket}/c d.ogg",
        f"{bucket}/missing.ogg",
    ]
    assert {p["EventName"] for p in payloads} == {"s3:ObjectRemoved:Delete"}
    assert payloads[2]["Records"][0]["s3"]["object"]["key"] == "c+d.ogg"


async def test_prefix_suffix_and_event_filters(
    client: Minio, bucket: str, events: StreamEvents
) -> None:
    await _subscribe(client, bucket, _rule(["s3:ObjectCreated:Put"], "audio/", ".ogg"))
    await _put(client, bucket, "audio/match.ogg", b"x")
    await _put(client, bucket, "audio/wrong-suffix.mp3", b"x")
    await _put(client, bucket, "video/wrong-prefix.ogg", b"x")
    copy_source = CopySource(bucket, "audio/match.ogg")
    await asyncio.to_thread(client.copy_object, bucket, "audio/copied.ogg", copy_source)
    await asyncio.to_thread(client.remove_object, bucket, "audio/match.ogg")

    payloads = await events.payloads(bucket)
    assert [(p["EventName"], p["Key"]) for p in payloads] == [
        ("s3:ObjectCreated:Put", f"{bucket}/audio/match.ogg")
    ]


async def test_overlapping_rules_publish_once_like_minio(
    client: Minio, bucket: str, events: StreamEvents
) -> None:
    await _subscribe(
        client,
        bucket,
        _rule(["s3:ObjectCreated:*"], prefix="audio/", rule_id="by-prefix"),
        _rule(["s3:ObjectCreated:Put"], suffix=".ogg", rule_id="by-suffix"),
    )
    await _put(client, bucket, "audio/both.ogg", b"x")

    [payload] = await events.payloads(bucket)
    # MinIO resolves rules to targets and hard-codes configurationId to "Config".
    assert payload["Records"][0]["s3"]["configurationId"] == "Config"


async def test_without_rules_nothing_is_published(
    client: Minio, bucket: str, events: StreamEvents, standin: MinioStandin
) -> None:
    await _put(client, bucket, "audio/unwatched.ogg", b"x")
    assert await events.payloads(bucket) == []
    assert all(p["Records"][0]["s3"]["bucket"]["name"] != bucket for p in standin.published)


async def test_notification_config_round_trips_through_the_sdk(client: Minio, bucket: str) -> None:
    config = NotificationConfig(
        queue_config_list=[
            QueueConfig(
                queue=ARN,
                events=["s3:ObjectCreated:*"],
                config_id="1",
                prefix_filter_rule=PrefixFilterRule("audio/"),
            )
        ]
    )
    await asyncio.to_thread(client.set_bucket_notification, bucket, config)
    stored = await asyncio.to_thread(client.get_bucket_notification, bucket)

    [queue] = stored.queue_config_list
    assert (queue.queue, queue.events, queue.config_id) == (ARN, ["s3:ObjectCreated:*"], "1")
    assert queue.prefix_filter_rule is not None
    assert queue.prefix_filter_rule.value == "audio/"
    assert queue.suffix_filter_rule is None

    await asyncio.to_thread(client.delete_bucket_notification, bucket)
    emptied = await asyncio.to_thread(client.get_bucket_notification, bucket)
    assert emptied.queue_config_list == []


@pytest.mark.parametrize(
    ("arn", "message"),
    [
        ("arn:minio:sqs::primary:webhook", "A specified destination ARN does not exist"),
        ("arn:aws:sqs:us-east-1:123456789012:queue", "A specified destination ARN does not"),
        ("arn:minio:sqs:eu-west-1:PRIMARY:nats", "A specified destination is in a different"),
    ],
)
async def test_bad_arn_is_rejected_with_minio_error(
    client: Minio, bucket: str, arn: str, message: str
) -> None:
    config = NotificationConfig(
        queue_config_list=[QueueConfig(queue=arn, events=["s3:ObjectCreated:*"])]
    )
    with pytest.raises(S3Error) as caught:
        await asyncio.to_thread(client.set_bucket_notification, bucket, config)

    assert caught.value.code == "InvalidArgument"
    assert (caught.value.message or "").startswith(message)
    assert caught.value.response.status == 400


async def test_arn_with_the_configured_region_is_accepted(client: Minio, bucket: str) -> None:
    arn = "arn:minio:sqs:us-east-1:PRIMARY:nats"
    config = NotificationConfig(
        queue_config_list=[QueueConfig(queue=arn, events=["s3:ObjectCreated:Put"])]
    )
    await asyncio.to_thread(client.set_bucket_notification, bucket, config)
    stored = await asyncio.to_thread(client.get_bucket_notification, bucket)
    assert [q.queue for q in stored.queue_config_list] == [arn]


async def test_notification_on_a_missing_bucket_is_no_such_bucket(client: Minio) -> None:
    missing = f"vp-missing-{uuid.uuid4().hex[:8]}"
    config = NotificationConfig(queue_config_list=[_rule(["s3:ObjectCreated:*"])])
    with pytest.raises(S3Error) as caught:
        await asyncio.to_thread(client.set_bucket_notification, missing, config)
    assert (caught.value.code, caught.value.response.status) == ("NoSuchBucket", 404)


async def test_unknown_event_name_is_rejected(client: Minio, bucket: str) -> None:
    config = NotificationConfig(
        queue_config_list=[QueueConfig(queue=ARN, events=["s3:ObjectCreated:Upload"])]
    )
    with pytest.raises(S3Error) as caught:
        await asyncio.to_thread(client.set_bucket_notification, bucket, config)
    assert caught.value.message == "A specified event is not supported for notifications."


async def test_health_endpoints(standin: MinioStandin) -> None:
    async with aiohttp.ClientSession() as session:
        for path in ("live", "ready", "cluster"):
            async with session.get(f"{standin.url}/minio/health/{path}") as response:
                assert response.status == 200, path
                assert response.headers[DOUBLE_HEADER] == DOUBLE_VALUE


async def test_ready_is_503_when_moto_does_not_answer(nats_server: NatsServer) -> None:
    async with MinioStandin(nats_url=nats_server.url, subject="vp.test.unused") as standin:
        assert standin._moto is not None
        # The only way moto goes away while the proxy runs; reached into on purpose.
        await asyncio.to_thread(standin._moto.stop)
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{standin.url}/minio/health/ready") as ready:
                assert ready.status == 503
            async with session.get(f"{standin.url}/minio/health/live") as live:
                assert live.status == 200
        standin._moto = None


async def test_stop_and_start_keep_objects_and_port(nats_server: NatsServer) -> None:
    port = free_port()
    async with MinioStandin(nats_url=nats_server.url, subject="vp.test.unused", port=port) as s:
        client = _no_retry_client(s)
        name = f"vp-{uuid.uuid4().hex[:16]}"
        await asyncio.to_thread(client.make_bucket, name)
        await _put(client, name, "kept.ogg", b"still here")

        await s.stop()
        with pytest.raises(urllib3.exceptions.HTTPError):
            await asyncio.to_thread(client.stat_object, name, "kept.ogg")
        await s.start()

        assert s.endpoint == f"127.0.0.1:{port}"
        assert await _get(client, name, "kept.ogg") == b"still here"


async def test_events_survive_a_nats_outage_in_order(tmp_path: Path) -> None:
    subject = f"vp.test.outage.{uuid.uuid4().hex}"
    with NatsServer(store_dir=tmp_path) as server:
        nc = await nats.connect(server.url)
        await nc.jetstream().add_stream(name="VP_OUTAGE", subjects=[subject])
        await nc.close()
        async with MinioStandin(nats_url=server.url, subject=subject) as standin:
            client = Minio(standin.endpoint, "minioadmin", "minioadmin", secure=False)
            name = f"vp-{uuid.uuid4().hex[:16]}"
            await asyncio.to_thread(client.make_bucket, name)
            await _subscribe(client, name, _rule(["s3:ObjectCreated:*"]))
            await _put(client, name, "before.ogg", b"1")

            await asyncio.to_thread(server.stop)
            await _put(client, name, "during-1.ogg", b"2")  # succeeds although NATS is gone
            await _put(client, name, "during-2.ogg", b"3")
            assert standin.pending_events == 2
            await asyncio.to_thread(server.start)
            await _wait_until(lambda: standin.pending_events == 0)

            nc = await nats.connect(server.url)
            stream = StreamEvents(nc.jetstream(), "VP_OUTAGE")
            keys = [p["Key"] for p in await stream.wait_for(name, 3)]
            await nc.close()
    assert keys == [f"{name}/before.ogg", f"{name}/during-1.ogg", f"{name}/during-2.ogg"]


async def test_starts_without_nats_and_delivers_once_it_appears(tmp_path: Path) -> None:
    subject = f"vp.test.late.{uuid.uuid4().hex}"
    server = NatsServer(store_dir=tmp_path, port=free_port())  # not running yet
    async with MinioStandin(nats_url=server.url, subject=subject) as standin:
        client = Minio(standin.endpoint, "minioadmin", "minioadmin", secure=False)
        name = f"vp-{uuid.uuid4().hex[:16]}"
        await asyncio.to_thread(client.make_bucket, name)
        await _subscribe(client, name, _rule(["s3:ObjectCreated:*"]))
        await _put(client, name, "first.ogg", b"1")
        assert standin.pending_events == 1

        await asyncio.to_thread(server.start)
        try:
            nc = await nats.connect(server.url)
            await nc.jetstream().add_stream(name="VP_LATE_NATS", subjects=[subject])
            await _wait_until(lambda: standin.pending_events == 0)
            [payload] = await StreamEvents(nc.jetstream(), "VP_LATE_NATS").wait_for(name, 1)
            await nc.close()
        finally:
            await asyncio.to_thread(server.stop)
    assert payload["Key"] == f"{name}/first.ogg"


async def test_missing_stream_queues_until_it_exists(
    nats_server: NatsServer, js: JetStreamContext
) -> None:
    subject = f"vp.test.nostream.{uuid.uuid4().hex}"
    async with MinioStandin(nats_url=nats_server.url, subject=subject) as standin:
        client = Minio(standin.endpoint, "minioadmin", "minioadmin", secure=False)
        name = f"vp-{uuid.uuid4().hex[:16]}"
        await asyncio.to_thread(client.make_bucket, name)
        await _subscribe(client, name, _rule(["s3:ObjectCreated:*"]))
        await _put(client, name, "early.ogg", b"1")
        assert standin.pending_events == 1
        assert standin.published == []

        stream = f"VP_LATE_{uuid.uuid4().hex[:8]}"
        await js.add_stream(name=stream, subjects=[subject])
        await _wait_until(lambda: standin.pending_events == 0)
        [payload] = await StreamEvents(js, stream).wait_for(name, 1)
    assert payload["Key"] == f"{name}/early.ogg"


async def test_full_queue_drops_and_logs(
    nats_server: NatsServer, caplog: pytest.LogCaptureFixture
) -> None:
    subject = f"vp.test.full.{uuid.uuid4().hex}"
    async with MinioStandin(nats_url=nats_server.url, subject=subject, queue_limit=1) as standin:
        client = Minio(standin.endpoint, "minioadmin", "minioadmin", secure=False)
        name = f"vp-{uuid.uuid4().hex[:16]}"
        await asyncio.to_thread(client.make_bucket, name)
        await _subscribe(client, name, _rule(["s3:ObjectCreated:*"]))
        with caplog.at_level(logging.ERROR, logger="voxpersona.localstack.minio_standin"):
            await _put(client, name, "kept.ogg", b"1")
            await _put(client, name, "dropped.ogg", b"2")
        assert standin.pending_events == 1
    assert any("queue is full" in r.getMessage() for r in caplog.records)


async def test_injected_slowdown_reaches_the_client(
    client: Minio, bucket: str, standin: MinioStandin, events: StreamEvents
) -> None:
    await _subscribe(client, bucket, _rule(["s3:ObjectCreated:*"]))
    plain = _no_retry_client(standin)
    standin.inject_fault("put", times=1)
    with pytest.raises(S3Error) as caught:
        await _put(plain, bucket, "a.ogg", b"x")
    assert (caught.value.code, caught.value.response.status) == ("SlowDown", 503)
    assert caught.value.response.headers[DOUBLE_HEADER] == DOUBLE_VALUE

    standin.inject_fault("head", status=500, code="InternalError")
    with pytest.raises(ServerError) as server_error:
        await asyncio.to_thread(plain.stat_object, bucket, "a.ogg")
    assert server_error.value.status_code == 500

    # The SDK's own retries (urllib3, 5 tries on 503) ride over two faults.
    standin.inject_fault("put", times=2)
    await _put(client, bucket, "retried.ogg", b"y")
    assert [p["Key"] for p in await events.payloads(bucket)] == [f"{bucket}/retried.ogg"]


async def test_latency_delays_s3_requests(
    client: Minio, bucket: str, standin: MinioStandin
) -> None:
    standin.set_latency(0.3)
    try:
        started = time.monotonic()
        await asyncio.to_thread(client.bucket_exists, bucket)
        assert time.monotonic() - started >= 0.3
    finally:
        standin.set_latency(0)


async def _wait_until(condition: Callable[[], bool], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.1)
