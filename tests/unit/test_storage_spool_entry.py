"""The spool's entry format: round trip, and every way an entry can be unusable."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from bot.spool_entry import (
    SpoolEntry,
    SpoolEntryError,
    check_payload,
    decode_entry,
    encode_entry,
)
from voxpersona.contracts.metadata import RecordingMetadata

ENTRY_ID = "0123456789abcdef0123456789abcdef"
KEY = "audio/42/2026/05/01/5b0f6a1e-9c1d-4b52-8a63-2f7e1d9b0c44.ogg"
PAYLOAD = b"OggS spooled"


def entry(**overrides: object) -> SpoolEntry:
    values: dict[str, object] = {
        "entry_id": ENTRY_ID,
        "key": KEY,
        "content_type": "audio/ogg",
        "size": len(PAYLOAD),
        "sha256": hashlib.sha256(PAYLOAD).hexdigest(),
        "spooled_at": datetime(2026, 5, 1, 12, tzinfo=UTC),
        "metadata": RecordingMetadata(
            user_id=42, chat_id=-100, original_name="заметка.ogg", interface_language="ru"
        ),
    }
    values.update(overrides)
    return SpoolEntry.model_validate(values)


def test_entry_round_trips_with_its_metadata() -> None:
    original = entry()
    decoded = decode_entry(encode_entry(original), entry_id=ENTRY_ID)
    assert decoded == original
    assert decoded.metadata.to_headers()["x-amz-meta-user-id"] == "42"
    assert json.loads(encode_entry(original))["metadata"]["original-name"] == "заметка.ogg"


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda d: d.update(key="../../etc/passwd"), "key"),
        (lambda d: d.update(key="audio/42/x.ogg"), "key"),
        (lambda d: d.update(size=-1), "size"),
        (lambda d: d.update(sha256="nothex"), "sha256"),
        (lambda d: d.update(format=99), "format"),
        (lambda d: d.pop("metadata"), "metadata"),
        (lambda d: d["metadata"].pop("user-id"), "user-id"),
        (lambda d: d.update(extra="field"), "extra"),
    ],
)
def test_malformed_entries_are_rejected(mutate: object, problem: str) -> None:
    data = json.loads(encode_entry(entry()))
    mutate(data)  # type: ignore[operator]
    with pytest.raises(SpoolEntryError, match=problem):
        decode_entry(json.dumps(data).encode(), entry_id=ENTRY_ID)


@pytest.mark.parametrize("raw", [b"", b"{", b"\xff\xfe", b"[]", b"null"])
def test_unparseable_entries_are_rejected(raw: bytes) -> None:
    with pytest.raises(SpoolEntryError, match="unreadable"):
        decode_entry(raw, entry_id=ENTRY_ID)


def test_entry_must_be_in_its_own_file() -> None:
    with pytest.raises(SpoolEntryError, match="holds entry"):
        decode_entry(encode_entry(entry()), entry_id="f" * 32)


def test_payload_must_match_size_and_checksum() -> None:
    spooled = entry()
    check_payload(spooled, size=len(PAYLOAD), sha256=hashlib.sha256(PAYLOAD).hexdigest())
    with pytest.raises(SpoolEntryError, match="bytes"):
        check_payload(spooled, size=3, sha256=spooled.sha256)
    with pytest.raises(SpoolEntryError, match="checksum"):
        check_payload(spooled, size=spooled.size, sha256="0" * 64)
