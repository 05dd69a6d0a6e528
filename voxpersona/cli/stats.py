"""``voxpersona stats``: the seed's KPIs from the services' ``/metrics`` and the recordings index.

Scrapes every ``--metrics-url`` (default: this machine's reactor and bot) and sums them, so
several reactors behind one command add up; storage usage and growth come from PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

import aiohttp
import asyncpg

from voxpersona.observability.kpis import KpiReport, Samples, compute, render
from voxpersona.observability.runtime import status_token
from voxpersona.observability.usage import (
    ProcessingTimes,
    StorageUsage,
    storage_usage,
    ten_mb_processing,
)
from voxpersona.settings import DatabaseSettings, VoxSettings, load_settings


async def scrape(
    urls: list[str], token: str | None, *, timeout: float
) -> tuple[Samples, list[str]]:
    """Every endpoint's samples summed; a source line per endpoint (read, or why not)."""
    samples = Samples()
    sources = []
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
        for url in urls:
            try:
                async with session.get(url, headers=headers) as response:
                    if response.status != 200:
                        sources.append(f"{url}: HTTP {response.status}")
                        continue
                    samples.add_text(await response.text())
                    sources.append(f"{url}: read")
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                sources.append(f"{url}: unreachable ({type(exc).__name__})")
    return samples, sources


async def read_index(
    dsn: str, *, days: int, timeout: float
) -> tuple[StorageUsage | None, ProcessingTimes | None, str]:
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return None, None, f"recordings index: unreachable ({type(exc).__name__})"
    try:
        usage = await storage_usage(conn, days=days)
        times = await ten_mb_processing(conn)
    except asyncpg.PostgresError as exc:
        return None, None, f"recordings index: {type(exc).__name__}"
    finally:
        await conn.close()
    return usage, times, "recordings index: read"


async def collect(urls: list[str], *, days: int, timeout: float) -> KpiReport:
    vox = load_settings(VoxSettings)
    database = load_settings(DatabaseSettings)
    samples, sources = await scrape(urls, status_token(vox), timeout=timeout)
    usage, times, index_source = await read_index(
        database.url.get_secret_value(), days=days, timeout=timeout
    )
    return compute(samples, storage=usage, index_times=times, sources=[*sources, index_source])


def default_urls() -> list[str]:
    vox = load_settings(VoxSettings)
    return [
        f"http://{vox.http_host}:{port}/metrics"
        for port in (vox.http_port, vox.bot_http_port)
        if port
    ]


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "stats", help="KPIs: upload success, processing time, MinIO availability, storage"
    )
    parser.add_argument(
        "--metrics-url",
        action="append",
        dest="urls",
        help="a service's /metrics URL; repeat for several (default: this machine's reactor "
        "and bot on VOXPERSONA_HTTP_PORT and VOXPERSONA_BOT_HTTP_PORT)",
    )
    parser.add_argument("--days", type=int, default=14, help="storage growth window (default 14)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    urls = args.urls or default_urls()
    report = asyncio.run(collect(urls, days=args.days, timeout=args.timeout))
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2, default=str))
    else:
        print(render(report))
    return 0
