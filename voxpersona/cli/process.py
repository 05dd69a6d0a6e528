"""``voxpersona process FILE --user ID``: one local file through the real path.

Upload into the audio bucket (as the bot would) → MinIO's event → a reactor → result message.
An in-process reactor joins the shared durable consumer, so this works beside running reactors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import nats
from nats.aio.msg import Msg

from reactor.app import run_reactor, secrets_of
from voxpersona.cli.localenv import services
from voxpersona.contracts.keys import new_audio_key
from voxpersona.contracts.metadata import RecordingMetadata
from voxpersona.contracts.results import RecordingStatus, ResultMessage
from voxpersona.logging import configure_logging
from voxpersona.recordings import recording_id_for
from voxpersona.settings import ReactorSettings, load_reactor_settings
from voxpersona.sniffing import SNIFF_BYTES, sniff_audio
from voxpersona.storage import MinioObjectStore

EXIT_DONE, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_TIMEOUT = 0, 1, 2, 3


async def run_process(file: Path, *, user_id: int, timeout: float, as_json: bool) -> int:
    if not await asyncio.to_thread(file.is_file):
        print(f"error: {file} is not a readable file")
        return EXIT_BAD_INPUT
    with file.open("rb") as handle:
        kind = sniff_audio(handle.read(SNIFF_BYTES))
    if kind is None:
        print(f"error: {file} is not audio (OGG, MP3, M4A, WAV, FLAC, WEBM, AMR, AAC)")
        return EXIT_BAD_INPUT
    async with services() as description:
        settings = load_reactor_settings()
        # A one-off reactor beside running ones: no operators' HTTP server of its own.
        settings.vox.http_port = 0
        configure_logging(
            log_format=settings.vox.log_format, level="WARNING", secrets=secrets_of(settings)
        )
        print(f"using {description}")
        result = await _push(file, kind.extension, kind.content_type, user_id, settings, timeout)
        if result is None:
            print(f"error: no result within {timeout:.0f}s")
            return EXIT_TIMEOUT
        return await _report(result, settings, as_json)


async def _push(
    file: Path,
    extension: str,
    content_type: str,
    user_id: int,
    settings: ReactorSettings,
    timeout: float,
) -> ResultMessage | None:
    store = MinioObjectStore(settings.minio)
    nc = await nats.connect(settings.nats.url)
    results: asyncio.Queue[ResultMessage] = asyncio.Queue()

    async def on_result(msg: Msg) -> None:
        with contextlib.suppress(ValueError):
            await results.put(ResultMessage.model_validate_json(msg.data))

    await nc.subscribe(settings.streams.results_subject, cb=on_result)
    stop = asyncio.Event()
    reactor = asyncio.create_task(run_reactor(settings, stop))
    try:
        key = str(new_audio_key(user_id, extension, now=datetime.now(UTC)))
        metadata = RecordingMetadata(
            user_id=user_id, chat_id=user_id, original_name=file.name, source="cli"
        )
        info = await store.put_file(
            store.audio_bucket, key, file, content_type=content_type, metadata=metadata.to_headers()
        )
        assert info.etag is not None
        wanted = recording_id_for(store.audio_bucket, key, info.etag)
        print(f"uploaded {file.name} as {store.audio_bucket}/{key}; waiting for the reactor…")
        return await asyncio.wait_for(_first_for(results, wanted, reactor), timeout)
    except TimeoutError:
        return None
    finally:
        stop.set()
        await asyncio.gather(reactor, return_exceptions=True)
        await nc.close()


async def _first_for(
    results: asyncio.Queue[ResultMessage], wanted: object, reactor: asyncio.Task[None]
) -> ResultMessage:
    while True:
        getter = asyncio.ensure_future(results.get())
        done, _ = await asyncio.wait({getter, reactor}, return_when=asyncio.FIRST_COMPLETED)
        if reactor in done and getter not in done:
            getter.cancel()
            reactor.result()  # re-raise why the reactor stopped
            raise RuntimeError("reactor stopped before the result arrived")
        result = getter.result()
        if result.recording_id == wanted:
            return result


async def _report(result: ResultMessage, settings: ReactorSettings, as_json: bool) -> int:
    conn = await asyncpg.connect(settings.database.url.get_secret_value())
    try:
        row = await conn.fetchrow(
            "SELECT status, transcript_text, transcript_language, transcription_engine,"
            " transcription_model, failure_code, failure_reason FROM recordings WHERE id = $1",
            result.recording_id,
        )
    finally:
        await conn.close()
    record = dict(row) if row is not None else {}
    if as_json:
        print(json.dumps({"recording_id": str(result.recording_id), **record}, ensure_ascii=False))
    elif result.status is RecordingStatus.DONE:
        print(
            f"recording {result.recording_id}: done "
            f"({record.get('transcription_engine')}/{record.get('transcription_model')}, "
            f"language {record.get('transcript_language')})\n"
        )
        print(record.get("transcript_text", ""))
    else:
        print(f"recording {result.recording_id}: failed: {result.reason_code}: {result.reason}")
    return EXIT_DONE if result.status is RecordingStatus.DONE else EXIT_FAILED


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "process", help="push one local audio file through the real path and print the result"
    )
    parser.add_argument("file", type=Path)
    parser.add_argument("--user", type=int, required=True, help="Telegram user id to file it under")
    parser.add_argument(
        "--timeout", type=float, default=600.0, help="seconds to wait for the result"
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(
        run_process(args.file, user_id=args.user, timeout=args.timeout, as_json=args.json)
    )
