"""Commands the bot sends the reactor: requests to do work again, on their own subject with their
own idempotency key — never forged copies of MinIO's events.

The JetStream ``Nats-Msg-Id`` of a command is :attr:`RecordingCommand.msg_id`, derived from the
bot's ``idempotency_key`` (e.g. the Telegram callback that asked for it), so a button pressed
once but handled twice (an update redelivered after a bot crash) is published once; the reactor
applies a command at most once per ``command_id`` even past the duplicate window.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

_COMMAND_NAMESPACE = uuid.UUID("0b7c5e1e-7f35-4c55-9a4b-3a2f8f1d6c21")


def command_id_for(idempotency_key: str) -> uuid.UUID:
    """The same request (same key) always yields the same command id."""
    return uuid.uuid5(_COMMAND_NAMESPACE, idempotency_key)


class _Command(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    command_id: uuid.UUID
    user_id: int = Field(gt=0)
    interface_language: str | None = Field(default=None, max_length=8)

    @property
    def msg_id(self) -> str:
        """JetStream ``Nats-Msg-Id``."""
        return f"cmd:{self.command_id}"


class ReanalyseCommand(_Command):
    """Analyse a finished recording again with ``scenario``; its result is a new message."""

    kind: Literal["reanalyse"] = "reanalyse"
    recording_id: uuid.UUID
    scenario: str = Field(min_length=1, max_length=64)


class ChooseScenarioCommand(_Command):
    """A scenario picked under a recording's status message: used by the analysis if the
    transcription still runs, else a re-analysis. The bot knows the object key, not yet the id."""

    kind: Literal["choose_scenario"] = "choose_scenario"
    object_key: str = Field(min_length=1, max_length=1024)
    scenario: str = Field(min_length=1, max_length=64)


RecordingCommand = Annotated[ReanalyseCommand | ChooseScenarioCommand, Field(discriminator="kind")]
_ADAPTER: TypeAdapter[ReanalyseCommand | ChooseScenarioCommand] = TypeAdapter(RecordingCommand)


class MalformedCommandError(ValueError):
    """Not a command this version understands."""


def parse_command(payload: bytes) -> ReanalyseCommand | ChooseScenarioCommand:
    try:
        return _ADAPTER.validate_json(payload)
    except ValidationError as exc:
        raise MalformedCommandError(f"malformed command: {exc.error_count()} error(s)") from None


def encode_command(command: ReanalyseCommand | ChooseScenarioCommand) -> bytes:
    return command.model_dump_json().encode()
