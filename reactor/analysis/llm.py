"""The analysis chat model as the reactor sees it: the shared client (:mod:`voxpersona.llm`),
its failures mapped onto the reactor's errors (a refused key: an operator alarm)."""

from __future__ import annotations

from typing import Protocol

from reactor.openai_errors import reactor_error
from voxpersona.llm import ChatModel as SharedChatModel
from voxpersona.llm import LLMError
from voxpersona.openai_errors import OpenAIFailure


class ChatModel(Protocol):
    """One system + user exchange; raises Transient/PermanentError."""

    model: str

    async def complete(self, *, system: str, user: str) -> str: ...


class ReactorChat:
    """A shared chat model whose :class:`LLMError` becomes Transient/PermanentError."""

    def __init__(self, chat: SharedChatModel) -> None:
        self._chat = chat
        self.model = chat.model

    async def complete(self, *, system: str, user: str) -> str:
        try:
            return await self._chat.complete(system=system, user=user)
        except LLMError as exc:
            raise reactor_error(
                OpenAIFailure(exc.code, exc.message, exc.transient, alarm=exc.alarm)
            ) from exc
