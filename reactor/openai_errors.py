"""OpenAI SDK failures as our typed errors, for every OpenAI-compatible API we call."""

from __future__ import annotations

import openai

from reactor.errors import OperatorAlarmError, PermanentError, TransientError


def api_error_message(exc: openai.APIStatusError) -> str:
    """The server's own explanation (OpenAI's ``{"error": {"message": ...}}``), shortened."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])[:300]
    return exc.message[:300]


def translate_openai_error(
    exc: openai.OpenAIError, *, prefix: str, what: str
) -> TransientError | PermanentError:
    """Retry connection problems, timeouts, 429 and 5xx; never other 4xx.

    401 and 403 (openai-python's ``AuthenticationError`` and ``PermissionDeniedError``) mean
    our key is wrong, revoked or expired: an :class:`OperatorAlarmError`, not the user's fault.
    Codes are ``<prefix>_timeout``, ``_unreachable``, ``_throttled``, ``_unavailable``,
    ``_auth``, ``_rejected`` and ``_error``.
    """
    if isinstance(exc, openai.APITimeoutError):
        return TransientError(f"{prefix}_timeout", f"the {what} timed out")
    if isinstance(exc, openai.APIConnectionError):
        return TransientError(f"{prefix}_unreachable", f"cannot reach the {what}")
    if isinstance(exc, openai.RateLimitError):
        return TransientError(f"{prefix}_throttled", f"the {what} is rate limiting")
    if isinstance(exc, openai.APIStatusError):
        detail = f"HTTP {exc.status_code}: {api_error_message(exc)}"
        if exc.status_code >= 500:
            return TransientError(f"{prefix}_unavailable", detail)
        if exc.status_code in (401, 403):
            refused = f"the {what} refused our API key (HTTP {exc.status_code})"
            return OperatorAlarmError(f"{prefix}_auth", f"{refused}: {detail}", summary=refused)
        return PermanentError(f"{prefix}_rejected", detail)
    return PermanentError(f"{prefix}_error", f"{type(exc).__name__}: {exc}")
