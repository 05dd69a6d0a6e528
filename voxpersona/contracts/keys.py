"""The object-key scheme: ``audio/<telegram_user_id>/<yyyy>/<mm>/<dd>/<uuid>.<ext>``.

Keys are only ever built and parsed here; user input (file names, captions) never becomes a key.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime

AUDIO_PREFIX = "audio/"
RESULTS_PREFIX = "results/"

# Extensions we store audio under. Telegram voice notes are Ogg/Opus and are stored as ``.ogg``:
# several OpenAI-compatible servers reject the ``.oga`` name.
AUDIO_EXTENSIONS = frozenset(
    {"ogg", "opus", "mp3", "m4a", "mp4", "mpeg", "mpga", "wav", "flac", "webm", "aac", "amr", "wma"}
)
_EXTENSION_ALIASES = {"oga": "ogg", "opus": "ogg", "mpga": "mp3", "mpeg": "mp3"}

_AUDIO_KEY = re.compile(
    r"^audio/(?P<user>[1-9][0-9]{0,19})/(?P<y>[0-9]{4})/(?P<m>[0-9]{2})/(?P<d>[0-9]{2})/"
    r"(?P<uuid>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(?P<ext>[a-z0-9]{1,5})"
)


class InvalidKeyError(ValueError):
    """A string is not a key of our scheme (or would be an unsafe one)."""


@dataclass(frozen=True, slots=True)
class AudioKey:
    """The parts of an audio object key."""

    user_id: int
    day: date
    object_id: uuid.UUID
    extension: str

    def __str__(self) -> str:
        return f"{AUDIO_PREFIX}{self.user_id}/{self.day:%Y/%m/%d}/{self.object_id}.{self.extension}"


def normalise_extension(extension: str) -> str:
    """Map a file extension (with or without dot, any case) to the one we store under.

    Unknown extensions fall back to ``bin`` rather than failing: the reactor probes content,
    the name is only a hint.
    """
    ext = extension.lower().lstrip(".")
    ext = _EXTENSION_ALIASES.get(ext, ext)
    return ext if ext in AUDIO_EXTENSIONS else "bin"


def new_audio_key(
    user_id: int, extension: str, *, now: datetime, object_id: uuid.UUID | None = None
) -> AudioKey:
    """Build the key for a new recording of ``user_id`` received at ``now``."""
    if user_id <= 0:
        raise InvalidKeyError(f"user id must be positive, got {user_id}")
    return AudioKey(
        user_id=user_id,
        day=now.date(),
        object_id=object_id or uuid.uuid4(),
        extension=normalise_extension(extension),
    )


def parse_audio_key(key: str) -> AudioKey:
    """Parse an audio object key, rejecting anything outside the scheme."""
    match = _AUDIO_KEY.fullmatch(key)
    if match is None:
        raise InvalidKeyError(f"not an audio key of our scheme: {key!r}")
    try:
        day = date(int(match["y"]), int(match["m"]), int(match["d"]))
    except ValueError as exc:
        raise InvalidKeyError(f"bad date in key {key!r}") from exc
    return AudioKey(
        user_id=int(match["user"]),
        day=day,
        object_id=uuid.UUID(match["uuid"]),
        extension=match["ext"],
    )


def user_audio_prefix(user_id: int) -> str:
    """The prefix under which all of one user's audio lives (for listing and deleting)."""
    if user_id <= 0:
        raise InvalidKeyError(f"user id must be positive, got {user_id}")
    return f"{AUDIO_PREFIX}{user_id}/"


def result_key(user_id: int, recording_id: uuid.UUID) -> str:
    """Where the reactor stores a recording's result JSON in the results bucket."""
    if user_id <= 0:
        raise InvalidKeyError(f"user id must be positive, got {user_id}")
    return f"{RESULTS_PREFIX}{user_id}/{recording_id}.json"


_MAX_KEY_BYTES = 1024  # S3's limit on an object name


def check_object_key(key: str) -> str:
    """Return ``key`` if it is safe to hand to the object store, else raise.

    The storage layer runs every key through this, whoever built it: no empty or over-long
    keys, no leading ``/``, no ``.``/``..``/empty segments, no control characters.
    """
    if not key or len(key.encode()) > _MAX_KEY_BYTES:
        raise InvalidKeyError(f"object key empty or longer than {_MAX_KEY_BYTES} bytes")
    if key.startswith("/"):
        raise InvalidKeyError(f"object key starts with '/': {key!r}")
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in key):
        raise InvalidKeyError(f"object key has control characters: {key!r}")
    if any(part in {"", ".", ".."} for part in key.removesuffix("/").split("/")):
        raise InvalidKeyError(f"object key has an empty, '.' or '..' segment: {key!r}")
    return key
