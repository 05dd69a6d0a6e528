"""Replay selection: filters, never earlier copies, and what happens to each recording."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote_plus

from reactor.replay_selection import (
    HEADER_REPLAY_OF,
    Decision,
    RecordingState,
    ReplayFilter,
    StoredEvent,
    decide,
    force_token,
    is_first,
    message_id,
    select,
)

T0 = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
KEY = "audio/42/2026/11/24/5b0f6a1e-9c1d-4b52-8a63-2f7e1d9b0c44.ogg"


def stored(
    seq: int, key: str = KEY, event: str = "s3:ObjectCreated:Put", **headers: str
) -> StoredEvent:
    obj = {"key": quote_plus(key, safe=""), "size": 5, "eTag": "e1", "sequencer": "1"}
    record = {"eventName": event, "s3": {"bucket": {"name": "b"}, "object": obj}}
    data = json.dumps({"EventName": event, "Key": f"b/{key}", "Records": [record]}).encode()
    return StoredEvent(seq=seq, time=T0 + timedelta(minutes=seq), data=data, headers=headers)


def test_every_criterion_must_hold() -> None:
    assert select(stored(5), ReplayFilter()) is not None
    assert select(stored(5), ReplayFilter(first_seq=6)) is None
    assert select(stored(5), ReplayFilter(last_seq=4)) is None
    assert select(stored(5), ReplayFilter(since=T0 + timedelta(minutes=6))) is None
    assert select(stored(5), ReplayFilter(until=T0 + timedelta(minutes=4))) is None
    assert select(stored(5), ReplayFilter(user_id=42)) is not None
    assert select(stored(5), ReplayFilter(user_id=4)) is None
    assert select(stored(5), ReplayFilter(key_prefix="audio/42/2026/11/")) is not None
    assert select(stored(5), ReplayFilter(key_prefix="audio/43/")) is None
    deletes = ReplayFilter(event_names=frozenset({"s3:ObjectRemoved:Delete"}))
    assert select(stored(5), deletes) is None
    assert select(stored(5, event="s3:ObjectRemoved:Delete"), deletes) is not None


def test_copies_from_earlier_replays_and_garbage_are_never_selected() -> None:
    assert select(stored(5, **{HEADER_REPLAY_OF: "1"}), ReplayFilter()) is None
    garbage = StoredEvent(seq=1, time=T0, data=b"{oops", headers={})
    assert select(garbage, ReplayFilter()) is None


def test_decisions() -> None:
    created = select(stored(1), ReplayFilter())
    removed = select(stored(2, event="s3:ObjectRemoved:Delete"), ReplayFilter())
    assert created is not None
    assert created.recording_id is not None
    assert removed is not None
    assert removed.recording_id is None
    assert decide(created, "done", force=False) is Decision.SKIP_DONE
    assert decide(created, "done", force=True) is Decision.FORCE
    assert decide(created, "failed", force=False) is Decision.FORCE
    assert decide(created, None, force=False) is Decision.REPLAY
    assert decide(created, "processing", force=True) is Decision.REPLAY
    assert decide(removed, None, force=True) is Decision.REPLAY


def removal(seq: int, sequencer: str) -> StoredEvent:
    event = "s3:ObjectRemoved:Delete"
    obj = {"key": quote_plus(KEY, safe=""), "sequencer": sequencer}
    record = {"eventName": event, "s3": {"bucket": {"name": "b"}, "object": obj}}
    data = json.dumps({"EventName": event, "Key": f"b/{KEY}", "Records": [record]}).encode()
    return StoredEvent(seq=seq, time=T0, data=data, headers={})


def test_one_replay_per_recording_and_run_with_one_force_token() -> None:
    """MinIO's duplicate delivery, a dead-letter requeue copy and an older bot's forged
    re-analysis event of one object version are one recording: replayed once per run."""
    other_key = KEY.replace("5b0f", "6c1a")
    events = [stored(1), stored(2), stored(3, **{"VP-Force": "requeue-x"}), stored(4, other_key)]
    candidates = [c for c in (select(e, ReplayFilter()) for e in events) if c is not None]
    assert len(candidates) == 4
    seen: set[str] = set()
    assert [c.stored.seq for c in candidates if is_first(c, seen)] == [1, 4]
    assert len({force_token("run1", c) for c in candidates}) == 2
    assert len({message_id("run1", c) for c in candidates}) == 2
    assert force_token("run1", candidates[0]) != force_token("run2", candidates[0])


def test_removals_are_deduplicated_per_event_not_per_key() -> None:
    found = [
        select(e, ReplayFilter()) for e in (removal(1, "A1"), removal(2, "A1"), removal(3, "B2"))
    ]
    seen: set[str] = set()
    assert [c is not None and is_first(c, seen) for c in found] == [True, False, True]


def test_a_finished_transcript_whose_audio_is_gone_is_never_forced() -> None:
    created = select(stored(1), ReplayFilter())
    assert created is not None
    gone_done = RecordingState("done", audio_present=False)
    gone_failed = RecordingState("failed", audio_present=False)
    assert decide(created, gone_done, force=True) is Decision.SKIP_AUDIO_GONE
    assert decide(created, gone_done, force=False) is Decision.SKIP_DONE
    assert decide(created, gone_failed, force=False) is Decision.SKIP_AUDIO_GONE
    assert decide(created, RecordingState("failed"), force=False) is Decision.FORCE
