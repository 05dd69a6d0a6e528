"""Videos made by the tests themselves: MP4 with a video track first and (optionally) an AAC
audio track, as Telegram videos and video notes are."""

from __future__ import annotations

import io
from fractions import Fraction

import av
import numpy as np

from tests.audio import tone_pcm


def video_mp4(seconds: float = 1.0, *, with_audio: bool = True, frequency: float = 440.0) -> bytes:
    buffer = io.BytesIO()
    rate, fps = 48000, 10
    with av.open(buffer, mode="w", format="mp4") as output:
        video = output.add_stream("mpeg4", rate=fps)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        audio = output.add_stream("aac", rate=rate) if with_audio else None
        if audio is not None:
            audio.layout = "mono"
        for i in range(max(1, int(seconds * fps))):
            image = np.full((64, 64, 3), (i * 20) % 255, dtype=np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in video.encode(frame):
                output.mux(packet)
        for packet in video.encode(None):
            output.mux(packet)
        if audio is not None:
            pcm = np.frombuffer(tone_pcm(seconds, frequency=frequency), dtype=np.int16)
            sound = av.AudioFrame.from_ndarray(pcm.reshape(1, -1), format="s16", layout="mono")
            sound.sample_rate, sound.pts = rate, 0
            ctx = audio.codec_context
            resampler = av.AudioResampler(
                format=ctx.format.name, layout="mono", rate=rate, frame_size=ctx.frame_size
            )
            for piece in [*resampler.resample(sound), *resampler.resample(None)]:
                for packet in audio.encode(piece):
                    output.mux(packet)
            for packet in audio.encode(None):
                output.mux(packet)
    return buffer.getvalue()
