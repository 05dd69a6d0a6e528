"""Commands from the bot to the reactor: their own contract and idempotency key, never a forged
MinIO event."""

from __future__ import annotations

import uuid

import pytest

from voxpersona.contracts.commands import (
    ChooseScenarioCommand,
    MalformedCommandError,
    ReanalyseCommand,
    command_id_for,
    encode_command,
    parse_command,
)
from voxpersona.contracts.events import MalformedEventError, parse_notification

RID = uuid.UUID("6f1c2d3e-4a5b-4c6d-8e7f-901234567890")


def test_a_command_round_trips_and_keeps_its_kind() -> None:
    rerun = ReanalyseCommand(
        command_id=command_id_for("callback-1"),
        user_id=42,
        interface_language="en",
        recording_id=RID,
        scenario="meeting",
    )
    choose = ChooseScenarioCommand(
        command_id=command_id_for("callback-2"),
        user_id=42,
        object_key="audio/42/x.ogg",
        scenario="b",
    )
    assert parse_command(encode_command(rerun)) == rerun
    assert parse_command(encode_command(choose)) == choose


def test_the_same_request_yields_the_same_idempotency_key() -> None:
    def command(key: str) -> ReanalyseCommand:
        return ReanalyseCommand(
            command_id=command_id_for(key), user_id=1, recording_id=RID, scenario="s"
        )

    assert command("cb-7").msg_id == command("cb-7").msg_id
    assert command("cb-7").msg_id != command("cb-8").msg_id
    assert command("cb-7").msg_id.startswith("cmd:")


def test_a_command_is_not_a_minio_event_and_vice_versa() -> None:
    payload = encode_command(
        ReanalyseCommand(command_id=command_id_for("k"), user_id=1, recording_id=RID, scenario="s")
    )
    with pytest.raises(MalformedEventError):
        parse_notification(payload)
    with pytest.raises(MalformedCommandError):
        parse_command(b'{"EventName": "s3:ObjectCreated:Put", "Records": []}')


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'{"kind": "delete_everything", "command_id": "' + str(RID).encode() + b'", "user_id": 1}',
        b'{"kind": "reanalyse", "command_id": "' + str(RID).encode() + b'", "user_id": 0,'
        b' "recording_id": "' + str(RID).encode() + b'", "scenario": "s"}',
    ],
)
def test_malformed_commands_are_refused(payload: bytes) -> None:
    with pytest.raises(MalformedCommandError):
        parse_command(payload)
