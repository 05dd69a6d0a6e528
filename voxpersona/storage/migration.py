"""Migrating legacy recordings into MinIO: scanning, uploading, validating, rolling back.

The plan and the manifest format are pure (:mod:`voxpersona.storage.migration_plan`); this
module does the disk and MinIO work. Every upload is recorded in the manifest before the next
one starts, so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from voxpersona.contracts.metadata import MIGRATION_SOURCE
from voxpersona.logging import get_logger
from voxpersona.sniffing import SNIFF_BYTES, sniff_audio
from voxpersona.storage.errors import StorageNotFoundError
from voxpersona.storage.migration_plan import (
    MANIFEST_NAME,
    SHA256_META,
    LegacyFile,
    ManifestError,
    ManifestRecord,
    ManifestState,
    ObjectRecord,
    PlannedUpload,
    already_done,
    object_record,
    plan_upload,
    read_manifest,
    rolled_back_record,
    started_record,
    user_id_for,
)
from voxpersona.storage.minio_store import MinioObjectStore

log = get_logger(__name__)
_HASH_CHUNK = 1024 * 1024

Progress = Callable[[int], None]  # bytes of the current run done so far


@dataclass(slots=True)
class MigrationReport:
    uploaded: int = 0
    present: int = 0
    resumed: int = 0  # skipped: done by an earlier run of this migration
    bytes_uploaded: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    planned: list[PlannedUpload] = field(default_factory=list)  # dry run: what would go


@dataclass(slots=True)
class ValidationReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class RollbackReport:
    removed: int = 0
    already_gone: int = 0
    kept: list[str] = field(default_factory=list)  # not removed, with the reason


class Manifest:
    """The manifest file: read once, then appended to durably."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> ManifestState:
        if not self.path.exists():
            return ManifestState()
        with self.path.open(encoding="utf-8") as handle:
            return read_manifest(handle)

    def append(self, record: ManifestRecord) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            handle.write(record.to_line())
            handle.flush()
            os.fsync(handle.fileno())


def default_manifest(source: Path) -> Path:
    return source / MANIFEST_NAME


