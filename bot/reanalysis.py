"""Asking the reactor to do work again: commands on their own subject, with their own
idempotency key (``Nats-Msg-Id``), never forged MinIO events. The reactor owns the recording's
state; the bot only asks (see :mod:`voxpersona.contracts.commands`)."""

from __future__ import annotations

import uuid

from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from voxpersona.contracts.commands import (
    ChooseScenarioCommand,
    ReanalyseCommand,
    command_id_for,
    encode_command,
)


class Reanalysis:
    """Publishes re-analysis and scenario-choice commands onto the commands subject."""

    def __init__(self, nc: NatsClient, js: JetStreamContext, subject: str) -> None:
        self._nc = nc
        self._js = js
        self._subject = subject

    @property
    def connected(self) -> bool:
        return bool(self._nc.is_connected)

    async def request(
        self,
        recording_id: uuid.UUID,
        *,
        user_id: int,
        scenario: str,
        interface_language: str,
        idempotency_key: str,
    ) -> None:
        """Analyse a finished recording again with ``scenario``."""
        command = ReanalyseCommand(
            command_id=command_id_for(f"reanalyse:{idempotency_key}"),
            user_id=user_id,
            interface_language=interface_language,
            recording_id=recording_id,
            scenario=scenario,
        )
        await self._publish(command)

    async def choose_scenario(
        self,
        object_key: str,
        *,
        user_id: int,
        scenario: str,
        interface_language: str,
        idempotency_key: str,
    ) -> None:
        """A scenario chosen under a status message (applied or re-run by the reactor)."""
        command = ChooseScenarioCommand(
            command_id=command_id_for(f"choose:{idempotency_key}"),
            user_id=user_id,
            interface_language=interface_language,
            object_key=object_key,
            scenario=scenario,
        )
        await self._publish(command)

    async def _publish(self, command: ReanalyseCommand | ChooseScenarioCommand) -> None:
        await self._js.publish(
            self._subject, encode_command(command), headers={"Nats-Msg-Id": command.msg_id}
        )
