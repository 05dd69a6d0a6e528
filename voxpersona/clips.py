"""Cutting a short span of a recording into an Ogg/Opus voice clip (PyAV), for the clip button
under an ``/ask`` answer. Pure file-to-bytes work: the caller fetches the recording."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av

CLIP_RATE = 48_000
CLIP_BITRATE = 32_000
# A clip is a moment, not a recording: longer spans are cut short.
MAX_CLIP_SECONDS = 90.0


class ClipError(Exception):
    """The recording could not be decoded, or the span holds no audio."""


def clip_bounds(start: float, end: float) -> tuple[float, float]:
    """The span to cut: never negative, never empty, at most :data:`MAX_CLIP_SECONDS`."""
    begin = max(0.0, start)
    return begin, max(begin + 1.0, min(end, begin + MAX_CLIP_SECONDS))


def cut_clip(path: Path, start: float, end: float) -> bytes:
    """The audio of ``path`` from ``start`` to ``end`` seconds as mono Ogg/Opus bytes."""
    begin, finish = clip_bounds(start, end)
    try:
        return _cut(path, begin, finish)
    except av.error.FFmpegError as exc:
        raise ClipError(f"cannot cut the clip: {exc}") from exc


def _cut(path: Path, begin: float, finish: float) -> bytes:
    buffer = io.BytesIO()
    with av.open(str(path)) as source, av.open(buffer, mode="w", format="ogg") as out:
        if not source.streams.audio:
            raise ClipError("the recording has no audio stream")
        stream = source.streams.audio[0]
        encoder: Any = out.add_stream("libopus", rate=CLIP_RATE)
        encoder.layout = "mono"
        encoder.bit_rate = CLIP_BITRATE
        resampler = av.AudioResampler(
            format=encoder.codec_context.format.name,
            layout="mono",
            rate=CLIP_RATE,
            frame_size=encoder.codec_context.frame_size,
        )
        written = _encode_span(source, stream, resampler, encoder, out, begin, finish)
        for frame in resampler.resample(None):
            for packet in encoder.encode(frame):
                out.mux(packet)
        for packet in encoder.encode(None):
            out.mux(packet)
    if not written:
        raise ClipError("the span holds no audio")
    return buffer.getvalue()


def _encode_span(
    source: Any, stream: Any, resampler: Any, encoder: Any, out: Any, begin: float, finish: float
) -> int:
    """Decode from ``begin`` (seeking near it first) to ``finish``; the samples written."""
    if begin > 0 and stream.time_base is not None:
        # Seek lands on an earlier keyframe; frames before ``begin`` are trimmed below.
        source.seek(int(begin / stream.time_base), stream=stream, backward=True)
    written = 0
    for frame in source.decode(stream):
        if frame.time is None:
            continue
        frame_end = frame.time + frame.samples / frame.sample_rate
        if frame_end <= begin:
            continue
        if frame.time >= finish:
            break
        frame.pts = None  # timestamps start again at zero in the clip
        for piece in resampler.resample(frame):
            written += piece.samples
            for packet in encoder.encode(piece):
                out.mux(packet)
    return written
