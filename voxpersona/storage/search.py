"""Finding recordings by their metadata.

MinIO cannot search user metadata, so PostgreSQL is the index: the reactor writes one row per
object version with the fields the bot put into the object's metadata (user, chat, original
name, content type, size). Object user-metadata and tags mirror those fields, so the index can
be rebuilt from the bucket. The query is built by a pure function; only :class:`RecordingSearch`
touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

MAX_RESULTS = 1000
_COLUMNS = (
    "bucket, object_key, etag, user_id, chat_id, original_name, content_type, size_bytes,"
    " status, audio_state, created_at"
)


@dataclass(frozen=True, slots=True)
class RecordingFilter:
    """All given fields must match. ``name_contains`` is a substring matched with ``ILIKE``:
    case-insensitive as the database's ``LC_CTYPE`` defines it (a UTF-8 locale folds Cyrillic,
    the C locale only ASCII)."""

    user_id: int | None = None
    chat_id: int | None = None
    status: str | None = None
    content_type: str | None = None
    name_contains: str | None = None
    created_from: datetime | None = None
    created_before: datetime | None = None
    present_only: bool = True
    limit: int = 100


@dataclass(frozen=True, slots=True)
class RecordingHit:
    """One recording found: where its object is and what is known about it."""

    bucket: str
    object_key: str
    etag: str
    user_id: int
    chat_id: int
    original_name: str | None
    content_type: str | None
    size_bytes: int | None
    status: str
    audio_state: str
    created_at: datetime


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def build_search(criteria: RecordingFilter) -> tuple[str, list[Any]]:
    """The SQL and its arguments for ``criteria``; values are always bound, never inlined."""
    if not 1 <= criteria.limit <= MAX_RESULTS:
        raise ValueError(f"limit must be between 1 and {MAX_RESULTS}")
    clauses: list[str] = []
    args: list[Any] = []

    def where(sql: str, value: Any) -> None:
        args.append(value)
        clauses.append(sql.format(f"${len(args)}"))

    equal = {
        "user_id": criteria.user_id,
        "chat_id": criteria.chat_id,
        "status": criteria.status,
        "content_type": criteria.content_type,
    }
    for column, value in equal.items():
        if value is not None:
            where(f"{column} = {{}}", value)
    if criteria.name_contains:
        where("original_name ILIKE {}", _like_pattern(criteria.name_contains))
    if criteria.created_from is not None:
        where("created_at >= {}", criteria.created_from)
    if criteria.created_before is not None:
        where("created_at < {}", criteria.created_before)
    if criteria.present_only:
        clauses.append("audio_state = 'present'")
    condition = " AND ".join(clauses) or "TRUE"
    args.append(criteria.limit)
    sql = (
        f"SELECT {_COLUMNS} FROM recordings WHERE {condition}"
        f" ORDER BY created_at DESC, id LIMIT ${len(args)}"
    )
    return sql, args


class RecordingSearch:
    """Runs :func:`build_search` queries against the recordings table."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def search(self, criteria: RecordingFilter) -> list[RecordingHit]:
        sql, args = build_search(criteria)
        async with self._pool.acquire() as conn:
            rows = await conn.fetch(sql, *args)
        return [RecordingHit(**dict(row)) for row in rows]
