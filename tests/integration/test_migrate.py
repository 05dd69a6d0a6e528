"""``voxpersona migrate`` against a real S3 server: migrate → validate → rollback, resuming,
and never touching objects this migration did not create. Fresh buckets per test."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.audio import ogg_opus
from tests.cli import minio_env, run_voxpersona
from tests.stacks import Stack
from voxpersona.contracts.keys import parse_audio_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.storage import MinioObjectStore
from voxpersona.storage.migration import default_manifest, migrate, rollback, validate
from voxpersona.storage.migration_plan import SHA256_META


def fresh_store(stack: Stack) -> MinioObjectStore:
    suffix = uuid.uuid4().hex[:10]
    return MinioObjectStore(
        stack.minio_settings(
            audio_bucket_name=f"vp-mig-a-{suffix}", bucket_name=f"vp-mig-r-{suffix}"
        )
    )


def legacy_dir(root: Path) -> dict[str, bytes]:
    """Two users' folders, a flat file, and a file that is not audio."""
    files = {
        "501/2024-01-10 встреча.ogg": ogg_opus(0.3, frequency=300.0),
        "501/old/note.oga": ogg_opus(0.2, frequency=320.0),
        "502/interview.ogg": ogg_opus(0.4, frequency=340.0),
        "flat.ogg": ogg_opus(0.2, frequency=360.0),
        "502/readme.txt": b"not audio at all",
    }
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return files


async def test_migrate_validate_rollback_round_trip(stack: Stack, tmp_path: Path) -> None:
    store = fresh_store(stack)
    await store.ensure_buckets()
    source = tmp_path / "legacy"
    files = legacy_dir(source)
    manifest = default_manifest(source)
    seen: list[int] = []

    dry = await migrate(store, source, manifest_path=manifest, dry_run=True)
    assert len(dry.planned) == 3
    assert not manifest.exists()
    assert await store.list_objects(store.audio_bucket, "audio/") == []

    report = await migrate(store, source, manifest_path=manifest, progress=seen.append)

    assert (report.uploaded, report.present, report.resumed) == (3, 0, 0)
    assert sorted(reason for _, reason in report.skipped) == [
        "no user id: not under <user_id>/ and no --user",
        "not a recognised audio container",
    ]
    assert seen[-1] == sum(len(d) for d in files.values())
    objects = await store.list_objects(store.audio_bucket, "audio/")
    assert sorted(parse_audio_key(o.key).user_id for o in objects) == [501, 501, 502]
    key = next(o.key for o in objects if o.size == len(files["502/interview.ogg"]))
    stat = await store.stat(store.audio_bucket, key)
    assert RecordingMetadata.from_user_metadata(stat.metadata).source == "migration"
    assert await store.get_bytes(store.audio_bucket, key) == files["502/interview.ogg"]

    again = await migrate(store, source, manifest_path=manifest, default_user=777)
    assert (again.uploaded, again.resumed) == (1, 3)  # only the flat file, now with --user

    checked = await validate(store, manifest, deep=True)
    assert (checked.checked, checked.problems) == (4, [])

    undone = await rollback(store, manifest)
    assert (undone.removed, undone.kept) == (4, [])
    assert await store.list_objects(store.audio_bucket, "audio/") == []
    assert (await validate(store, manifest)).checked == 0


async def test_validate_finds_tampering_and_rollback_spares_foreign_objects(
    stack: Stack, tmp_path: Path
) -> None:
    store = fresh_store(stack)
    await store.ensure_buckets()
    source = tmp_path / "legacy"
    files = legacy_dir(source)
    manifest = default_manifest(source)
    await migrate(store, source, manifest_path=manifest)
    objects = {o.size: o.key for o in await store.list_objects(store.audio_bucket, "audio/")}
    tampered = objects[len(files["501/old/note.oga"])]
    await store.put_bytes(
        store.audio_bucket,
        tampered,
        b"replaced",
        content_type="audio/ogg",
        metadata={SHA256_META: "0" * 64},
    )

    checked = await validate(store, manifest)
    assert len(checked.problems) == 1
    assert tampered in checked.problems[0]
    assert "size 8" in checked.problems[0]

    undone = await rollback(store, manifest)
    assert undone.removed == 2
    assert undone.kept == [f"{tampered}: changed since the migration (eTag differs)"]
    remaining = [o.key for o in await store.list_objects(store.audio_bucket, "audio/")]
    assert remaining == [tampered]


async def test_objects_already_present_are_recorded_but_never_rolled_back(
    stack: Stack, tmp_path: Path
) -> None:
    store = fresh_store(stack)
    await store.ensure_buckets()
    source = tmp_path / "legacy"
    legacy_dir(source)
    first_manifest = tmp_path / "first.jsonl"
    await migrate(store, source, manifest_path=first_manifest)

    # A second, independent migration of the same files finds them all in place.
    second = await migrate(store, source, manifest_path=tmp_path / "second.jsonl")
    assert (second.uploaded, second.present) == (0, 3)
    undone = await rollback(store, tmp_path / "second.jsonl")
    assert undone.removed == 0
    assert len(undone.kept) == 3
    assert len(await store.list_objects(store.audio_bucket, "audio/")) == 3


async def run_cli(store: MinioObjectStore, cwd: Path, *args: str) -> tuple[int, str]:
    return await run_voxpersona(
        "migrate", *args, env=minio_env(store.settings), drop=("MINIO_",), cwd=cwd
    )


async def test_cli_round_trip(stack: Stack, tmp_path: Path) -> None:
    store = fresh_store(stack)
    await store.ensure_buckets()
    source = tmp_path / "legacy"
    legacy_dir(source)

    code, output = await run_cli(store, tmp_path, "--from", str(source), "--user", "9")
    assert code == 0, output
    assert "uploaded 4 file(s)" in output
    assert "skipped: 502/readme.txt: not a recognised audio container" in output

    code, output = await run_cli(store, tmp_path, "validate", "--from", str(source), "--deep")
    assert (code, output.strip().splitlines()[-1]) == (0, "validated 4 object(s): 0 problem(s)")

    code, output = await run_cli(store, tmp_path, "rollback", "--from", str(source))
    assert code == 0, output
    assert "removed 4 object(s)" in output
