"""``voxpersona migrate``: legacy recordings into MinIO, resumable, verifiable, reversible.

    voxpersona migrate --from DIR [--user ID] [--dry-run]   upload (resumes an earlier run)
    voxpersona migrate validate --from DIR [--deep]         sizes and checksums vs the manifest
    voxpersona migrate rollback --from DIR                  remove what this migration created

Files live under ``DIR/<telegram_user_id>/...`` (or anywhere, with ``--user``). The manifest
defaults to ``DIR/.voxpersona-migration.jsonl`` (``--manifest`` to keep it elsewhere). Uploads
produce MinIO events like any upload: the reactor processes migrated recordings too.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tqdm import tqdm

from voxpersona.logging import configure_logging
from voxpersona.settings import MinioSettings, load_settings
from voxpersona.storage import MinioObjectStore, StorageError
from voxpersona.storage.migration import (
    MigrationReport,
    default_manifest,
    legacy_files,
    migrate,
    rollback,
    validate,
)
from voxpersona.storage.migration_plan import ManifestError

EXIT_OK, EXIT_PROBLEMS, EXIT_ERROR = 0, 1, 2


@contextmanager
def progress_bar(total: int) -> Iterator[Callable[[int], None]]:
    """A byte progress bar on a terminal; nothing when output goes to a file or pipe."""
    bar = tqdm(total=total, unit="B", unit_scale=True, disable=not sys.stdout.isatty())

    def update(done: int) -> None:
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


async def run_migrate(args: argparse.Namespace, store: MinioObjectStore) -> int:
    source: Path = args.source
    manifest = args.manifest or default_manifest(source)
    total = sum(p.stat().st_size for p in legacy_files(source, manifest))
    with progress_bar(total) as update:
        report = await migrate(
            store,
            source,
            manifest_path=manifest,
            default_user=args.user,
            dry_run=args.dry_run,
            progress=update,
        )
    _print_migration(report, dry_run=args.dry_run, manifest=manifest)
    return EXIT_OK


def _print_migration(report: MigrationReport, *, dry_run: bool, manifest: Path) -> None:
    for path, reason in report.skipped:
        print(f"skipped: {path}: {reason}")
    if dry_run:
        for plan in report.planned:
            print(f"would upload: {plan.file.relative_path} -> {plan.key} ({plan.file.size} B)")
        size = sum(p.file.size for p in report.planned)
        print(f"dry run: {len(report.planned)} file(s), {size} bytes would be uploaded")
        return
    print(
        f"uploaded {report.uploaded} file(s) ({report.bytes_uploaded} bytes), "
        f"{report.present} already present, {report.resumed} done earlier, "
        f"{len(report.skipped)} skipped; manifest: {manifest}"
    )


async def run_validate(args: argparse.Namespace, store: MinioObjectStore) -> int:
    report = await validate(store, args.manifest or default_manifest(args.source), deep=args.deep)
    for problem in report.problems:
        print(f"mismatch: {problem}")
    print(f"validated {report.checked} object(s): {len(report.problems)} problem(s)")
    return EXIT_PROBLEMS if report.problems else EXIT_OK


async def run_rollback(args: argparse.Namespace, store: MinioObjectStore) -> int:
    report = await rollback(store, args.manifest or default_manifest(args.source))
    for kept in report.kept:
        print(f"kept: {kept}")
    print(f"removed {report.removed} object(s), {report.already_gone} already gone")
    return EXIT_OK


ACTIONS = {"run": run_migrate, "validate": run_validate, "rollback": run_rollback}


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "migrate", help="upload legacy recordings into MinIO (validate, rollback)"
    )
    parser.add_argument("action", nargs="?", choices=sorted(ACTIONS), default="run")
    parser.add_argument("--from", dest="source", type=Path, required=True, help="legacy directory")
    parser.add_argument("--manifest", type=Path, help="manifest file (default: in the directory)")
    parser.add_argument("--user", type=int, help="Telegram user id for files not under <id>/")
    parser.add_argument("--dry-run", action="store_true", help="plan only: upload nothing")
    parser.add_argument("--deep", action="store_true", help="validate: hash the objects' bytes")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    if not args.source.is_dir():
        print(f"error: {args.source} is not a directory")
        return EXIT_ERROR
    settings = load_settings(MinioSettings)
    configure_logging(level="WARNING", secrets=[settings.secret_key.get_secret_value()])
    store = MinioObjectStore(settings)
    try:
        code: int = asyncio.run(ACTIONS[args.action](args, store))
    except (StorageError, ManifestError) as exc:
        print(f"error: {exc}")
        return EXIT_ERROR
    return code
