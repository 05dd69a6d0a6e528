"""Bot relay benchmark: Telegram → MinIO streaming against a raw ``minio`` SDK upload.

Prints, in one run against the same S3 server (moto behind the MinIO notifier double):

1. the bot's Telegram→MinIO streaming throughput (``bot.relay.relay_to_storage``: download from
   a Bot API server, multipart upload) as a ratio of a raw SDK ``put_object`` of the same bytes
   from disk (target ≥ 0.8);
2. the bot process's peak RSS growth while it relays the file (target < 64 MiB).

Three processes, so each number belongs to the right one: this one runs the S3 server, a
second serves the file as the fake Telegram Bot API (streamed from disk), a third is "the bot"
(relay) or the raw uploader and measures its own peak RSS (``VmHWM``, reset just before).
moto keeps objects in memory (about twice their size): each object is deleted after its run.

Each side's best of ``--rounds`` runs is reported; the order alternates between rounds so
neither side always pays the server's warm-up.

Run: ``.venv/bin/python bench/storage_relay.py [--size-mib 1024] [--rounds 2]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from voxpersona.localstack.minio_standin import MinioStandin
from voxpersona.localstack.ports import free_port
from voxpersona.settings import MinioSettings
from voxpersona.storage import MinioObjectStore

MIB = 1024 * 1024
TOKEN = "123456:bench-token"
# One name for this process and its children (they inherit the environment).
BUCKET = os.environ.setdefault("VP_BENCH_BUCKET", f"vp-bench-{uuid.uuid4().hex[:8]}")
ACCESS, SECRET = "bench", "bench-secret"


# ---------------------------------------------------------------- measuring this process


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak_rss() -> int:
    """Reset VmHWM to the current RSS (Linux ≥ 4.0) and return the RSS in bytes."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kib("VmRSS") * 1024


def peak_rss() -> int:
    return _status_kib("VmHWM") * 1024


def store_settings(endpoint: str) -> MinioSettings:
    return MinioSettings(
        endpoint=endpoint,
        access_key=ACCESS,
        secret_key=SECRET,
        use_ssl=False,
        audio_bucket_name=BUCKET,
        bucket_name=BUCKET,
    )


# ---------------------------------------------------------------- child roles


async def role_relay(endpoint: str, api_url: str, file_id: str, size: int) -> dict[str, Any]:
    """Be the bot: relay one Telegram file into MinIO exactly as intake does."""
    from aiogram import Bot
    from aiogram.client.session.aiohttp import AiohttpSession
    from aiogram.client.telegram import TelegramAPIServer

    from bot.relay import RelayRequest, relay_to_storage
    from voxpersona.contracts.metadata import RecordingMetadata
    from voxpersona.sniffing import AudioKind

    store = MinioObjectStore(store_settings(endpoint))
    # The fake runs as a --local server: files are read from its disk, as in production.
    api = TelegramAPIServer.from_base(api_url, is_local=True)
    bot = Bot(TOKEN, session=AiohttpSession(api=api))
    request = RelayRequest(
        file_id, size, RecordingMetadata(user_id=1, chat_id=1), AudioKind("ogg", "audio/ogg")
    )
    try:
        baseline = reset_peak_rss()
        started = time.perf_counter()
        relayed = await relay_to_storage(bot, store, request)
        elapsed = time.perf_counter() - started
        grown = peak_rss() - baseline
    finally:
        await bot.session.close()
    assert relayed.info.size == size, relayed.info
    return {"seconds": elapsed, "rss_growth": grown, "key": str(relayed.key)}


def role_raw(endpoint: str, path: str) -> dict[str, Any]:
    """A plain SDK upload of the same bytes from disk, with the SDK's defaults."""
    client = MinioObjectStore(store_settings(endpoint)).client
    key = f"audio/1/raw-{uuid.uuid4()}.ogg"
    size = os.path.getsize(path)
    with open(path, "rb") as handle:
        baseline = reset_peak_rss()
        started = time.perf_counter()
        client.put_object(BUCKET, key, handle, size, "audio/ogg")
        elapsed = time.perf_counter() - started
    return {"seconds": elapsed, "rss_growth": peak_rss() - baseline, "key": key}


