"""PostgreSQL: connect and read the migration level."""

from __future__ import annotations

import contextlib

import asyncpg

from voxpersona.observability.health import DependencyHealth, down, judge_migrations, ok


async def migration_level(conn: asyncpg.Connection) -> int:
    """The applied schema version (0: never migrated; see ``voxpersona.recordings.schema``)."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    version: int | None = await conn.fetchval("SELECT max(version) FROM schema_migrations")
    return version or 0


async def probe_postgres(
    dsn: str, *, expected_version: int | None, timeout: float = 5.0
) -> DependencyHealth:
    """``expected_version``: the newest migration this release ships (None: don't compare)."""
    try:
        conn = await asyncpg.connect(dsn, timeout=timeout)
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        # Never the DSN itself: it may carry the password.
        detail = f"cannot connect: {type(exc).__name__}"
        if isinstance(exc, asyncpg.PostgresError):
            detail += f" ({exc.sqlstate})"
        return DependencyHealth("postgres", (down("connect", detail),))
    try:
        server = await conn.fetchval("SHOW server_version", timeout=timeout)
        level = await migration_level(conn)
    except (OSError, TimeoutError, asyncpg.PostgresError) as exc:
        return DependencyHealth("postgres", (down("query", f"failed: {type(exc).__name__}"),))
    finally:
        with contextlib.suppress(Exception):
            await conn.close(timeout=timeout)
    connected = ok("connect", f"connected (PostgreSQL {server})", server_version=server)
    return DependencyHealth("postgres", (connected, judge_migrations(level, expected_version)))
