"""The consumer core against a real nats-server: retry timing, the last delivery, dead-letter
failures and the MAX_DELIVERIES backstop. Each test has its own stream."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

import nats
import pytest
import pytest_asyncio
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import StreamConfig

from tests.stacks import Stack
from voxpersona.consumer import (
    ConsumerOptions,
    Heartbeat,
    JetStreamConsumer,
    RetryPolicy,
    Settlement,
    Verdict,
    plan_settlement,
    server_max_deliver,
)
from voxpersona.consumer.advisories import BackstopHandler, advisories_stream_config
from voxpersona.consumer.dead_letter import Letter
from voxpersona.jetstream import ensure_durable


@dataclass
class Recorder:
    """A handler that fails (or hangs) as told and remembers everything."""

    hang_on: int | None = None
    dead_letter_failures: int = 0
    arrivals: list[tuple[float, int]] = field(default_factory=list)
    letters: list[Settlement] = field(default_factory=list)

    async def handle(self, msg: Msg, beat: Heartbeat) -> Verdict:
        deliveries = msg.metadata.num_delivered
        self.arrivals.append((asyncio.get_running_loop().time(), deliveries))
        if deliveries == self.hang_on:
            await asyncio.Event().wait()
        return Verdict.retry("down", "still down")

    def classify(self, error: Exception) -> Verdict:
        return Verdict.retry("internal_error", str(error))

    async def dead_letter(self, msg: Msg, settlement: Settlement) -> None:
        if self.dead_letter_failures > 0:
            self.dead_letter_failures -= 1
            raise ConnectionError("dead-letter stream unavailable")
        self.letters.append(settlement)


@dataclass
class Lane:
    js: JetStreamContext
    stream: str
    subject: str
    durable: str = "worker"


@pytest_asyncio.fixture(loop_scope="session")
async def lane(stack: Stack) -> AsyncIterator[Lane]:
    nc = await nats.connect(stack.nats_settings().url)
    name = f"CORE_{uuid.uuid4().hex[:10]}"
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name=name, subjects=[f"core.{name}"]))
    try:
        yield Lane(js, name, f"core.{name}")
    finally:
        await js.delete_stream(name)
        await nc.close()


async def _durable(
    lane: Lane, policy: RetryPolicy, *, ack_wait: float, max_deliver: int = 0
) -> None:
    await ensure_durable(
        lane.js,
        stream=lane.stream,
        durable=lane.durable,
        subject=lane.subject,
        ack_wait=ack_wait,
        max_deliver=max_deliver or server_max_deliver(policy),
    )


@contextlib.asynccontextmanager
async def consuming(consumer: JetStreamConsumer) -> AsyncIterator[None]:
    stop = asyncio.Event()
    task = asyncio.create_task(consumer.run(stop))
    try:
        yield
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


async def _until(predicate: Callable[[], object], timeout: float) -> None:
    async with asyncio.timeout(timeout):
        while True:
            if predicate():
                return
            await asyncio.sleep(0.05)


async def _settled(lane: Lane) -> bool:
    info = await lane.js.consumer_info(lane.stream, lane.durable)
    return info.num_ack_pending == 0 and info.num_pending == 0


async def test_observed_redelivery_delays_match_the_plan(lane: Lane) -> None:
    policy = RetryPolicy(max_attempts=4, base_delay=1.0, max_delay=8.0)
    await _durable(lane, policy, ack_wait=2.0)
    recorder = Recorder()
    options = ConsumerOptions(stream=lane.stream, durable=lane.durable, policy=policy, ack_wait=2.0)
    consumer = JetStreamConsumer(lane.js, recorder, options, rng=random.Random(3))
    same_draws = random.Random(3)
    planned = [
        plan_settlement(Verdict.retry("down"), n, policy, same_draws).delay for n in (1, 2, 3)
    ]
    async with consuming(consumer):
        await lane.js.publish(lane.subject, b"payload")
        await _until(lambda: recorder.letters, timeout=60)
    assert [deliveries for _, deliveries in recorder.arrivals] == [1, 2, 3, 4]
    times = [at for at, _ in recorder.arrivals]
    observed = [later - earlier for earlier, later in itertools.pairwise(times)]
    for plan, seen in zip(planned, observed, strict=True):
        # A consumer ``backoff`` would add BackOff[n] - BackOff[0] on top (2 s, then 6 s here).
        assert plan - 0.05 <= seen < plan + 1.5, (planned, observed)
    assert recorder.letters[0].code == "down"
    assert await _settled(lane)


async def test_a_last_delivery_handed_back_at_shutdown_is_dead_lettered_not_dropped(
    lane: Lane,
) -> None:
    policy = RetryPolicy(max_attempts=2, base_delay=0.2, max_delay=0.5)
    await _durable(lane, policy, ack_wait=5.0)
    first = Recorder(hang_on=2)
    options = ConsumerOptions(
        stream=lane.stream, durable=lane.durable, policy=policy, ack_wait=5.0, shutdown_grace=0.2
    )
    async with consuming(JetStreamConsumer(lane.js, first, options)):
        await lane.js.publish(lane.subject, b"payload")
        await _until(lambda: len(first.arrivals) == 2, timeout=30)
    # The last attempt was drained (nak'ed) by the shutdown. The next process must not run
    # it again, nor may the server have dropped it: it becomes a dead letter.
    second = Recorder()
    async with consuming(JetStreamConsumer(lane.js, second, options)):
        await _until(lambda: second.letters, timeout=30)
    assert second.arrivals == []
    assert second.letters[0].code == "deliveries_exhausted"
    assert await _settled(lane)


async def test_a_dead_letter_that_fails_to_store_is_not_acked_and_is_stored_later(
    lane: Lane,
) -> None:
    policy = RetryPolicy(max_attempts=1, base_delay=0.2, max_delay=0.5)
    await _durable(lane, policy, ack_wait=5.0)
    recorder = Recorder(dead_letter_failures=2)
    options = ConsumerOptions(stream=lane.stream, durable=lane.durable, policy=policy, ack_wait=5.0)
    async with consuming(JetStreamConsumer(lane.js, recorder, options)):
        await lane.js.publish(lane.subject, b"payload")
        await _until(lambda: recorder.letters, timeout=30)
    assert len(recorder.arrivals) == 1  # handled once; later deliveries only dead-letter
    assert len(recorder.letters) == 1
    assert await _settled(lane)


async def test_what_the_server_gives_up_on_reaches_the_backstop(lane: Lane) -> None:
    policy = RetryPolicy(max_attempts=10)
    await _durable(lane, policy, ack_wait=0.5, max_deliver=2)
    advisories = f"ADV_{lane.stream}"
    await lane.js.add_stream(advisories_stream_config(advisories, [lane.stream]))
    letters: list[tuple[Letter, str]] = []

    async def sink(letter: Letter, code: str, reason: str) -> None:
        letters.append((letter, code))

    await ensure_durable(
        lane.js,
        stream=advisories,
        durable="backstop",
        subject=f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{lane.stream}.{lane.durable}",
        ack_wait=5.0,
        max_deliver=-1,
    )
    backstop = JetStreamConsumer(
        lane.js,
        BackstopHandler(lane.js, sink),
        ConsumerOptions(stream=advisories, durable="backstop", policy=policy),
    )
    try:
        await lane.js.publish(lane.subject, b"never settled")
        # A process that takes the message twice and dies each time (never settles it).
        sub = await lane.js.pull_subscribe_bind(durable=lane.durable, stream=lane.stream)
        for _ in range(2):
            async with asyncio.timeout(10):
                while not await sub.fetch(1, timeout=1):
                    pass
        # Still pulling (as a live consumer does): nats-server finds the message at its
        # max_deliver on the next redelivery, drops it and publishes the advisory.
        with pytest.raises(nats.errors.TimeoutError):
            await sub.fetch(1, timeout=2)
        async with consuming(backstop):
            await _until(lambda: letters, timeout=30)
    finally:
        await lane.js.delete_stream(advisories)
    letter, code = letters[0]
    assert (letter.data, letter.stream, letter.deliveries, code) == (
        b"never settled",
        lane.stream,
        2,
        "max_deliveries",
    )
