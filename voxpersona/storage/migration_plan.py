"""Migrating legacy recordings into MinIO: the pure part.

Legacy layout: ``<DIR>/<telegram_user_id>/<any sub-folders>/<file>``; a flat directory needs
``--user``. Each file gets a key of the scheme whose object id is derived from its relative path
and SHA-256, so a re-run plans the very same key (resumable, never duplicated).

The manifest is JSON Lines, appended and fsynced one record at a time: a ``started`` header,
then ``uploaded`` (this migration created the object), ``present`` (the object was already there:
not ours to roll back) and ``rolled_back`` records. Its state is the fold of its records.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import Any, Literal

from voxpersona.contracts.keys import new_audio_key
from voxpersona.contracts.metadata import MIGRATION_SOURCE, RecordingMetadata
from voxpersona.contracts.metadata_budget import META_PREFIX

MANIFEST_NAME = ".voxpersona-migration.jsonl"
SHA256_META = "x-amz-meta-sha256"
MIGRATION_META = "x-amz-meta-migration-id"
_NAMESPACE = uuid.UUID("8d3f9a52-4c1e-4f0b-9a7d-2b6c1e0f5a13")  # VoxPersona legacy migration

RecordKind = Literal["started", "uploaded", "present", "rolled_back"]


class ManifestError(ValueError):
    """The manifest is unreadable or belongs to another source."""


@dataclass(frozen=True, slots=True)
class LegacyFile:
    """One file found in the legacy directory, hashed."""

    relative_path: str  # POSIX, relative to the source directory
    size: int
    mtime_ns: int
    sha256: str
    extension: str
    content_type: str


@dataclass(frozen=True, slots=True)
class PlannedUpload:
    file: LegacyFile
    user_id: int
    key: str
    metadata: dict[str, str]


def user_id_for(relative_path: str, default_user: int | None) -> int | None:
    """The Telegram user a legacy file belongs to: its top folder if numeric, else the default."""
    parts = PurePosixPath(relative_path).parts
    if len(parts) > 1 and parts[0].isdigit() and int(parts[0]) > 0:
        return int(parts[0])
    return default_user


def plan_upload(file: LegacyFile, *, user_id: int, migration_id: str) -> PlannedUpload:
    """The key and metadata a legacy file is uploaded with."""
    object_id = uuid.uuid5(_NAMESPACE, f"{file.relative_path}\0{file.sha256}")
    day = datetime.fromtimestamp(file.mtime_ns / 1e9, tz=UTC)
    key = new_audio_key(user_id, file.extension, now=day, object_id=object_id)
    recording = RecordingMetadata(
        user_id=user_id,
        chat_id=user_id,  # legacy recordings came from private chats
        original_name=PurePosixPath(file.relative_path).name[:1024],
        source=MIGRATION_SOURCE,
    )
    # One budget for all of it: MinIO refuses more than 2 KiB of user metadata.
    metadata = recording.to_headers(
        extra={
            SHA256_META.removeprefix(META_PREFIX): file.sha256,
            MIGRATION_META.removeprefix(META_PREFIX): migration_id,
        }
    )
    return PlannedUpload(file=file, user_id=user_id, key=str(key), metadata=metadata)


# ---------------------------------------------------------------- manifest


@dataclass(frozen=True, slots=True)
class ManifestRecord:
    kind: RecordKind
    fields: Mapping[str, Any]

    def to_line(self) -> str:
        return json.dumps({"event": self.kind, **self.fields}, ensure_ascii=False) + "\n"


@dataclass(frozen=True, slots=True)
class ObjectRecord:
    """What the manifest says about one legacy file's object."""

    path: str
    key: str
    size: int
    sha256: str
    mtime_ns: int
    etag: str | None
    created: bool  # uploaded by this migration (rollback removes it) or found present
    rolled_back: bool = False


@dataclass(slots=True)
class ManifestState:
    migration_id: str | None = None
    source: str | None = None
    bucket: str | None = None
    objects: dict[str, ObjectRecord] = field(default_factory=dict)  # by relative path

    def active(self) -> list[ObjectRecord]:
        return [o for o in self.objects.values() if not o.rolled_back]


def started_record(*, migration_id: str, source: str, bucket: str, at: datetime) -> ManifestRecord:
    return ManifestRecord(
        "started",
        {"migration_id": migration_id, "source": source, "bucket": bucket, "at": at.isoformat()},
    )


def object_record(
    kind: Literal["uploaded", "present"], plan: PlannedUpload, etag: str | None, at: datetime
) -> ManifestRecord:
    file = plan.file
    return ManifestRecord(
        kind,
        {
            "path": file.relative_path,
            "key": plan.key,
            "size": file.size,
            "sha256": file.sha256,
            "mtime_ns": file.mtime_ns,
            "etag": etag,
            "at": at.isoformat(),
        },
    )


def rolled_back_record(path: str, key: str, at: datetime) -> ManifestRecord:
    return ManifestRecord("rolled_back", {"path": path, "key": key, "at": at.isoformat()})


def read_manifest(lines: Iterable[str]) -> ManifestState:
    """Fold the manifest's records into its state; a torn last line (crash) is ignored."""
    state = ManifestState()
    rows = [line for line in lines if line.strip()]
    for number, line in enumerate(rows, start=1):
        try:
            record = json.loads(line)
            _apply(state, record)
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(rows):
                break  # the write that was cut off by a crash: that file is simply redone
            raise ManifestError(f"manifest line {number} unreadable: {exc}") from None
    return state


def _apply(state: ManifestState, record: Mapping[str, Any]) -> None:
    event = record["event"]
    if event == "started":
        if state.migration_id is None:
            state.migration_id = str(record["migration_id"])
            state.source, state.bucket = str(record["source"]), str(record["bucket"])
    elif event in {"uploaded", "present"}:
        previous = state.objects.get(record["path"])
        state.objects[record["path"]] = ObjectRecord(
            path=str(record["path"]),
            key=str(record["key"]),
            size=int(record["size"]),
            sha256=str(record["sha256"]),
            mtime_ns=int(record["mtime_ns"]),
            etag=record.get("etag"),
            # Once this migration created the object it stays ours, whatever a re-run sees.
            created=event == "uploaded" or bool(previous and previous.created),
        )
    elif event == "rolled_back":
        found = state.objects.get(record["path"])
        if found is not None and found.key == record["key"]:
            state.objects[record["path"]] = replace(found, rolled_back=True)
    else:
        raise ValueError(f"unknown event {event!r}")


def already_done(state: ManifestState, *, path: str, size: int, mtime_ns: int) -> bool:
    """Whether a re-run may skip this file without even hashing it."""
    found = state.objects.get(path)
    return (
        found is not None
        and not found.rolled_back
        and (found.size, found.mtime_ns) == (size, mtime_ns)
    )
