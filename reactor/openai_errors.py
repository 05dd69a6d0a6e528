"""OpenAI SDK failures as the reactor's typed errors (classified in
:mod:`voxpersona.openai_errors`, shared with the bot)."""

from __future__ import annotations

import openai

from reactor.errors import PermanentError, TransientError
from voxpersona.openai_errors import api_error_message, classify_openai_error

__all__ = ["api_error_message", "translate_openai_error"]


def translate_openai_error(
    exc: openai.OpenAIError, *, prefix: str, what: str, auth_code: bool = True
) -> TransientError | PermanentError:
    """Retry connection problems, timeouts, 429 and 5xx; never other 4xx."""
    failure = classify_openai_error(exc, prefix=prefix, what=what, auth_code=auth_code)
    kind = TransientError if failure.transient else PermanentError
    return kind(failure.code, failure.message)
