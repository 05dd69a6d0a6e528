"""``voxpersona health [--json]``: MinIO, NATS, PostgreSQL, the transcriber and the passage
index (size and lag), checked now.

Exit code 0 healthy, 1 degraded, 2 down. Reads the same environment as the services.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from reactor.app import chosen_engine, secrets_of
from voxpersona.embeddings import build_embedder
from voxpersona.logging import SecretRedactor
from voxpersona.observability.health import HealthReport, exit_code
from voxpersona.observability.probes.minio_probe import probe_minio
from voxpersona.observability.probes.nats_probe import probe_nats
from voxpersona.observability.probes.passages_probe import probe_passage_index
from voxpersona.observability.probes.postgres_probe import probe_postgres
from voxpersona.observability.probes.transcriber_probe import probe_transcriber
from voxpersona.observability.report import render_json, render_table
from voxpersona.recordings.schema import load_migrations
from voxpersona.settings import ReactorSettings, load_reactor_settings


async def health_report(settings: ReactorSettings, *, timeout: float) -> HealthReport:
    """Every dependency probed at once."""
    dependencies = await asyncio.gather(
        probe_minio(settings.minio, timeout=timeout),
        probe_nats(settings.nats.url, settings.streams, timeout=timeout),
        probe_postgres(
            settings.database.url.get_secret_value(),
            expected_version=len(load_migrations()),
            timeout=timeout,
        ),
        probe_transcriber(chosen_engine(settings), settings.openai, settings.vox, timeout=timeout),
        probe_passage_index(
            settings.database.url.get_secret_value(),
            build_embedder(settings.embedding).model_id,
            timeout=timeout,
        ),
    )
    return HealthReport(tuple(dependencies))


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "health",
        help="check MinIO, NATS, PostgreSQL, the transcriber and the passage index (exit 0 "
        "healthy, 1 degraded, 2 down)",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument(
        "--timeout", type=float, default=5.0, help="seconds each check may take (default 5)"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    settings = load_reactor_settings()
    report = asyncio.run(health_report(settings, timeout=args.timeout))
    redactor = SecretRedactor(secrets_of(settings))
    print(render_json(report, redactor) if args.json else render_table(report, redactor))
    return exit_code(report.status)