async def role_telegram(path: str) -> None:
    """Serve ``path`` as a Telegram file until stdin closes."""
    from voxpersona.localstack.fake_telegram import FakeTelegram

    async with FakeTelegram(local_mode=True) as telegram:
        file = telegram.add_file_from_path(Path(path), suffix=".oga")
        print(json.dumps({"api_url": telegram.base_url, "file_id": file.file_id}), flush=True)
        await asyncio.to_thread(sys.stdin.read)


# ---------------------------------------------------------------- the parent


async def child(*args: str) -> dict[str, Any]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, __file__, *args, stdout=asyncio.subprocess.PIPE
    )
    output, _ = await process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"{args[:2]} failed with exit code {process.returncode}")
    result: dict[str, Any] = json.loads(output.decode().strip().splitlines()[-1])
    return result


def make_file(size: int) -> Path:
    path = Path(tempfile.mkdtemp(prefix="vp-bench-")) / "recording.oga"
    with path.open("wb") as handle:
        handle.write(b"OggS")
        written = 4
        while written < size:
            chunk = os.urandom(min(8 * MIB, size - written))
            handle.write(chunk)
            written += len(chunk)
    return path


async def main(size_mib: int, rounds: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's request log
    size = size_mib * MIB
    path = make_file(size)
    standin = MinioStandin(nats_url=f"nats://127.0.0.1:{free_port()}", access_key=ACCESS,
                           secret_key=SECRET)  # fmt: skip
    await standin.start()
    store = MinioObjectStore(store_settings(standin.endpoint))
    await store.ensure_buckets(BUCKET)
    telegram = await asyncio.create_subprocess_exec(
        sys.executable, __file__, "--role", "telegram", str(path),
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
    )  # fmt: skip
    assert telegram.stdout is not None
    assert telegram.stdin is not None
    served = json.loads(await telegram.stdout.readline())
    raw_args = ("--role", "raw", standin.endpoint, str(path))
    relay_args = ("--role", "relay", standin.endpoint, served["api_url"], served["file_id"])
    runs: dict[str, list[dict[str, Any]]] = {"raw": [], "relay": []}
    try:
        for number in range(rounds):
            # Alternate the order so neither side always pays the server's warm-up.
            order = ["raw", "relay"] if number % 2 == 0 else ["relay", "raw"]
            for name in order:
                args = raw_args if name == "raw" else (*relay_args, str(size))
                result = await child(*args)
                await store.delete(BUCKET, result["key"])
                runs[name].append(result)
    finally:
        telegram.stdin.close()
        await telegram.wait()
        await standin.close()
        path.unlink()
    report(size, runs["raw"], runs["relay"])


def report(size: int, raw_runs: list[dict[str, Any]], relay_runs: list[dict[str, Any]]) -> None:
    raw = min(r["seconds"] for r in raw_runs)
    relay = min(r["seconds"] for r in relay_runs)
    growth = max(r["rss_growth"] for r in relay_runs)
    print(f"file: {size / MIB:.0f} MiB, {len(relay_runs)} round(s), {datetime.now(UTC):%Y-%m-%d}")
    print(f"raw SDK put_object from disk:   {size / MIB / raw:8.1f} MiB/s ({raw:.2f} s)")
    print(f"bot relay Telegram -> MinIO:    {size / MIB / relay:8.1f} MiB/s ({relay:.2f} s)")
    print(f"throughput ratio relay/raw:     {raw / relay:8.2f}   (target >= 0.80)")
    print(f"bot peak RSS growth (relay):    {growth / MIB:8.1f} MiB (target < 64 MiB)")
    raw_growth = max(r["rss_growth"] for r in raw_runs)
    print(f"raw uploader peak RSS growth:   {raw_growth / MIB:8.1f} MiB (for comparison)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=2, help="best of N, alternating order")
    parser.add_argument("--role", choices=["relay", "raw", "telegram"])
    parser.add_argument("role_args", nargs="*")
    args = parser.parse_args()
    if args.role == "relay":
        endpoint, api_url, file_id, length = args.role_args
        print(json.dumps(asyncio.run(role_relay(endpoint, api_url, file_id, int(length)))))
    elif args.role == "raw":
        print(json.dumps(role_raw(*args.role_args)))
    elif args.role == "telegram":
        asyncio.run(role_telegram(args.role_args[0]))
    else:
        asyncio.run(main(args.size_mib, args.rounds))
