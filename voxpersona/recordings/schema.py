"""The database's versioned SQL migrations, applied at reactor start-up under an advisory lock so
several reactor processes starting together apply each migration exactly once.

The files live in ``voxpersona/recordings/migrations`` (one version line, ``schema_migrations``,
already applied in the field up to 0004). To add a table or a column, add the next numbered file
``NNNN_what.sql``: versions must be 1..N without gaps. 0003 and 0004 also created the bot's own
tables (``bot_users``, ``bot_invites``, ``bot_uploads``, ``bot_usage``); their rows stay the bot's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import asyncpg

from voxpersona.logging import get_logger

log = get_logger(__name__)
_MIGRATION_NAME = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
# Any constant shared by all reactors; pg_advisory_xact_lock serialises the migrators.
_LOCK_ID = 0x766F7870  # "voxp"


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def load_migrations() -> list[Migration]:
    """The migrations shipped in ``voxpersona/recordings/migrations``, in version order."""
    found = []
    for entry in resources.files("voxpersona.recordings.migrations").iterdir():
        match = _MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match["version"]), match["name"], entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if versions != list(range(1, len(found) + 1)):
        raise RuntimeError(f"migration versions must be 1..N without gaps, found {versions}")
    return found


async def current_version(conn: asyncpg.Connection) -> int:
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    if not exists:
        return 0
    version: int | None = await conn.fetchval("SELECT max(version) FROM schema_migrations")
    return version or 0


def required_version() -> int:
    """The newest migration shipped with this code."""
    return load_migrations()[-1].version


async def migrate(conn: asyncpg.Connection) -> list[int]:
    """Apply pending migrations; return the versions applied."""
    applied: list[int] = []
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_ID)
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version integer PRIMARY KEY, name text NOT NULL,"
            " applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = await current_version(conn)
        for migration in load_migrations():
            if migration.version <= done:
                continue
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                migration.version,
                migration.name,
            )
            applied.append(migration.version)
    if applied:
        log.info("db.migrated", versions=applied)
    return applied
