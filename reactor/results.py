"""Publishing result messages for the bot, and writing result documents to the results bucket."""

from __future__ import annotations

from nats.js import JetStreamContext

from voxpersona.contracts.results import ResultMessage


class ResultPublisher:
    """Publishes :class:`ResultMessage` to JetStream with a dedup id."""

    def __init__(self, js: JetStreamContext, subject: str) -> None:
        self._js = js
        self._subject = subject

    async def publish(self, message: ResultMessage) -> None:
        await self._js.publish(
            self._subject,
            message.model_dump_json().encode(),
            headers={"Nats-Msg-Id": message.dedup_id},
        )
