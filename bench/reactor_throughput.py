"""Reactor benchmark on the real local stack (NATS, PostgreSQL, S3 + MinIO notifier double)
with the fake OpenAI server. Prints, in one run:

1. events/second through the whole reactor with a zero-latency transcriber, and as a ratio of
   raw JetStream fetch+ack on the same server;
2. with 1 s of transcription latency at concurrency C, throughput as a fraction of C per second;
3. p50/p99 pipeline overhead per recording, excluding the transcriber;
4. the same recordings pushed through the raw operations alone (fetch the event, S3 get, one
   PostgreSQL insert, one JetStream publish, ack) at the same concurrency on the same services,
   and the reactor's throughput as a ratio of that: our own overhead, apart from the S3 double's.

Run: ``.venv/bin/python -m bench.reactor_throughput [--events 300] [--concurrency 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import statistics
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
import nats
from nats.aio.msg import Msg
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StreamConfig

from reactor.app import run_reactor
from tests.audio import ogg_opus
from tests.reactor_harness import upload
from voxpersona.contracts.events import parse_notification
from voxpersona.contracts.subjects import StreamNames
from voxpersona.localstack.fake_openai import FakeOpenAI
from voxpersona.localstack.stack import LocalStack
from voxpersona.logging import configure_logging
from voxpersona.settings import OpenAISettings, ReactorSettings, VoxSettings
from voxpersona.storage import MinioObjectStore
from voxpersona.storage.provisioning import provision

KEY = "sk-bench-0123456789"


async def raw_fetch_ack(url: str, count: int) -> float:
    """Messages/second of a plain pull consumer that fetches and acks."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    name = f"BENCH_{uuid.uuid4().hex[:6]}"
    await js.add_stream(StreamConfig(name=name, subjects=[f"{name}.x"]))
    payload = b"x" * 1500  # about the size of a MinIO event
    for _ in range(count):
        await js.publish(f"{name}.x", payload)
    await js.add_consumer(name, ConsumerConfig(durable_name="c", ack_policy=AckPolicy.EXPLICIT))
    sub = await js.pull_subscribe_bind(durable="c", stream=name)
    started, seen = time.perf_counter(), 0
    while seen < count:
        for msg in await sub.fetch(batch=min(100, count - seen), timeout=5):
            await msg.ack_sync()
            seen += 1
    elapsed = time.perf_counter() - started
    await js.delete_stream(name)
    await nc.close()
    return count / elapsed


async def _upload_all(minio_bucket: MinioObjectStore, count: int) -> None:
    audio, user = ogg_opus(0.3), 900_000_001
    limit = asyncio.Semaphore(8)

    async def one() -> None:
        async with limit:
            await upload(minio_bucket.settings, user, audio)

    await asyncio.gather(*(one() for _ in range(count)))


class RawOperations:
    """What the reactor must do per recording, and nothing else: fetch the event, get the object
    from S3 into a file, insert one row, publish one message, ack. Same concurrency, same
    fetch-then-dispatch shape as the reactor's consumer."""

    def __init__(self, stack: LocalStack, store: MinioObjectStore, concurrency: int) -> None:
        self._stack = stack
        self._store = store
        self._concurrency = concurrency
        self._work = Path(tempfile.mkdtemp(prefix="bench-raw-"))
        self.done = 0

    async def handle(self, msg: Msg, pool: asyncpg.Pool, js: nats.js.JetStreamContext) -> None:
        event = parse_notification(msg.data)
        if event.bucket != self._store.audio_bucket:
            await msg.ack_sync()  # an earlier run's event
            return
        path = self._work / f"{uuid.uuid4().hex}.ogg"
        await self._store.download_to_file(event.bucket, event.key, path)
        path.unlink()
        row_id = uuid.uuid4()
        await pool.execute(
            "INSERT INTO bench_raw_operations (id, object_key) VALUES ($1, $2)", row_id, event.key
        )
        await js.publish(
            "bench.raw.results",
            json.dumps({"recording_id": str(row_id)}).encode(),
            headers={"Nats-Msg-Id": f"raw:{row_id}"},
        )
        await msg.ack_sync()
        self.done += 1


async def raw_operations(stack: LocalStack, *, count: int, concurrency: int) -> float:
    """Recordings/second through :class:`RawOperations` (first fetch to last ack)."""
    minio = stack.minio_settings(audio_bucket_name=f"bench-raw-{uuid.uuid4().hex[:8]}")
    store = MinioObjectStore(minio)
    await provision(store)
    names = StreamNames()
    nc = await nats.connect(stack.nats.url)
    js = nc.jetstream()
    durable = f"bench-raw-{uuid.uuid4().hex[:6]}"
    await js.add_consumer(
        names.events_stream,
        ConsumerConfig(
            durable_name=durable,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.NEW,
            filter_subject=names.events_subject,
        ),
    )
    stream = f"BENCH_RAW_{uuid.uuid4().hex[:6]}"
    await js.add_stream(StreamConfig(name=stream, subjects=["bench.raw.results"]))
    await _upload_all(store, count)
    dsn = stack.database_settings().url.get_secret_value()
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=concurrency + 2)
    await pool.execute(
        "CREATE TABLE IF NOT EXISTS bench_raw_operations (id uuid PRIMARY KEY, object_key text)"
    )
    raw = RawOperations(stack, store, concurrency)
    sub = await js.pull_subscribe_bind(durable=durable, stream=names.events_stream)
    in_flight: set[asyncio.Task[None]] = set()
    started: float | None = None
    while raw.done < count:
        free = concurrency - len(in_flight)
        if free <= 0:
            await asyncio.wait(in_flight, return_when=asyncio.FIRST_COMPLETED)
            continue
        with contextlib.suppress(TimeoutError):
            for msg in await sub.fetch(batch=free, timeout=0.2):
                started = started or time.perf_counter()
                task = asyncio.create_task(raw.handle(msg, pool, js))
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
    elapsed = time.perf_counter() - (started or time.perf_counter())
    await asyncio.gather(*in_flight)
    await js.delete_consumer(names.events_stream, durable)
    await js.delete_stream(stream)
    await pool.execute("DROP TABLE bench_raw_operations")
    await pool.close()
    await nc.close()
    return count / elapsed


