"""Audio files through PyAV (FFmpeg in a wheel): probe, measure loudness, cut into chunks.

Blocking functions; the reactor runs them in a worker thread. PyAV's errors become
:class:`reactor.errors.PermanentError` with a precise code: ``not_audio`` (no decodable audio
stream at all) or ``corrupt_audio`` (an audio stream that does not decode).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np

from reactor.chunking import Chunk, Envelope
from reactor.errors import PermanentError

# Chunks are re-encoded as Ogg/Opus, mono, 16 kHz: what speech recognisers resample to anyway.
CHUNK_RATE = 16000
CHUNK_EXTENSION = "ogg"
ENVELOPE_WINDOW = 0.1
_AV_TIME_BASE = 1_000_000


@dataclass(frozen=True, slots=True)
class AudioProbe:
    """What the container says about the file's first audio stream."""

    duration: float
    codec: str
    container: str
    sample_rate: int
    channels: int


def _open(path: Path) -> Any:
    try:
        return av.open(str(path))
    except av.FFmpegError as exc:
        raise PermanentError("not_audio", f"not a media file: {exc}") from exc


def _duration(container: Any, stream: Any) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return float(container.duration) / _AV_TIME_BASE
    return None


def probe(path: Path) -> AudioProbe:
    """Read the container and decode the first frames: reject what is not (working) audio."""
    with _open(path) as container:
        if not container.streams.audio:
            raise PermanentError("not_audio", "the file has no audio stream")
        stream = container.streams.audio[0]
        try:
            first = next(iter(container.decode(stream)), None)
        except av.FFmpegError as exc:
            raise PermanentError("corrupt_audio", f"audio does not decode: {exc}") from exc
        if first is None:
            raise PermanentError("corrupt_audio", "the audio stream holds no decodable frames")
        duration = _duration(container, stream)
        info = AudioProbe(
            duration=duration if duration is not None else math.nan,
            codec=stream.codec_context.name,
            container=container.format.name,
            sample_rate=stream.codec_context.sample_rate or 0,
            channels=stream.codec_context.channels or 0,
        )
    if math.isnan(info.duration):
        # Some streams (raw ADTS, some WebM) carry no duration: measure it by decoding.
        total = sum(len(block) for block in pcm_blocks(path)) / CHUNK_RATE
        info = AudioProbe(total, info.codec, info.container, info.sample_rate, info.channels)
    return info


def _samples(frame: Any) -> np.ndarray[Any, np.dtype[np.int16]]:
    data: np.ndarray[Any, np.dtype[np.int16]] = frame.to_ndarray().reshape(-1)
    return data


def pcm_blocks(path: Path) -> Iterator[np.ndarray[Any, np.dtype[np.int16]]]:
    """The whole audio as mono 16 kHz signed 16-bit blocks, in order."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=CHUNK_RATE)
    with _open(path) as container:
        stream = container.streams.audio[0]
        try:
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    yield _samples(out)
            for out in resampler.resample(None):
                yield _samples(out)
        except av.FFmpegError as exc:
            raise PermanentError("corrupt_audio", f"audio does not decode: {exc}") from exc


def envelope(path: Path, *, window: float = ENVELOPE_WINDOW) -> Envelope:
    """Loudness (dBFS) of every ``window`` seconds, for finding pauses to cut in."""
    size = round(window * CHUNK_RATE)
    levels: list[float] = []
    carry = np.zeros(0, dtype=np.int16)
    for block in pcm_blocks(path):
        data = np.concatenate((carry, block)) if carry.size else block
        whole = data.size - data.size % size
        if whole:
            frames = data[:whole].astype(np.float64).reshape(-1, size) / 32768.0
            rms = np.sqrt(np.mean(frames * frames, axis=1))
            levels.extend((20 * np.log10(np.maximum(rms, 1e-6))).tolist())
        carry = data[whole:]
    return Envelope(window=window, levels=levels)


class _ChunkWriter:
    """One Ogg/Opus output file fed with mono 16 kHz s16 samples."""

    def __init__(self, path: Path, bitrate: int) -> None:
        self.path = path
        self._out = av.open(str(path), mode="w", format="ogg")
        self._stream = self._out.add_stream("libopus", rate=CHUNK_RATE)
        self._stream.layout = "mono"
        self._stream.bit_rate = bitrate
        # Speech at 16 kHz: low encoder complexity costs nothing audible and is ~3x faster.
        self._stream.options = {"compression_level": "3"}
        ctx = self._stream.codec_context
        self._resampler = av.AudioResampler(
            format=ctx.format.name, layout="mono", rate=CHUNK_RATE, frame_size=ctx.frame_size
        )
        self._pts = 0

    def write(self, samples: np.ndarray[Any, np.dtype[np.int16]]) -> None:
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = CHUNK_RATE
        frame.pts = self._pts
        self._pts += samples.size
        self._encode(self._resampler.resample(frame))

    def _encode(self, frames: Sequence[Any]) -> None:
        for piece in frames:
            for packet in self._stream.encode(piece):
                self._out.mux(packet)

    def close(self) -> None:
        self._encode(self._resampler.resample(None))
        for packet in self._stream.encode(None):
            self._out.mux(packet)
        self._out.close()


def cut_chunks(
    path: Path, chunks: Sequence[Chunk], out_dir: Path, *, stem: str, bitrate: int
) -> list[Path]:
    """Encode every chunk of ``path`` as ``<stem>.partNNN.ogg`` in one decoding pass."""
    bounds = [(round(c.start * CHUNK_RATE), round(c.end * CHUNK_RATE)) for c in chunks]
    paths = [out_dir / f"{stem}.part{c.index:03d}.{CHUNK_EXTENSION}" for c in chunks]
    writers: dict[int, _ChunkWriter] = {}
    position = 0
    try:
        for block in pcm_blocks(path):
            block_end = position + block.size
            for i, (begin, end) in enumerate(bounds):
                if begin < block_end and end > position:
                    if i not in writers:
                        writers[i] = _ChunkWriter(paths[i], bitrate)
                    writers[i].write(
                        block[max(begin - position, 0) : min(end, block_end) - position]
                    )
            for i in [i for i in writers if bounds[i][1] <= block_end]:
                writers.pop(i).close()
            position = block_end
    finally:
        for writer in writers.values():
            writer.close()
    return [p for p in paths if p.exists()]
