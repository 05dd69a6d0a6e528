"""OpenAI SDK failures as the reactor's typed errors (classified in
:mod:`voxpersona.openai_errors`, shared with the bot)."""

from __future__ import annotations

import openai

from reactor.errors import OperatorAlarmError, PermanentError, TransientError
from voxpersona.openai_errors import OpenAIFailure, api_error_message, classify_openai_error

__all__ = ["api_error_message", "translate_openai_error"]


def translate_openai_error(
    exc: openai.OpenAIError, *, prefix: str, what: str
) -> TransientError | PermanentError:
    """Retry connection problems, timeouts, 429 and 5xx; never other 4xx. 401 and 403 mean our
    key is wrong, revoked or expired: an :class:`OperatorAlarmError`, not the user's fault."""
    return reactor_error(classify_openai_error(exc, prefix=prefix, what=what))


def reactor_error(failure: OpenAIFailure) -> TransientError | PermanentError:
    """A classified failure as the reactor's typed error."""
    if failure.alarm:
        return OperatorAlarmError(
            failure.code, failure.message, summary=failure.summary or failure.code
        )
    kind = TransientError if failure.transient else PermanentError
    return kind(failure.code, failure.message)
