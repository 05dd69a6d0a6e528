"""``voxpersona streams init``: what docker-compose runs before MinIO takes an upload."""

from __future__ import annotations

from pathlib import Path

import nats

from tests.cli import run_voxpersona
from voxpersona.consumer.plan import SERVER_MARGIN
from voxpersona.contracts.subjects import StreamNames
from voxpersona.localstack.nats import NatsServer


async def run_init(url: str, cwd: Path) -> tuple[int, str]:
    env = {"NATS_URL": url, "VOXPERSONA_ACK_WAIT_SECONDS": "45", "VOXPERSONA_MAX_DELIVER": "5"}
    return await run_voxpersona("streams", "init", env=env, cwd=cwd)


async def test_streams_and_consumers_exist_after_init_and_init_is_idempotent(
    tmp_path: Path,
) -> None:
    names = StreamNames()
    with NatsServer(store_dir=tmp_path / "nats") as server:
        for _ in range(2):
            code, output = await run_init(server.url, tmp_path)
            assert code == 0, output
            assert "consumers ready" in output
        nc = await nats.connect(server.url)
        try:
            js = nc.jetstream()
            events = await js.stream_info(names.events_stream)
            assert events.config.subjects == [names.events_subject]
            assert events.config.max_age == 31 * 24 * 3600
            reactor = await js.consumer_info(names.events_stream, names.reactor_durable)
            # Above VOXPERSONA_MAX_DELIVER (5): the reactor dead-letters before nats-server
            # drops anything; no backoff, the nak delay is the one retry schedule.
            assert reactor.config.max_deliver == 5 + SERVER_MARGIN
            assert reactor.config.backoff is None
            assert reactor.config.ack_wait == 45
            commands = await js.consumer_info(names.commands_stream, names.commands_durable)
            assert commands.config.max_deliver == 5 + SERVER_MARGIN
            assert commands.config.backoff is None
            bot = await js.consumer_info(names.results_stream, names.bot_durable)
            assert bot.config.filter_subject == names.results_subject
            assert bot.config.max_deliver > 1
            await js.stream_info(names.dead_letter_stream)
            advisories = await js.stream_info(names.advisory_stream)
            assert advisories.config.subjects == [
                f"$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.{stream}.*"
                for stream in (names.events_stream, names.commands_stream, names.results_stream)
            ]
        finally:
            await nc.close()
