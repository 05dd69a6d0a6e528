"""The reactor's probe takes the audio track of a video (the video track comes first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from reactor import media
from reactor.chunking import Chunk
from reactor.errors import PermanentError
from tests.bot_media import video_mp4
from voxpersona.sniffing import sniff_audio


def test_probe_takes_the_audio_track_of_a_video(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(video_mp4(2.0))
    info = media.probe(path)
    assert info.codec == "aac"
    assert info.sample_rate == 48000
    assert 1.9 <= info.duration <= 2.2
    # The decoded audio is the tone, not the video frames: about two seconds of samples.
    samples = sum(len(block) for block in media.pcm_blocks(path))
    assert 1.9 * media.CHUNK_RATE <= samples <= 2.2 * media.CHUNK_RATE


def test_video_chunks_are_audio_only(tmp_path: Path) -> None:
    path = tmp_path / "clip.mp4"
    path.write_bytes(video_mp4(1.0))
    info = media.probe(path)
    [chunk] = media.cut_chunks(
        path, [Chunk(0, 0.0, info.duration)], tmp_path, stem="clip", bitrate=24_000
    )
    reprobed = media.probe(chunk)
    assert reprobed.codec == "opus"


def test_a_video_without_sound_is_not_audio(tmp_path: Path) -> None:
    path = tmp_path / "silent.mp4"
    path.write_bytes(video_mp4(1.0, with_audio=False))
    with pytest.raises(PermanentError) as caught:
        media.probe(path)
    assert caught.value.code == "not_audio"


def test_mp4_is_recognised_by_content() -> None:
    kind = sniff_audio(video_mp4(0.5)[:64])
    assert kind is not None
    assert kind.extension in {"m4a", "mp4"}
