"""How long a recording is before anyone has decoded it (pure), for the daily audio quota.

Documents carry no duration, so the quota is charged in three steps: before the download a
lower bound from the size alone (:func:`size_lower_bound`, the densest common format), at upload
an estimate from the first bytes (:func:`estimate_seconds`: exact for WAV from its header,
otherwise the size at a typical bitrate of the container), and after transcription the real
duration the reactor measured (the bot settles the difference, :mod:`bot.repos.users`).
"""

from __future__ import annotations

import struct

from voxpersona.sniffing import AudioKind

# 16-bit stereo PCM at 44.1 kHz: no common recording format is denser, so a size divided by it
# never overstates a duration (and a 2 GB WAV still counts 3.4 hours before the download).
DENSEST_BYTES_PER_SECOND = 176_400
# Typical bitrates of what people send, bytes per second: voice notes are Opus at ~32 kbit/s,
# music files and M4A/MP4 audio ~128 kbit/s, FLAC about half of PCM.
TYPICAL_BYTES_PER_SECOND = {
    "ogg": 4_000,
    "webm": 8_000,
    "mp3": 16_000,
    "m4a": 16_000,
    "mp4": 16_000,
    "aac": 16_000,
    "amr": 1_600,
    "flac": 88_200,
    "wav": DENSEST_BYTES_PER_SECOND,
}
_FALLBACK_BYTES_PER_SECOND = 16_000


def size_lower_bound(size: int | None) -> float:
    """Seconds a file of ``size`` bytes holds at least (0 when the size is unknown)."""
    return (size or 0) / DENSEST_BYTES_PER_SECOND


def wav_seconds(head: bytes, size: int | None) -> float | None:
    """A WAV file's duration from its header: the ``data`` chunk over the ``fmt`` byte rate.

    When the ``data`` chunk's size is missing, bogus (0 or 0xFFFFFFFF from a streaming
    writer) or beyond the file, the rest of the file after the header counts instead.
    """
    if len(head) < 12 or head[:4] not in (b"RIFF", b"RF64") or head[8:12] != b"WAVE":
        return None
    byte_rate: int | None = None
    offset = 12
    while offset + 8 <= len(head):
        chunk_id = head[offset : offset + 4]
        (chunk_size,) = struct.unpack_from("<I", head, offset + 4)
        body = offset + 8
        if chunk_id == b"fmt " and body + 12 <= len(head):
            (byte_rate,) = struct.unpack_from("<I", head, body + 8)
        elif chunk_id == b"data":
            if not byte_rate:
                return None
            data = chunk_size
            rest = size - body if size is not None else None
            if data in (0, 0xFFFFFFFF) or (rest is not None and data > rest):
                data = rest if rest is not None else 0
            return data / byte_rate if data else None
        offset = body + chunk_size + (chunk_size & 1)  # chunks are word-aligned
    return None


def estimate_seconds(kind: AudioKind, head: bytes, size: int | None) -> float:
    """The best guess from the first bytes and the size (see the module's docstring)."""
    if kind.extension == "wav":
        exact = wav_seconds(head, size)
        if exact is not None:
            return exact
    rate = TYPICAL_BYTES_PER_SECOND.get(kind.extension, _FALLBACK_BYTES_PER_SECOND)
    return (size or 0) / rate
