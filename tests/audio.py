"""Audio made by the tests themselves (PyAV encodes it; no audio files are committed)."""

from __future__ import annotations

import io
import math
from array import array

import av


def tone_pcm(seconds: float, *, rate: int = 48000, frequency: float = 440.0) -> bytes:
    """Signed 16-bit mono PCM of a sine tone."""
    count = int(seconds * rate)
    samples = array(
        "h", (int(9000 * math.sin(2 * math.pi * frequency * i / rate)) for i in range(count))
    )
    return samples.tobytes()


def encode_pcm(
    pcm: bytes, *, container: str, codec: str, rate: int = 48000, bit_rate: int | None = None
) -> bytes:
    """Encode s16 mono PCM with PyAV into ``container``/``codec`` bytes."""
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as output:
        stream = output.add_stream(codec, rate=rate)
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        stream.layout = "mono"
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(pcm) // 2)
        frame.planes[0].update(pcm)
        frame.sample_rate = rate
        frame.pts = 0
        resampler = av.AudioResampler(
            format=stream.codec_context.format.name,
            layout="mono",
            rate=rate,
            frame_size=stream.codec_context.frame_size or None,
        )
        for piece in [*resampler.resample(frame), *resampler.resample(None)]:
            for packet in stream.encode(piece):
                output.mux(packet)
        for packet in stream.encode(None):
            output.mux(packet)
    return buffer.getvalue()


def ogg_opus(seconds: float = 1.0, frequency: float = 440.0) -> bytes:
    """A Telegram-style voice note: Ogg container, Opus codec, 48 kHz mono."""
    return encode_pcm(tone_pcm(seconds, frequency=frequency), container="ogg", codec="libopus")
