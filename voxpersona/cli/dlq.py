"""``voxpersona dlq list | show ID | requeue ID… | purge``: events that exhausted their
deliveries and results the bot could not deliver, kept with their last error. ``ID`` is the
dead-letter stream sequence."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TextIO

import nats
from nats.js import JetStreamContext
from pydantic import ValidationError

from reactor import stream_reader
from reactor.dead_letters import (
    HEADER_CODE,
    HEADER_DELIVERIES,
    HEADER_ERROR,
    HEADER_FORCE,
    HEADER_STREAM_SEQ,
    HEADER_SUBJECT,
)
from reactor.replay_selection import StoredEvent
from voxpersona.contracts.events import MalformedEventError, parse_notification
from voxpersona.contracts.results import ResultMessage
from voxpersona.contracts.subjects import StreamNames
from voxpersona.settings import NatsSettings, load_settings

HEADER_REQUEUE_OF = "VP-Requeue-Of"


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    time: datetime | None
    code: str
    error: str
    deliveries: str
    event_seq: str
    key: str
    data: bytes


def _what(data: bytes) -> str:
    """An event's object key, or ``result:<recording id>`` for an undeliverable result."""
    try:
        return parse_notification(data).key
    except MalformedEventError:
        pass
    try:
        return f"result:{ResultMessage.model_validate_json(data).recording_id}"
    except ValidationError:
        return "(malformed event)"


def _letter(stored: StoredEvent) -> DeadLetter:
    key = _what(stored.data)
    headers = stored.headers
    return DeadLetter(
        id=stored.seq,
        time=stored.time,
        code=headers.get(HEADER_CODE, "?"),
        error=headers.get(HEADER_ERROR, ""),
        deliveries=headers.get(HEADER_DELIVERIES, "?"),
        event_seq=headers.get(HEADER_STREAM_SEQ, "?"),
        key=key,
        data=stored.data,
    )


async def list_letters(js: JetStreamContext, names: StreamNames) -> list[DeadLetter]:
    first, last = await stream_reader.bounds(js, names.dead_letter_stream)
    return [_letter(s) async for s in stream_reader.read(js, names.dead_letter_stream, first, last)]


async def requeue(js: JetStreamContext, names: StreamNames, ids: list[int]) -> list[int]:
    """Publish each letter's event again (forced: its recording is reprocessed), then remove
    the letter. Returns the ids requeued; unknown ids are skipped."""
    done = []
    for letter_id in ids:
        stored = await stream_reader.get(js, names.dead_letter_stream, letter_id)
        if stored is None:
            continue
        if stored.headers.get(HEADER_SUBJECT) == names.results_subject:
            # A result the bot could not deliver: offered to the bots again as it was.
            await js.publish(
                names.results_subject,
                stored.data,
                headers={
                    HEADER_REQUEUE_OF: str(letter_id),
                    "Nats-Msg-Id": f"requeue:{names.dead_letter_stream}:{letter_id}",
                },
            )
            await js.delete_msg(names.dead_letter_stream, letter_id)
            done.append(letter_id)
            continue
        # A dead command goes back to the commands subject (applied at most once by its id).
        is_command = stored.headers.get(HEADER_SUBJECT) == names.commands_subject
        await js.publish(
            names.commands_subject if is_command else names.events_subject,
            stored.data,
            headers={
                HEADER_FORCE: f"requeue-{letter_id}",
                HEADER_REQUEUE_OF: str(letter_id),
                "Nats-Msg-Id": f"requeue:{names.dead_letter_stream}:{letter_id}",
            },
        )
        await js.delete_msg(names.dead_letter_stream, letter_id)
        done.append(letter_id)
    return done


async def purge(js: JetStreamContext, names: StreamNames) -> int:
    before = (await js.stream_info(names.dead_letter_stream)).state.messages
    await js.purge_stream(names.dead_letter_stream)
    return before


def _print_list(letters: list[DeadLetter], out: TextIO) -> None:
    print("ID\tFAILED AT\tCODE\tDELIVERIES\tEVENT SEQ\tKEY", file=out)
    for x in letters:
        stamp = x.time.isoformat(timespec="seconds") if x.time else "-"
        print(f"{x.id}\t{stamp}\t{x.code}\t{x.deliveries}\t{x.event_seq}\t{x.key}", file=out)
    print(f"{len(letters)} dead letters", file=out)


def _print_one(letter: DeadLetter, out: TextIO) -> None:
    print(f"id: {letter.id}\nkey: {letter.key}\ncode: {letter.code}", file=out)
    print(f"error: {letter.error}\ndeliveries: {letter.deliveries}", file=out)
    print(f"event stream sequence: {letter.event_seq}", file=out)
    try:
        print(json.dumps(json.loads(letter.data), indent=2, ensure_ascii=False), file=out)
    except ValueError:
        print(repr(letter.data[:2000]), file=out)


async def _run_async(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    nc = await nats.connect(load_settings(NatsSettings).url)
    js, names = nc.jetstream(), StreamNames()
    try:
        if args.dlq_command == "list":
            _print_list(await list_letters(js, names), out)
        elif args.dlq_command == "show":
            stored = await stream_reader.get(js, names.dead_letter_stream, args.id)
            if stored is None:
                print(f"no dead letter {args.id}", file=out)
                return 1
            _print_one(_letter(stored), out)
        elif args.dlq_command == "requeue":
            done = await requeue(js, names, args.ids)
            missing = sorted(set(args.ids) - set(done))
            named = f": {', '.join(map(str, done))}" if done else ""
            print(
                f"requeued {len(done)}{named}" + (f"; not found: {missing}" if missing else ""),
                file=out,
            )
            return 0 if not missing else 1
        else:
            print(f"purged {await purge(js, names)} dead letters", file=out)
    finally:
        await nc.close()
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser("dlq", help="dead-lettered events: list, show, requeue, purge")
    sub = parser.add_subparsers(dest="dlq_command", required=True)
    sub.add_parser("list", help="list dead letters")
    show = sub.add_parser("show", help="one dead letter with its event and last error")
    show.add_argument("id", type=int)
    again = sub.add_parser("requeue", help="process dead letters again (after the fault cleared)")
    again.add_argument("ids", type=int, nargs="+")
    sub.add_parser("purge", help="delete every dead letter")
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(_run_async(args))
