"""``voxpersona streams init``: what the compose init service runs before MinIO starts."""

from __future__ import annotations

import nats

from voxpersona.contracts.subjects import StreamNames
from voxpersona.jetstream import ensure_all
from voxpersona.settings import NatsSettings, VoxSettings, load_settings


async def run_streams_init() -> None:
    nats_settings = load_settings(NatsSettings)
    vox = load_settings(VoxSettings)
    nc = await nats.connect(nats_settings.url)
    try:
        names = StreamNames()
        await ensure_all(nc.jetstream(), names, retention_days=vox.event_retention_days)
        print(
            f"streams ready: {names.events_stream}, {names.results_stream}, "
            f"{names.dead_letter_stream}"
        )
    finally:
        await nc.close()
