"""Migration planning and the manifest: pure functions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from voxpersona.contracts.keys import parse_audio_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.contracts.metadata_budget import METADATA_BUDGET, metadata_size
from voxpersona.storage.migration_plan import (
    MIGRATION_META,
    SHA256_META,
    LegacyFile,
    ManifestError,
    already_done,
    object_record,
    plan_upload,
    read_manifest,
    rolled_back_record,
    started_record,
    user_id_for,
)

AT = datetime(2026, 4, 1, tzinfo=UTC)
FILE = LegacyFile(
    relative_path="123/2024/встреча.ogg",
    size=10,
    mtime_ns=int(datetime(2024, 2, 29, 13, tzinfo=UTC).timestamp() * 1e9),
    sha256="ab" * 32,
    extension="ogg",
    content_type="audio/ogg",
)


@pytest.mark.parametrize(
    ("path", "default", "user"),
    [
        ("123/a.ogg", None, 123),
        ("123/x/y/a.ogg", 7, 123),
        ("a.ogg", 7, 7),
        ("a.ogg", None, None),
        ("0/a.ogg", None, None),
        ("bob/a.ogg", 9, 9),
        ("123", None, None),  # a file named like a user, not a folder
    ],
)
def test_user_comes_from_the_top_folder_or_the_default(
    path: str, default: int | None, user: int | None
) -> None:
    assert user_id_for(path, default) == user


def test_plan_is_deterministic_and_follows_the_key_scheme() -> None:
    first = plan_upload(FILE, user_id=123, migration_id="m1")
    again = plan_upload(FILE, user_id=123, migration_id="m2")
    changed = plan_upload(replace(FILE, sha256="cd" * 32), user_id=123, migration_id="m1")
    assert first.key == again.key
    key = parse_audio_key(first.key)
    assert (key.user_id, key.day.isoformat(), key.extension) == (123, "2024-02-29", "ogg")
    assert changed.key != first.key  # new content, new object
    assert first.metadata[SHA256_META] == FILE.sha256
    assert first.metadata[MIGRATION_META] == "m1"
    meta = RecordingMetadata.from_user_metadata(first.metadata)
    assert (meta.user_id, meta.chat_id, meta.source, meta.original_name) == (
        123,
        123,
        "migration",
        "встреча.ogg",
    )


def manifest_lines() -> list[str]:
    plan = plan_upload(FILE, user_id=123, migration_id="m1")
    return [
        started_record(migration_id="m1", source="/legacy", bucket="audio", at=AT).to_line(),
        object_record("uploaded", plan, "etag-1", AT).to_line(),
    ]


def test_manifest_folds_into_state() -> None:
    state = read_manifest(manifest_lines())
    assert (state.migration_id, state.source, state.bucket) == ("m1", "/legacy", "audio")
    [record] = state.active()
    assert (record.path, record.etag, record.created) == (FILE.relative_path, "etag-1", True)
    assert already_done(state, path=FILE.relative_path, size=10, mtime_ns=FILE.mtime_ns)
    assert not already_done(state, path=FILE.relative_path, size=11, mtime_ns=FILE.mtime_ns)

    undo = rolled_back_record(record.path, record.key, AT).to_line()
    rolled = read_manifest([*manifest_lines(), undo])
    assert rolled.active() == []
    assert not already_done(rolled, path=FILE.relative_path, size=10, mtime_ns=FILE.mtime_ns)


def test_a_later_present_record_does_not_disown_an_upload() -> None:
    plan = plan_upload(FILE, user_id=123, migration_id="m1")
    lines = [*manifest_lines(), object_record("present", plan, "etag-1", AT).to_line()]
    assert read_manifest(lines).active()[0].created


def test_a_torn_last_line_is_ignored_but_a_torn_middle_is_not() -> None:
    lines = manifest_lines()
    torn = lines[1][: len(lines[1]) // 2]
    assert read_manifest([lines[0], torn]).active() == []
    with pytest.raises(ManifestError, match="line 2"):
        read_manifest([lines[0], torn, lines[1]])


def test_migrated_files_with_the_longest_names_fit_minio_metadata() -> None:
    """A legacy name of 1000 Cyrillic letters: cut to fit, sha256 and migration id whole."""
    long_name = replace(FILE, relative_path="123/" + "ж" * 1000 + ".ogg")
    plan = plan_upload(long_name, user_id=123, migration_id="0" * 32)
    assert metadata_size(plan.metadata) <= METADATA_BUDGET
    assert plan.metadata[SHA256_META] == FILE.sha256
    assert plan.metadata[MIGRATION_META] == "0" * 32
    meta = RecordingMetadata.from_user_metadata(plan.metadata)
    assert meta.original_name is not None
    assert meta.original_name.startswith("жжж")
