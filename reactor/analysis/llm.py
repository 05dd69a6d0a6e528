"""Chat completions through the OpenAI SDK (OpenAI or any OpenAI-compatible server)."""

from __future__ import annotations

from typing import Protocol

import openai

from reactor.errors import PermanentError, TransientError
from reactor.openai_errors import translate_openai_error


class ChatModel(Protocol):
    """One system + user exchange; raises Transient/PermanentError."""

    model: str

    async def complete(self, *, system: str, user: str) -> str: ...


def translate_chat_error(exc: openai.OpenAIError) -> TransientError | PermanentError:
    """Retry connection problems, timeouts, 429 and 5xx; never other 4xx; a refused key is an
    operator alarm."""
    return translate_openai_error(exc, prefix="analysis", what="analysis API")


class OpenAIChat:
    """``chat.completions.create`` with a fixed model and low temperature."""

    def __init__(self, client: openai.AsyncOpenAI, *, model: str) -> None:
        self._client = client
        self.model = model

    async def complete(self, *, system: str, user: str) -> str:
        try:
            response = await self._client.chat.completions.create(
                model=self.model,
                messages=[
                    {"role": "system", "content": system},
                    {"role": "user", "content": user},
                ],
                temperature=0.2,
            )
        except openai.OpenAIError as exc:
            raise translate_chat_error(exc) from exc
        content = response.choices[0].message.content if response.choices else None
        if not content or not content.strip():
            raise PermanentError("analysis_empty", "the model returned no text")
        return content.strip()