def legacy_files(source: Path, manifest: Path) -> Iterator[Path]:
    """Regular files under ``source`` in a stable order (symlinks and the manifest skipped)."""
    for path in sorted(source.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.resolve() != manifest.resolve():
            yield path


def inspect(source: Path, path: Path) -> LegacyFile | str:
    """Hash and recognise one file; a string says why it is skipped."""
    relative = path.relative_to(source).as_posix()
    stat = path.stat()
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
        digest.update(head)
        while chunk := handle.read(_HASH_CHUNK):
            digest.update(chunk)
    kind = sniff_audio(head)
    if kind is None:
        return "not a recognised audio container"
    return LegacyFile(
        relative,
        stat.st_size,
        stat.st_mtime_ns,
        digest.hexdigest(),
        kind.extension,
        kind.content_type,
    )


async def migrate(
    store: MinioObjectStore,
    source: Path,
    *,
    manifest_path: Path,
    default_user: int | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> MigrationReport:
    """Upload every legacy recording not yet migrated; record each in the manifest."""
    manifest = Manifest(manifest_path)
    state = await asyncio.to_thread(manifest.load)
    migration_id = _check_or_start(state, manifest, source, store.audio_bucket, dry_run)
    report = MigrationReport()
    done_bytes = 0
    for path in await asyncio.to_thread(lambda: list(legacy_files(source, manifest_path))):
        relative = path.relative_to(source).as_posix()
        stat = await asyncio.to_thread(path.stat)
        if already_done(state, path=relative, size=stat.st_size, mtime_ns=stat.st_mtime_ns):
            report.resumed += 1
            done_bytes += stat.st_size
            _report_progress(progress, done_bytes)
            continue
        plan = await _plan(source, path, relative, default_user, migration_id, report)
        if plan is not None and dry_run:
            report.planned.append(plan)
        elif plan is not None:
            await _upload(store, manifest, source, plan, report, progress, done_bytes)
        done_bytes += stat.st_size
        _report_progress(progress, done_bytes)
    return report


def _report_progress(progress: Progress | None, done: int) -> None:
    if progress is not None:
        progress(done)


def _check_or_start(
    state: ManifestState, manifest: Manifest, source: Path, bucket: str, dry_run: bool
) -> str:
    if state.migration_id is not None:
        if state.source != str(source.resolve()) or state.bucket != bucket:
            raise ManifestError(
                f"{manifest.path} belongs to a migration of {state.source} into {state.bucket}"
            )
        return state.migration_id
    migration_id = uuid.uuid4().hex
    if not dry_run:
        record = started_record(
            migration_id=migration_id,
            source=str(source.resolve()),
            bucket=bucket,
            at=datetime.now(UTC),
        )
        manifest.append(record)
    return migration_id


async def _plan(
    source: Path,
    path: Path,
    relative: str,
    default_user: int | None,
    migration_id: str,
    report: MigrationReport,
) -> PlannedUpload | None:
    user_id = user_id_for(relative, default_user)
    if user_id is None:
        report.skipped.append((relative, "no user id: not under <user_id>/ and no --user"))
        return None
    found = await asyncio.to_thread(inspect, source, path)
    if isinstance(found, str):
        report.skipped.append((relative, found))
        return None
    return plan_upload(found, user_id=user_id, migration_id=migration_id)


async def _upload(
    store: MinioObjectStore,
    manifest: Manifest,
    source: Path,
    plan: PlannedUpload,
    report: MigrationReport,
    progress: Progress | None,
    done_before: int,
) -> None:
    existing = await _sha_of_existing(store, plan.key)
    if existing == plan.file.sha256:  # e.g. uploaded just before a crash, or by another run
        etag = (await store.stat(store.audio_bucket, plan.key)).etag
        await asyncio.to_thread(manifest.append, object_record("present", plan, etag, _now()))
        report.present += 1
        return
    info = await store.put_file(
        store.audio_bucket,
        plan.key,
        source / plan.file.relative_path,
        content_type=plan.file.content_type,
        metadata=plan.metadata,
        tags={"user-id": str(plan.user_id), "source": MIGRATION_SOURCE},
        progress=(lambda sent: progress(done_before + sent)) if progress else None,
    )
    await asyncio.to_thread(manifest.append, object_record("uploaded", plan, info.etag, _now()))
    report.uploaded += 1
    report.bytes_uploaded += plan.file.size
    log.info("migration.uploaded", path=plan.file.relative_path, key=plan.key)


def _now() -> datetime:
    return datetime.now(UTC)


async def _sha_of_existing(store: MinioObjectStore, key: str) -> str | None:
    try:
        info = await store.stat(store.audio_bucket, key)
    except StorageNotFoundError:
        return None
    return meta_value(info.metadata, SHA256_META)


def meta_value(metadata: Mapping[str, str], name: str) -> str | None:
    """A user-metadata value, whatever case MinIO used for the header name."""
    for header, value in metadata.items():
        if header.lower() == name:
            return value
    return None


# ---------------------------------------------------------------- validate and roll back


async def validate(
    store: MinioObjectStore, manifest_path: Path, *, deep: bool = False
) -> ValidationReport:
    """Compare every migrated object with the manifest: size and SHA-256 (metadata, or the
    bytes themselves with ``deep``)."""
    state = await asyncio.to_thread(Manifest(manifest_path).load)
    report = ValidationReport()
    for record in state.active():
        report.checked += 1
        problem = await _validate_one(store, state.bucket or store.audio_bucket, record, deep)
        if problem is not None:
            report.problems.append(f"{record.path} -> {record.key}: {problem}")
    return report


async def _validate_one(
    store: MinioObjectStore, bucket: str, record: ObjectRecord, deep: bool
) -> str | None:
    try:
        info = await store.stat(bucket, record.key)
    except StorageNotFoundError:
        return "object missing"
    if info.size != record.size:
        return f"size {info.size}, expected {record.size}"
    if meta_value(info.metadata, SHA256_META) != record.sha256:
        return "sha256 metadata differs from the manifest"
    if deep:
        digest = hashlib.sha256()
        async for chunk in store.iter_object(bucket, record.key):
            digest.update(chunk)
        if digest.hexdigest() != record.sha256:
            return "content checksum differs from the manifest"
    return None


async def rollback(store: MinioObjectStore, manifest_path: Path) -> RollbackReport:
    """Remove exactly the objects this migration created and that are still as it left them."""
    manifest = Manifest(manifest_path)
    state = await asyncio.to_thread(manifest.load)
    bucket = state.bucket or store.audio_bucket
    report = RollbackReport()
    for record in state.active():
        if not record.created:
            report.kept.append(f"{record.key}: existed before this migration")
            continue
        try:
            info = await store.stat(bucket, record.key)
        except StorageNotFoundError:
            report.already_gone += 1
        else:
            if record.etag is not None and info.etag != record.etag:
                report.kept.append(f"{record.key}: changed since the migration (eTag differs)")
                continue
            await store.delete(bucket, record.key)
            report.removed += 1
        await asyncio.to_thread(
            manifest.append, rolled_back_record(record.path, record.key, _now())
        )
    return report
