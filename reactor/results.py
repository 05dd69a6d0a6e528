"""Publishing result messages for the bot, and writing result documents to the results bucket."""

from __future__ import annotations

from nats.js import JetStreamContext

from reactor.deadlines import deadline
from voxpersona.contracts.results import ResultMessage


class ResultPublisher:
    """Publishes :class:`ResultMessage` to JetStream with a dedup id."""

    def __init__(self, js: JetStreamContext, subject: str, *, timeout: float = 30.0) -> None:
        self._js = js
        self._subject = subject
        self._timeout = timeout

    async def publish(self, message: ResultMessage) -> None:
        async with deadline("publish", self._timeout):
            await self._js.publish(
                self._subject,
                message.model_dump_json().encode(),
                headers={"Nats-Msg-Id": message.dedup_id},
                timeout=self._timeout,
            )
