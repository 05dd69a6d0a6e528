"""The analysis LLM: chat completions through the OpenAI SDK (OpenAI or any compatible server).

Shared by the reactor (analysis scenarios) and the bot (``/ask``); neither imports the other.
Failures are :class:`LLMError` with a code and whether retrying may help; each service maps
that onto its own error root.
"""

from __future__ import annotations

from typing import Protocol

import openai

from voxpersona.openai_errors import classify_openai_error


class LLMError(Exception):
    """The chat model failed. ``transient``: connection, timeout, 429 or 5xx; ``alarm``: the
    API refused our key (an operator must act)."""

    def __init__(self, code: str, message: str, *, transient: bool, alarm: bool = False) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.transient = transient
        self.alarm = alarm


class ChatModel(Protocol):
    """One system + user exchange; raises :class:`LLMError`."""

    model: str

    async def complete(self, *, system: str, user: str) -> str: ...


def translate_chat_error(exc: openai.OpenAIError) -> LLMError:
    """Retry connection problems, timeouts, 429 and 5xx; never other 4xx; 401/403 alarm."""
    failure = classify_openai_error(exc, prefix="analysis", what="analysis API")
    return LLMError(failure.code, failure.message, transient=failure.transient, alarm=failure.alarm)


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
            raise LLMError("analysis_empty", "the model returned no text", transient=False)
        return content.strip()
