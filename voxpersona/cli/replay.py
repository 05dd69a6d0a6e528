"""``voxpersona replay``: publish copies of stored MinIO events so the reactors process them
again. Selects by time range, stream sequence range, key prefix, user id or event name;
``--dry-run`` lists; done recordings are skipped unless ``--force``. Each recording is
replayed once per run (its first selected event), with one force token per recording and run."""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TextIO

import asyncpg
import nats
from nats.js import JetStreamContext

from reactor import stream_reader
from reactor.dead_letters import HEADER_FORCE
from reactor.replay_selection import (
    HEADER_REPLAY_OF,
    Candidate,
    Decision,
    RecordingState,
    ReplayFilter,
    decide,
    force_token,
    is_first,
    message_id,
)
from reactor.replay_selection import select as select_event
from voxpersona.cli.progress import ProgressBar
from voxpersona.contracts.subjects import StreamNames
from voxpersona.recordings import Recordings
from voxpersona.settings import DatabaseSettings, NatsSettings, load_settings


@dataclass
class ReplaySummary:
    scanned: int = 0
    decisions: Counter[Decision] = field(default_factory=Counter)

    def line(self, dry_run: bool) -> str:
        verb = "would replay" if dry_run else "replayed"
        return (
            f"scanned {self.scanned} events: {verb} {self.decisions[Decision.REPLAY]}, "
            f"{'would force' if dry_run else 'forced'} {self.decisions[Decision.FORCE]}, "
            f"skipped {self.decisions[Decision.SKIP_DONE]} already done, "
            f"{self.decisions[Decision.SKIP_DUPLICATE]} duplicate, "
            f"{self.decisions[Decision.SKIP_AUDIO_GONE]} done with audio gone"
        )


async def _states(dsn: str, candidates: list[Candidate]) -> dict[uuid.UUID, RecordingState]:
    ids = [c.recording_id for c in candidates if c.recording_id is not None]
    if not ids:
        return {}
    pool = await asyncpg.create_pool(dsn, min_size=1, max_size=1)
    try:
        found = await Recordings(pool).replay_states(ids)
    finally:
        await pool.close()
    return {
        rid: RecordingState(status, audio_present=present)
        for rid, (status, present) in found.items()
    }


async def _candidates(
    js: JetStreamContext, names: StreamNames, wanted: ReplayFilter
) -> tuple[int, list[Candidate]]:
    first, last = await stream_reader.bounds(js, names.events_stream)
    first = max(first, wanted.first_seq or first)
    last = min(last, wanted.last_seq or last)
    if wanted.since is not None and first <= last:
        first = await stream_reader.first_at_or_after(
            js, names.events_stream, wanted.since, first, last
        )
    scanned, found = 0, []
    async for stored in stream_reader.read(js, names.events_stream, first, last):
        scanned += 1
        candidate = select_event(stored, wanted)
        if candidate is not None:
            found.append(candidate)
    return scanned, found


async def replay(
    js: JetStreamContext,
    names: StreamNames,
    dsn: str,
    wanted: ReplayFilter,
    *,
    dry_run: bool,
    force: bool,
    out: TextIO = sys.stdout,
) -> ReplaySummary:
    """Select, decide, and (unless ``dry_run``) publish the copies; return the counts."""
    summary = ReplaySummary()
    summary.scanned, candidates = await _candidates(js, names, wanted)
    states = await _states(dsn, candidates)
    run = uuid.uuid4().hex[:8]
    bar = ProgressBar(len(candidates), "events")
    seen: set[str] = set()
    for candidate in candidates:
        rid = candidate.recording_id
        decision = decide(candidate, states.get(rid) if rid else None, force=force)
        if not is_first(candidate, seen):
            decision = Decision.SKIP_DUPLICATE
        summary.decisions[decision] += 1
        seq, event = candidate.stored.seq, candidate.event
        if dry_run:
            stamp = candidate.stored.time.isoformat() if candidate.stored.time else "-"
            print(f"{seq}\t{stamp}\t{event.event_name}\t{event.key}\t{decision}", file=out)
        elif decision in (Decision.REPLAY, Decision.FORCE):
            headers = {HEADER_REPLAY_OF: str(seq), "Nats-Msg-Id": message_id(run, candidate)}
            if decision is Decision.FORCE:
                headers[HEADER_FORCE] = force_token(run, candidate)
            await js.publish(names.events_subject, candidate.stored.data, headers=headers)
        bar.advance()
    bar.close()
    print(summary.line(dry_run), file=out)
    return summary


def _when(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        raise argparse.ArgumentTypeError("give a time zone, e.g. 2026-11-24T10:00:00+00:00")
    return parsed


def filter_from(args: argparse.Namespace) -> ReplayFilter:
    return ReplayFilter(
        since=args.since,
        until=args.until,
        first_seq=args.from_seq,
        last_seq=args.to_seq,
        key_prefix=args.prefix,
        user_id=args.user,
        event_names=frozenset(args.event) if args.event else None,
    )


async def _run_async(args: argparse.Namespace) -> int:
    nats_settings = load_settings(NatsSettings)
    database = load_settings(DatabaseSettings)
    nc = await nats.connect(nats_settings.url)
    try:
        await replay(
            nc.jetstream(),
            StreamNames(),
            database.url.get_secret_value(),
            filter_from(args),
            dry_run=args.dry_run,
            force=args.force,
        )
    finally:
        await nc.close()
    return 0


def register(commands: Any) -> None:
    parser = commands.add_parser("replay", help="process stored MinIO events again")
    parser.add_argument("--since", type=_when, help="events stored at or after (ISO time)")
    parser.add_argument("--until", type=_when, help="events stored at or before (ISO time)")
    parser.add_argument("--from-seq", type=int, help="first stream sequence")
    parser.add_argument("--to-seq", type=int, help="last stream sequence")
    parser.add_argument("--prefix", help="object key prefix, e.g. audio/123456789/2026/11/")
    parser.add_argument("--user", type=int, help="Telegram user id")
    parser.add_argument(
        "--event", action="append", help="event name, e.g. s3:ObjectCreated:Put (repeatable)"
    )
    parser.add_argument("--dry-run", action="store_true", help="list what would be replayed")
    parser.add_argument(
        "--force", action="store_true", help="reprocess done recordings (users get them again)"
    )
    parser.set_defaults(handler=_run)


def _run(args: argparse.Namespace) -> int:
    return asyncio.run(_run_async(args))
