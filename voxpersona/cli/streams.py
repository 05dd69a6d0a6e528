"""``voxpersona streams init``: what the compose init service runs before MinIO starts."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import nats

from voxpersona.consumer import server_max_deliver
from voxpersona.contracts.subjects import StreamNames
from voxpersona.jetstream import (
    ensure_all,
    ensure_bot_consumer,
    ensure_commands_consumer,
    ensure_reactor_consumer,
)
from voxpersona.settings import NatsSettings, VoxSettings, load_settings


async def run_streams_init() -> None:
    """Streams and the reactors' and bots' durable consumers, exactly as the services declare
    them, so MinIO can publish and nothing published before the services start is missed."""
    from bot.delivery import delivery_policy
    from reactor.app import reactor_consumer_options

    nats_settings = load_settings(NatsSettings)
    vox = load_settings(VoxSettings)
    nc = await nats.connect(nats_settings.url)
    try:
        names = StreamNames()
        js = nc.jetstream()
        await ensure_all(js, names, retention_days=vox.event_retention_days)
        options = reactor_consumer_options(vox)
        await ensure_reactor_consumer(js, names, **options)
        await ensure_commands_consumer(
            js, names, ack_wait=options["ack_wait"], max_deliver=options["max_deliver"]
        )
        await ensure_bot_consumer(
            js,
            names,
            max_deliver=server_max_deliver(
                delivery_policy(vox.delivery_max_attempts, vox.delivery_retry_max_seconds)
            ),
            ack_wait=vox.delivery_ack_wait_seconds,
        )
        print(
            f"streams ready: {names.events_stream}, {names.results_stream}, "
            f"{names.dead_letter_stream}, {names.commands_stream}; consumers ready: "
            f"{names.reactor_durable}, {names.commands_durable}, {names.bot_durable}"
        )
    finally:
        await nc.close()


def register(commands: Any) -> None:
    parser = commands.add_parser("streams", help="JetStream streams and consumers")
    sub = parser.add_subparsers(dest="streams_command", required=True)
    init = sub.add_parser("init", help="create or update the streams (idempotent)")
    init.set_defaults(handler=_run_init)


def _run_init(args: argparse.Namespace) -> int:
    asyncio.run(run_streams_init())
    return 0
