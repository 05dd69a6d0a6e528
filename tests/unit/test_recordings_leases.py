"""Leases belong to one delivery: the pure parts (no I/O)."""

from __future__ import annotations

import dataclasses
import uuid

from reactor.pipeline import delivery_owner
from voxpersona.contracts.results import RecordingStatus
from voxpersona.recordings import Recording

BASE = Recording(
    id=uuid.uuid4(),
    object_key="audio/1/2026/01/01/x.ogg",
    user_id=1,
    chat_id=1,
    message_id=None,
    status=RecordingStatus.PROCESSING,
    attempts=1,
    failure_code=None,
    failure_reason=None,
    notified=False,
)


def test_two_copies_and_two_deliveries_never_share_an_owner() -> None:
    owners = {
        delivery_owner("host:1:abc", 10, 1),  # a copy of an event
        delivery_owner("host:1:abc", 11, 1),  # MinIO's duplicate of it, same batch
        delivery_owner("host:1:abc", 10, 2),  # the first copy redelivered
        delivery_owner("host:2:def", 10, 1),  # another reactor
    }
    assert len(owners) == 4
    assert delivery_owner("host:1:abc", 10, 1) == delivery_owner("host:1:abc", 10, 1)


def test_our_own_live_lease_is_not_another_reactors() -> None:
    ours = dataclasses.replace(BASE, leased=True, lease_owner="r/10.5")
    assert not ours.leased_by_other("r/10.5")
    assert ours.leased_by_other("r/10.4")
    assert ours.leased_by_other(None)
    expired = dataclasses.replace(BASE, leased=False, lease_owner="r/10.4")
    assert not expired.leased_by_other("r/10.5")