async def reactor_run(
    stack: LocalStack, fake: FakeOpenAI, *, count: int, concurrency: int
) -> tuple[float, list[asyncpg.Record]]:
    """Upload ``count`` recordings to a fresh bucket, then time a reactor draining them."""
    minio = stack.minio_settings(audio_bucket_name=f"bench-{uuid.uuid4().hex[:8]}")
    store = MinioObjectStore(minio)
    await provision(store)
    settings = ReactorSettings(
        minio=minio,
        nats=stack.nats_settings(),
        database=stack.database_settings(),
        openai=OpenAISettings(api_key=KEY, base_url=fake.base_url, timeout=30),  # type: ignore[arg-type]
        vox=VoxSettings(  # type: ignore[call-arg]
            reactor_concurrency=concurrency,
            analysis_enabled=False,
            ack_wait_seconds=30,
            http_port=0,
        ),
        streams=StreamNames(reactor_durable=f"bench-{uuid.uuid4().hex[:6]}"),
    )
    await _upload_all(store, count)
    dsn = settings.database.url.get_secret_value()
    conn = await asyncpg.connect(dsn)
    stop = asyncio.Event()
    started = time.perf_counter()
    task = asyncio.create_task(run_reactor(settings, stop))
    query = "SELECT * FROM recordings WHERE bucket = $1 AND notified_at IS NOT NULL"
    rows: list[asyncpg.Record] = []
    for _ in range(100_000):  # bounded: at most ~80 minutes
        if task.done():
            task.result()  # the reactor stopped: say why
        try:
            rows = await conn.fetch(query, minio.audio_bucket_name)
        except asyncpg.UndefinedTableError:
            rows = []  # the reactor has not applied its migrations yet
        if len(rows) >= count:
            break
        await asyncio.sleep(0.05)
    stop.set()
    await task
    await conn.close()
    # Steady state: from the first claim to the last announcement, so the reactor's own
    # start-up (connections, migrations, stream declaration) is not counted.
    first = min(r["created_at"] for r in rows)
    last = max(r["notified_at"] for r in rows)
    elapsed = (last - first).total_seconds()
    log_startup = time.perf_counter() - started - elapsed
    print(
        f"  ({count} events, C={concurrency}: {elapsed:.2f} s steady state, "
        f"{log_startup:.2f} s start-up and polling not counted)"
    )
    return elapsed, rows


def overheads(rows: list[asyncpg.Record]) -> list[float]:
    """Per recording: from claim to announced, minus the time inside the transcriber."""
    return [
        (r["notified_at"] - r["created_at"]).total_seconds()
        - json.loads(r["timings"])["transcribe"]
        for r in rows
    ]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def main(events: int, concurrency: int) -> None:
    configure_logging(level="WARNING")
    async with LocalStack() as stack, FakeOpenAI(api_key=KEY) as fake:
        raw = await raw_fetch_ack(stack.nats.url, events)
        elapsed, rows = await reactor_run(stack, fake, count=events, concurrency=concurrency)
        # The first run also paid for start-up (migrations, stream declaration).
        elapsed, rows = await reactor_run(stack, fake, count=events, concurrency=concurrency)
        through = events / elapsed
        fake.set_latency("transcriptions", 1.0)
        waves = 12
        slow_elapsed, _ = await reactor_run(
            stack, fake, count=concurrency * waves, concurrency=concurrency
        )
        slow = concurrency * waves / slow_elapsed
        over = overheads(rows)
        transcriber_calls = [json.loads(r["timings"])["transcribe"] for r in rows]
        raw_ops = await raw_operations(stack, count=events, concurrency=concurrency)
    print(f"raw JetStream fetch+ack:            {raw:8.1f} msg/s")
    print(
        f"reactor, zero-latency transcriber:  {through:8.1f} events/s  (concurrency {concurrency})"
    )
    print(f"  ratio to raw fetch+ack:           {through / raw:8.3f}")
    print(
        f"reactor, 1 s transcription, C={concurrency}:  {slow:8.2f} events/s = "
        f"{slow / concurrency:.3f} of C per second (target >= 0.9)"
    )
    print(
        f"raw operations alone, C={concurrency}:     {raw_ops:8.1f} recordings/s  "
        "(fetch, S3 get, 1 insert, 1 publish, ack)"
    )
    print(f"  reactor as a ratio of raw ops:    {through / raw_ops:8.3f}")
    print(
        f"  (the reactor also calls the fake transcription API: "
        f"{statistics.median(transcriber_calls) * 1000:.1f} ms p50 per call)"
    )
    print(
        f"pipeline overhead excl. transcriber: p50 {statistics.median(over) * 1000:.1f} ms, "
        f"p99 {percentile(over, 0.99) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.concurrency))
