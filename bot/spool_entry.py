"""The spool's entry format: what is kept beside a recording while MinIO is unreachable.

Pure: encoding, decoding and checking an entry against its payload. The file layout and all
I/O live in :mod:`bot.spool`.
"""

from __future__ import annotations

import re
from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from voxpersona.contracts.keys import InvalidKeyError, parse_audio_key
from voxpersona.contracts.metadata import RecordingMetadata

SPOOL_FORMAT = 1
_ENTRY_ID = re.compile(r"^[0-9a-f]{32}$")


class SpoolEntryError(ValueError):
    """An entry (or its payload) is unreadable, malformed or does not match: quarantine it."""


class SpoolEntry(BaseModel):
    """One spooled recording: everything needed to upload it exactly as the bot would have."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    format: int = SPOOL_FORMAT
    entry_id: str = Field(pattern=_ENTRY_ID.pattern)
    key: str
    content_type: str = Field(min_length=1, max_length=128)
    size: int = Field(ge=0)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    spooled_at: datetime
    metadata: RecordingMetadata

    @field_validator("format")
    @classmethod
    def _known_format(cls, value: int) -> int:
        if value != SPOOL_FORMAT:
            raise ValueError(f"unknown spool format {value}")
        return value

    @field_validator("key")
    @classmethod
    def _our_key(cls, value: str) -> str:
        # A tampered or corrupt entry must not be able to write anywhere but our key scheme.
        try:
            parse_audio_key(value)
        except InvalidKeyError as exc:
            raise ValueError(str(exc)) from None
        return value


def is_entry_id(text: str) -> bool:
    return _ENTRY_ID.fullmatch(text) is not None


def encode_entry(entry: SpoolEntry) -> bytes:
    return entry.model_dump_json(by_alias=True, indent=1).encode()


def decode_entry(data: bytes, *, entry_id: str) -> SpoolEntry:
    """Parse an entry file; its id must be the one its file name says."""
    try:
        entry = SpoolEntry.model_validate_json(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'entry'}: {err['msg']}"
            for err in exc.errors()
        )
        raise SpoolEntryError(f"unreadable entry: {problems}") from None
    if entry.entry_id != entry_id:
        raise SpoolEntryError(f"entry file {entry_id} holds entry {entry.entry_id}")
    return entry


def check_payload(entry: SpoolEntry, *, size: int, sha256: str) -> None:
    """The payload on disk must be exactly what was spooled."""
    if size != entry.size:
        raise SpoolEntryError(f"payload is {size} bytes, the entry says {entry.size}")
    if sha256 != entry.sha256:
        raise SpoolEntryError("payload checksum does not match the entry")
