"""Fitting an object's user metadata into MinIO's 2 KiB, whatever Telegram lets users send.

MinIO refuses a request whose user metadata is larger than 2 KiB with ``400 MetadataTooLarge``
(``cmd/generic-handlers.go``, ``isHTTPHeaderSizeTooLarge``): for every ``X-Amz-Meta-*`` (and
``X-Minio-Meta-*``) header it adds the length of the header *name* and of its value, and the
request fails once the sum passes ``maxUserDataSize = 2 * 1024`` bytes. Values travel
percent-encoded (HTTP headers are ASCII), so a Cyrillic letter costs 6 bytes and an emoji 12:
a 1024-character caption alone can cost 12 KiB.

The plan, pure and deterministic: the short fields (ids, language, scenario...) always travel
whole; the free texts (original file name, title, notes) share what is left. The file name comes
first, up to what a file name can be (255 bytes of UTF-8); title and notes then share the rest
fairly (water-filling: a short text gets all it needs, long ones split the remainder). A text
that had to be cut ends in ``…``. Full title and notes live in PostgreSQL (``bot_uploads``),
written by the bot, so the library always shows them whole; the metadata copy only lets the
reactor and operators see what the recording is.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

META_PREFIX = "x-amz-meta-"
#: MinIO's ``maxUserDataSize`` (cmd/generic-handlers.go).
MINIO_USER_METADATA_LIMIT = 2 * 1024
#: What VoxPersona allows itself: a margin under MinIO's limit for headers other clients or
#: SDK versions might add under the same prefixes.
METADATA_BUDGET = MINIO_USER_METADATA_LIMIT - 64
#: The Bot API documents no bound on ``file_name`` (tdlib shortens the names of files it
#: stores on disk, td/utils/filesystem.cpp ``clean_filename``, but ``file_name`` is what the
#: sender's client declared). File systems keep names to 255
#: bytes; the file name may use that much of the budget before title and notes get theirs,
#: and a longer one is cut.
FILE_NAME_MAX_BYTES = 255
ELLIPSIS = "…"


class MetadataBudgetError(ValueError):
    """The fields that always travel whole do not fit on their own (a programming error)."""


def encode_value(value: str) -> str:
    """How a metadata value travels: percent-encoded UTF-8, nothing left unescaped."""
    return quote(value, safe="")


def header_cost(name: str, encoded_value: str) -> int:
    """What MinIO counts for one header: the length of its name plus that of its value."""
    return len(name) + len(encoded_value)


def metadata_size(headers: Mapping[str, str]) -> int:
    """MinIO's user-metadata size of a request carrying ``headers`` (names as sent)."""
    return sum(
        header_cost(name, value)
        for name, value in headers.items()
        if name.lower().startswith((META_PREFIX, "x-minio-meta-"))
    )


def truncate_encoded(value: str, max_encoded: int) -> str:
    """The longest prefix of ``value`` (plus ``…`` when cut) whose encoding fits.

    Cuts between characters, never inside a percent-encoded sequence; returns ``""`` when not
    even ``…`` fits.
    """
    if len(encode_value(value)) <= max_encoded:
        return value
    room = max_encoded - len(encode_value(ELLIPSIS))
    if room < 0:
        return ""
    used = 0
    end = 0
    for char in value:
        cost = len(encode_value(char))
        if used + cost > room:
            break
        used += cost
        end += 1
    return value[:end].rstrip() + ELLIPSIS


def _fair_shares(needs: Sequence[int], available: int) -> list[int]:
    """Water-filling: the smallest needs are met in full, the rest split what remains."""
    shares = [0] * len(needs)
    order = sorted(range(len(needs)), key=lambda i: needs[i])
    left = available
    for position, index in enumerate(order):
        share = min(needs[index], left // (len(order) - position))
        shares[index] = share
        left -= share
    return shares


def fit_headers(
    fixed: Mapping[str, str],
    file_name: tuple[str, str] | None,
    texts: Sequence[tuple[str, str]],
    budget: int = METADATA_BUDGET,
) -> dict[str, str]:
    """User-metadata headers (names prefixed, values encoded) that fit in ``budget`` bytes.

    ``fixed`` maps field names to values that always travel whole; ``file_name`` is
    ``(field, value)`` of the original file name; ``texts`` are ``(field, value)`` free texts
    sharing what is left, in the order they are to appear.
    """
    headers = {META_PREFIX + name: encode_value(value) for name, value in fixed.items()}
    left = budget - metadata_size(headers)
    if left < 0:
        raise MetadataBudgetError(f"fixed metadata alone is {budget - left} bytes, over {budget}")
    if file_name is not None:
        name, value = file_name
        header = META_PREFIX + name
        longest = value.encode()[:FILE_NAME_MAX_BYTES].decode(errors="ignore")
        cap = min(len(encode_value(longest)), left - len(header))
        encoded = encode_value(truncate_encoded(value, cap))
        if encoded:
            headers[header] = encoded
            left -= header_cost(header, encoded)
    needs = [header_cost(META_PREFIX + name, encode_value(value)) for name, value in texts]
    for (name, value), share in zip(texts, _fair_shares(needs, max(left, 0)), strict=True):
        header = META_PREFIX + name
        encoded = encode_value(truncate_encoded(value, share - len(header)))
        if encoded:
            headers[header] = encoded
    return headers
