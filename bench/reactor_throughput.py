"""Reactor benchmark on the real local stack (NATS, PostgreSQL, S3 + MinIO notifier double)
with the fake OpenAI server. Prints, in one run:

1. events/second through the whole reactor with a zero-latency transcriber, and as a ratio of
   raw JetStream fetch+ack on the same server;
2. with 1 s of transcription latency at concurrency C, throughput as a fraction of C per second;
3. p50/p99 pipeline overhead per recording, excluding the transcriber.

Run: ``.venv/bin/python -m bench.reactor_throughput [--events 300] [--concurrency 8]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import asyncpg
import nats
from nats.js.api import AckPolicy, ConsumerConfig, StreamConfig

from reactor.app import run_reactor
from tests.audio import ogg_opus
from tests.reactor_harness import upload
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
            reactor_concurrency=concurrency, analysis_enabled=False, ack_wait_seconds=30
        ),
        streams=StreamNames(reactor_durable=f"bench-{uuid.uuid4().hex[:6]}"),
    )
    audio, user = ogg_opus(0.3), 900_000_001

    limit = asyncio.Semaphore(8)

    async def one() -> None:
        async with limit:
            await upload(minio, user, audio)

    await asyncio.gather(*(one() for _ in range(count)))
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
        f"pipeline overhead excl. transcriber: p50 {statistics.median(over) * 1000:.1f} ms, "
        f"p99 {percentile(over, 0.99) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    asyncio.run(main(args.events, args.concurrency))
