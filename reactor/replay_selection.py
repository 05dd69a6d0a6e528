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
    SKIP_DUPLICATE = "skip-duplicate"  # another selected event stands for the same recording
    SKIP_AUDIO_GONE = "skip-audio-gone"  # done, audio expired: a rerun could only destroy it


@dataclass(frozen=True, slots=True)
class RecordingState:
    """What the database says about a candidate's recording."""

    status: str
    audio_present: bool = True


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


def decide(candidate: Candidate, state: RecordingState | str | None, *, force: bool) -> Decision:
    """Done recordings are skipped unless forced; failed ones are reprocessed (a plain copy
    would only meet the finished row); neither is forced once its audio is gone (the transcript
    could not be made again); unseen, processing and removal events are replayed."""
    if isinstance(state, str):
        state = RecordingState(state)
    if candidate.recording_id is None or state is None or state.status == "processing":
        return Decision.REPLAY
    if state.status == "done" and not force:
        return Decision.SKIP_DONE
    if not state.audio_present:
        return Decision.SKIP_AUDIO_GONE
    return Decision.FORCE


def dedupe_key(candidate: Candidate) -> str:
    """Events standing for the same thing: a recording (MinIO's duplicate deliveries,
    dead-letter requeue copies, re-analysis events forged by older bots all carry the same
    object version), or one removal."""
    rid = candidate.recording_id
    if rid is not None:
        return f"recording:{rid}"
    event = candidate.event
    return f"event:{event.event_name}:{event.bucket}/{event.key}:{event.sequencer}"


def is_first(candidate: Candidate, seen: set[str]) -> bool:
    """True the first time a recording (or removal) is met in a run; remembers it."""
    key = dedupe_key(candidate)
    if key in seen:
        return False
    seen.add(key)
    return True


def force_token(run: str, candidate: Candidate) -> str:
    """One force token per recording and run: every copy of it converges on one rerun."""
    return f"replay-{run}-{candidate.recording_id}"


def message_id(run: str, candidate: Candidate) -> str:
    """``Nats-Msg-Id`` of the copy: publishing one recording twice in a run stores it once."""
    if candidate.recording_id is not None:
        return f"replay:{run}:{candidate.recording_id}"
    return f"replay:{run}:seq:{candidate.stored.seq}"
