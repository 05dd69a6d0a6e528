"""User metadata the bot attaches to an audio object, and its reading back from an event.

S3 metadata travels in HTTP headers, which are ASCII only: every value is percent-encoded on the
way in and decoded on the way out, so Cyrillic file names and notes survive intact.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from voxpersona.contracts.metadata_budget import fit_headers

_META_PREFIX = "x-amz-meta-"


# ``source`` of recordings imported by ``voxpersona migrate``: transcribed, never announced.
MIGRATION_SOURCE = "migration"


class MetadataError(ValueError):
    """The object's metadata lacks a field the contract requires, or has a malformed one."""


class RecordingMetadata(BaseModel):
    """What the reactor needs to know about a recording besides its bytes."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    user_id: int = Field(gt=0, alias="user-id")
    chat_id: int = Field(alias="chat-id")
    message_id: int | None = Field(default=None, alias="message-id")
    # Telegram's file name (at most 255 bytes of UTF-8 in metadata; see metadata_budget).
    original_name: str | None = Field(default=None, alias="original-name", max_length=1024)
    duration_seconds: int | None = Field(default=None, ge=0, alias="duration")
    file_unique_id: str | None = Field(default=None, alias="file-unique-id", max_length=128)
    source: str = Field(default="telegram", alias="source", max_length=32)
    # The language the bot talks to this user in. Only for messages to the user: it is never a
    # transcription hint (a Russian-speaking user may send an English interview).
    interface_language: str | None = Field(default=None, alias="ui-lang", max_length=8)
    # The language spoken in the recording, as the user chose it: the transcription hint.
    # ``auto`` or absent: detect it. Never derived from ``ui-lang``.
    language: str | None = Field(
        default=None, alias="language", max_length=8, pattern=r"^(auto|[a-z]{2,3})$"
    )
    # The analysis scenario the user chose (a file name under reactor/scenarios); None: default.
    scenario: str | None = Field(
        default=None, alias="scenario", max_length=32, pattern=r"^[a-z][a-z0-9_-]*$"
    )
    # The bot's status message for this recording (edited as progress arrives), in ``chat_id``.
    status_message_id: int | None = Field(default=None, alias="status-message-id", gt=0)
    # The user's title and notes from the caption (a caption is at most 1024 characters).
    # In headers they are cut to fit MinIO's 2 KiB (metadata_budget); the full texts are in
    # PostgreSQL (``bot_uploads``), written by the bot.
    title: str | None = Field(default=None, alias="title", max_length=1024)
    notes: str | None = Field(default=None, alias="notes", max_length=1024)

    @property
    def transcription_language(self) -> str | None:
        """The language hint for the transcriber, or None to auto-detect."""
        return None if self.language in (None, "auto") else self.language

    def to_headers(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """S3 user-metadata headers (``x-amz-meta-*``), values percent-encoded, within 2 KiB.

        Every upload path (direct, multipart, spooled, migrated) sends these, so none can exceed
        MinIO's limit: file name, title and notes are cut to fit (:func:`fit_headers`).
        ``extra`` are further short fields (names without the prefix) that travel whole.
        """
        fields = {
            name: str(value)
            for name, value in self.model_dump(by_alias=True, exclude_none=True).items()
        }
        fields.update(extra or {})
        file_name = fields.pop("original-name", None)
        texts = [(name, fields.pop(name)) for name in ("title", "notes") if name in fields]
        return fit_headers(
            fields, ("original-name", file_name) if file_name is not None else None, texts
        )

    def to_tags(self) -> dict[str, str]:
        """Object tags mirroring the fields an operator filters by (S3 tags: at most 10)."""
        return {"user-id": str(self.user_id), "source": self.source}

    @classmethod
    def from_user_metadata(cls, raw: Mapping[str, str]) -> RecordingMetadata:
        """Read metadata as MinIO reports it (``X-Amz-Meta-User-Id`` keys) or as S3 stat does."""
        fields: dict[str, str] = {}
        for name, value in raw.items():
            lowered = name.lower()
            if lowered.startswith(_META_PREFIX):
                fields[lowered.removeprefix(_META_PREFIX)] = unquote(value)
        try:
            return cls.model_validate(fields)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
            )
            raise MetadataError(f"recording metadata invalid: {problems}") from None
