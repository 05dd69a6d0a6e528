"""Recognising audio by its first bytes, not by the name a user gave the file."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AudioKind:
    extension: str
    content_type: str


_OGG = AudioKind("ogg", "audio/ogg")
_MP3 = AudioKind("mp3", "audio/mpeg")
_WAV = AudioKind("wav", "audio/wav")
_FLAC = AudioKind("flac", "audio/flac")
_M4A = AudioKind("m4a", "audio/mp4")
_WEBM = AudioKind("webm", "audio/webm")
_AMR = AudioKind("amr", "audio/amr")
_AAC = AudioKind("aac", "audio/aac")

SNIFF_BYTES = 64


def sniff_audio(head: bytes) -> AudioKind | None:
    """Identify an audio container from at least the first :data:`SNIFF_BYTES` bytes."""
    if head.startswith(b"OggS"):
        return _OGG
    if head.startswith(b"ID3") or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE6 == 0xE2):
        return _MP3
    if len(head) > 1 and head[0] == 0xFF and head[1] & 0xF6 == 0xF0:
        return _AAC  # ADTS
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return _WAV
    if head.startswith(b"fLaC"):
        return _FLAC
    if head[4:8] == b"ftyp":
        return _M4A
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return _WEBM
    if head.startswith(b"#!AMR"):
        return _AMR
    return None
