"""``voxpersona index``: the passage index behind "ask my recordings".

    voxpersona index rebuild [--user ID] [--force]   (re)index transcripts already in PostgreSQL
    voxpersona index status [--json]                 size and lag (exit 0 ok, 1 degraded, 2 down)

Rebuild indexes finished recordings that were never indexed, were indexed with another
embedding model (``VOXPERSONA_EMBEDDING_*``) or whose transcript changed since; ``--force``
re-indexes all of them. Reads ``DATABASE_URL``.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from typing import Any

import asyncpg
from tqdm import tqdm

from voxpersona.embeddings import EmbeddingError, EmbeddingSettings, build_embedder
from voxpersona.logging import SecretRedactor, configure_logging
from voxpersona.observability.health import HealthReport, exit_code
from voxpersona.observability.probes.passages_probe import probe_passage_index
from voxpersona.observability.report import render_json, render_table
from voxpersona.passages import PassageIndexer, PassageStore, ensure_schema
from voxpersona.passages.indexer import count_transcripts
from voxpersona.settings import DatabaseSettings, load_settings

EXIT_OK, EXIT_ERROR = 0, 2


async def rebuild(dsn: str, embedding: EmbeddingSettings, args: argparse.Namespace) -> int:
    embedder = build_embedder(embedding)
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=2)
    try:
        async with pool.acquire() as conn:
            pgvector = await ensure_schema(conn)
        total = await count_transcripts(pool, user_id=args.user)
        store = PassageStore(pool, pgvector=pgvector)
        indexer = PassageIndexer(store, embedder)
        bar = tqdm(total=total, unit="rec", disable=not sys.stderr.isatty())
        started = time.perf_counter()
        try:
            report = await indexer.rebuild(
                pool, user_id=args.user, force=args.force, progress=bar.update
            )
        finally:
            bar.close()
        elapsed = time.perf_counter() - started
        if report.indexed:
            await store.analyze()
    finally:
        await pool.close()
    rate = report.passages / elapsed if elapsed > 0 else 0.0
    print(
        f"indexed {report.indexed} recording(s), {report.passages} passage(s)"
        f" ({rate:.1f} passages/s); {report.unchanged} unchanged, {report.gone} gone;"
        f" model {embedder.model_id}; vectors in {'pgvector' if pgvector else 'bytea (exact scan)'}"
    )
    return EXIT_OK


async def status(dsn: str, embedding: EmbeddingSettings, args: argparse.Namespace) -> int:
    model_id = build_embedder(embedding).model_id
    health = await probe_passage_index(dsn, model_id, timeout=args.timeout)
    report = HealthReport((health,))
    redactor = SecretRedactor([dsn])
    print(render_json(report, redactor) if args.json else render_table(report, redactor))
    return exit_code(report.status)


ACTIONS = {"rebuild": rebuild, "status": status}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "index", help="the passage index of 'ask my recordings': rebuild, status"
    )
    parser.add_argument("action", choices=sorted(ACTIONS))
    parser.add_argument("--user", type=int, help="rebuild: only this Telegram user's recordings")
    parser.add_argument("--force", action="store_true", help="rebuild: re-index everything")
    parser.add_argument("--json", action="store_true", help="status: machine-readable output")
    parser.add_argument("--timeout", type=float, default=5.0, help="status: seconds (default 5)")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    database = load_settings(DatabaseSettings)
    embedding = load_settings(EmbeddingSettings)
    dsn = database.url.get_secret_value()
    secrets = [dsn] + ([embedding.api_key.get_secret_value()] if embedding.api_key else [])
    configure_logging(level="WARNING", secrets=secrets)
    try:
        return asyncio.run(ACTIONS[args.action](dsn, embedding, args))
    except EmbeddingError as exc:
        print(f"error: embedding failed ({exc.code}): {exc}")
        return EXIT_ERROR
    except (OSError, asyncpg.PostgresError) as exc:
        print(f"error: database: {type(exc).__name__}")
        return EXIT_ERROR
