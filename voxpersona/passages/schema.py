"""The passages schema: its migration, and pgvector where the server has it.

The migration (``migrations/0001_passages.sql``) is self-contained and idempotent, so it can run
under the project's migration runner (:mod:`voxpersona.recordings.schema`) as its next numbered
file or, until then, through :func:`ensure_schema` at start-up, after that runner. pgvector is
optional: :func:`enable_pgvector` adds a ``vector`` column beside the portable ``bytea`` one
when the extension can be created, and search uses whichever exists.
"""

from __future__ import annotations

from importlib import resources

import asyncpg

from voxpersona.logging import get_logger

log = get_logger(__name__)
MIGRATION_FILE = "0001_passages.sql"
# The advisory lock voxpersona.recordings.schema's runner takes: one migrator at a time.
_MIGRATION_LOCK_ID = 0x766F7870


def migration_sql() -> str:
    """The passages migration's SQL."""
    return (
        resources.files("voxpersona.passages.migrations")
        .joinpath(MIGRATION_FILE)
        .read_text("utf-8")
    )


async def ensure_schema(conn: asyncpg.Connection, *, pgvector: bool = True) -> bool:
    """Create the passages tables (after the recordings migrations); True when the pgvector
    column is there. ``pgvector=False`` never tries the extension."""
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK_ID)
        await conn.execute(migration_sql())
    return await enable_pgvector(conn) if pgvector else await has_vector_column(conn)


async def has_vector_column(conn: asyncpg.Connection) -> bool:
    """Is ``passages.embedding_vector`` (pgvector) present?"""
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM information_schema.columns"
        " WHERE table_name = 'passages' AND column_name = 'embedding_vector'"
        " AND table_schema = current_schema())"
    )
    return found


async def enable_pgvector(conn: asyncpg.Connection) -> bool:
    """Add the pgvector column when the server offers the extension and we may create it."""
    if await has_vector_column(conn):
        return True
    available = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'vector')"
    )
    if not available:
        log.info("passages.pgvector_absent", search="exact scan")
        return False
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock($1)", _MIGRATION_LOCK_ID)
            await conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
            # No fixed dimension: the model (and so the width) is a setting. Searches are exact
            # scans of one user's rows, which need no index (an ANN index filtered by user
            # would lose recall); the bytea column stays the source of truth.
            await conn.execute(
                "ALTER TABLE passages ADD COLUMN IF NOT EXISTS embedding_vector vector"
            )
            # Kept in the row rather than TOASTed (pgvector's default is EXTERNAL): a search
            # reads every vector of the user, and fetching each one out of line made the scan
            # of 10,000 passages about three times slower (bench/ask.py).
            await conn.execute(
                "ALTER TABLE passages ALTER COLUMN embedding_vector SET STORAGE PLAIN"
            )
    except asyncpg.InsufficientPrivilegeError:
        log.warning("passages.pgvector_denied", search="exact scan")
        return False
    return True
