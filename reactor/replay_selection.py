"""Which stored events an operator's replay selects, and what to do with each: pure logic.

A replay publishes *copies* of selected events at the end of the stream (marked with
``VP-Replay-Of``), so running consumers see them once as new messages; the durable consumer's
position is never moved back, which would redeliver everything after it to every user.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from voxpersona.contracts.events import BucketEvent, EventKind, MalformedEventError
from voxpersona.contracts.events import parse_notification as parse
from voxpersona.recordings import recording_id_for

HEADER_REPLAY_OF = "VP-Replay-Of"


@dataclass(frozen=True, slots=True)
class ReplayFilter:
    """Every given criterion must hold (None: no constraint)."""

    since: datetime | None = None
    until: datetime | None = None
    first_seq: int | None = None
    last_seq: int | None = None
    key_prefix: str | None = None
    user_id: int | None = None
    event_names: frozenset[str] | None = None


@dataclass(frozen=True, slots=True)
class StoredEvent:
    seq: int
    time: datetime | None
    data: bytes
    headers: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A selected event: its parsed form and the recording it creates, if any."""

    stored: StoredEvent
    event: BucketEvent

    @property
    def recording_id(self) -> uuid.UUID | None:
        if self.event.kind is not EventKind.CREATED or not self.event.etag:
            return None
        return recording_id_for(self.event.bucket, self.event.key, self.event.etag)


class Decision(StrEnum):
    REPLAY = "replay"  # publish a plain copy: idempotency decides
    FORCE = "force"  # publish with a force token: reprocess and message the user again
    SKIP_DONE = "skip-done"


def _user_of(key: str) -> int | None:
    parts = key.split("/")
    return int(parts[1]) if len(parts) > 2 and parts[0] == "audio" and parts[1].isdigit() else None


def select(stored: StoredEvent, wanted: ReplayFilter) -> Candidate | None:
    """The event as a candidate when it matches ``wanted`` (never an earlier replay's copy)."""
    if HEADER_REPLAY_OF in stored.headers:
        return None
    if wanted.first_seq is not None and stored.seq < wanted.first_seq:
        return None
    if wanted.last_seq is not None and stored.seq > wanted.last_seq:
        return None
    if stored.time is not None:
        if wanted.since is not None and stored.time < wanted.since:
            return None
        if wanted.until is not None and stored.time > wanted.until:
            return None
    try:
        event = parse(stored.data)
    except MalformedEventError:
        return None
    if wanted.key_prefix is not None and not event.key.startswith(wanted.key_prefix):
        return None
    if wanted.user_id is not None and _user_of(event.key) != wanted.user_id:
        return None
    if wanted.event_names is not None and event.event_name not in wanted.event_names:
        return None
    return Candidate(stored, event)


def decide(candidate: Candidate, status: str | None, *, force: bool) -> Decision:
    """Done recordings are skipped unless forced; failed ones are reprocessed (a plain copy
    would only meet the finished row); unseen, processing and removal events are replayed."""
    if candidate.recording_id is None or status in (None, "processing"):
        return Decision.REPLAY
    if status == "done":
        return Decision.FORCE if force else Decision.SKIP_DONE
    return Decision.FORCE
