"""Benchmark: the whole reactor with the local Whisper engine vs. faster-whisper called directly.

Prints, for the same files and the same model settings, in one run:
- recordings/s and audio seconds/s through the reactor (upload → MinIO event → NATS → reactor →
  PostgreSQL), as a ratio of calling ``WhisperModel.transcribe`` directly (target ≥ 0.9);
- the real-time factor (processing seconds per audio second) of both;
- the reactor process's peak RSS with the model loaded.

Run: ``.venv/bin/python -m bench.local_whisper [--files 6] [--repeat 8] [--model DIR]``.
Without ``--model`` it uses the Whisper base model assembled from the test packages.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import av
import psutil

from tests.audio import encode_pcm
from tests.speech import SPEECH
from tests.whisper_model import assemble_base_model
from voxpersona.contracts.keys import new_audio_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.localstack.stack import LocalStack
from voxpersona.storage import MinioObjectStore


def decode_pcm_48k(data: bytes) -> bytes:
    resampler = av.AudioResampler(format="s16", layout="mono", rate=48000)
    out = bytearray()
    with av.open(io.BytesIO(data)) as container:
        for frame in container.decode(audio=0):
            for piece in resampler.resample(frame):
                out += bytes(piece.planes[0])[: piece.samples * 2]
    return bytes(out)


def make_files(folder: Path, count: int, repeat: int) -> list[tuple[Path, float]]:
    """``count`` distinct files of the English clip repeated ``repeat`` times (with pauses)."""
    speech = decode_pcm_48k((SPEECH / "en_budget.ogg").read_bytes())
    pause = b"\x00\x00" * (48000 // 2)
    files = []
    for index in range(count):
        pcm = (speech + pause) * repeat + b"\x00\x00" * (index + 1)  # distinct bytes per file
        path = folder / f"speech-{index}.ogg"
        path.write_bytes(encode_pcm(pcm, container="ogg", codec="libopus"))
        files.append((path, len(pcm) / 2 / 48000))
    return files


def direct_baseline(model_dir: str, files: list[tuple[Path, float]]) -> float:
    from faster_whisper import WhisperModel

    from reactor.transcription.local_engine import WhisperOptions

    options = WhisperOptions(model=model_dir)
    model = WhisperModel(
        model_dir,
        device="cpu",
        compute_type=options.resolved_compute_type("cpu"),
        cpu_threads=options.resolved_cpu_threads(),
    )
    started = time.perf_counter()
    for path, _ in files:
        segments, _info = model.transcribe(str(path), vad_filter=True, beam_size=options.beam_size)
        for _ in segments:
            pass
    return time.perf_counter() - started


async def through_reactor(model_dir: str, files: list[tuple[Path, float]]) -> tuple[float, int]:
    async with LocalStack() as stack:
        env = {
            **os.environ,
            **stack.env(),
            "VOXPERSONA_WHISPER_MODEL": model_dir,
            "VOXPERSONA_TRANSCRIBER": "local",
            "VOXPERSONA_LOG_LEVEL": "WARNING",
        }
        env.pop("OPENAI_API_KEY", None)
        reactor = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "reactor",
            env=env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        peak = 0
        try:
            process = psutil.Process(reactor.pid)
            conn = await asyncpg.connect(stack.database_settings().url.get_secret_value())
            await _wait_ready(conn, process)
            peak = process.memory_info().rss
            store = MinioObjectStore(stack.minio_settings())
            started = time.perf_counter()
            for index, (path, _) in enumerate(files):
                key = new_audio_key(900 + index, "ogg", now=datetime.now(UTC))
                meta = RecordingMetadata(user_id=900 + index, chat_id=900 + index)
                await store.put_file(
                    store.audio_bucket,
                    str(key),
                    path,
                    content_type="audio/ogg",
                    metadata=meta.to_headers(),
                )
            while await conn.fetchval(
                "SELECT count(*) FROM recordings WHERE status = 'done'"
            ) < len(files):
                peak = max(peak, process.memory_info().rss)
                await asyncio.sleep(0.05)
            elapsed = time.perf_counter() - started
            failed = await conn.fetchval("SELECT count(*) FROM recordings WHERE status='failed'")
            assert failed == 0, f"{failed} recordings failed"
            await conn.close()
        finally:
            reactor.terminate()
            await reactor.wait()
    return elapsed, peak


async def _wait_ready(conn: asyncpg.Connection, process: psutil.Process) -> None:
    """Until the reactor has migrated the schema and loaded its model."""
    for _ in range(600):
        if not process.is_running():
            raise RuntimeError("reactor exited during start-up")
        if await conn.fetchval("SELECT to_regclass('recordings') IS NOT NULL"):
            await asyncio.sleep(1.0)  # the consumer starts right after migrations
            return
        await asyncio.sleep(0.1)
    raise TimeoutError("reactor did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=6)
    parser.add_argument("--repeat", type=int, default=8, help="clip repetitions per file")
    parser.add_argument("--model", default=None)
    args = parser.parse_args()
    model_dir = args.model or str(assemble_base_model())
    with tempfile.TemporaryDirectory() as tmp:
        files = make_files(Path(tmp), args.files, args.repeat)
        audio = sum(seconds for _, seconds in files)
        direct = direct_baseline(model_dir, files)
        reactor, peak = asyncio.run(through_reactor(model_dir, files))
    print(
        f"files: {len(files)}, audio: {audio:.1f} s, model: {Path(model_dir).name}, "
        f"cores: {os.cpu_count()}"
    )
    print(
        f"direct faster-whisper: {len(files) / direct:.3f} rec/s, {audio / direct:.2f} audio s/s, "
        f"RTF {direct / audio:.3f}"
    )
    print(
        f"through the reactor:   {len(files) / reactor:.3f} rec/s, "
        f"{audio / reactor:.2f} audio s/s, "
        f"RTF {reactor / audio:.3f}"
    )
    print(f"ratio reactor/direct:  {direct / reactor:.3f} (target >= 0.9)")
    print(f"reactor peak RSS:      {peak / 2**20:.0f} MiB (model loaded)")


if __name__ == "__main__":
    main()
