"""OpenAI SDK failures classified once, for every OpenAI-compatible API either service calls.

:func:`classify_openai_error` is pure: a code, a message and whether retrying may help. The
reactor wraps it in its Transient/PermanentError (:mod:`reactor.openai_errors`); shared
adapters (:mod:`voxpersona.llm`) raise their own typed error with it.
"""

from __future__ import annotations

from dataclasses import dataclass

import openai


@dataclass(frozen=True, slots=True)
class OpenAIFailure:
    """``transient``: connection problems, timeouts, 429 and 5xx; never other 4xx.
    ``alarm``: 401/403 (openai-python's ``AuthenticationError``/``PermissionDeniedError``): our
    key is wrong, revoked or expired; an operator must act, retrying slowly meanwhile."""

    code: str
    message: str
    transient: bool
    alarm: bool = False
    # What health and metrics may show of an alarm: no server text, which may echo the key.
    summary: str = ""


def api_error_message(exc: openai.APIStatusError) -> str:
    """The server's own explanation (OpenAI's ``{"error": {"message": ...}}``), shortened."""
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])[:300]
    return exc.message[:300]


def classify_openai_error(exc: openai.OpenAIError, *, prefix: str, what: str) -> OpenAIFailure:
    """Codes are ``<prefix>_timeout``, ``_unreachable``, ``_throttled``, ``_unavailable``,
    ``_auth`` (401/403: an alarm), ``_rejected`` and ``_error``."""
    if isinstance(exc, openai.APITimeoutError):
        return OpenAIFailure(f"{prefix}_timeout", f"the {what} timed out", True)
    if isinstance(exc, openai.APIConnectionError):
        return OpenAIFailure(f"{prefix}_unreachable", f"cannot reach the {what}", True)
    if isinstance(exc, openai.RateLimitError):
        return OpenAIFailure(f"{prefix}_throttled", f"the {what} is rate limiting", True)
    if isinstance(exc, openai.APIStatusError):
        detail = f"HTTP {exc.status_code}: {api_error_message(exc)}"
        if exc.status_code >= 500:
            return OpenAIFailure(f"{prefix}_unavailable", detail, True)
        if exc.status_code in (401, 403):
            refused = f"the {what} refused our API key (HTTP {exc.status_code})"
            return OpenAIFailure(
                f"{prefix}_auth", f"{refused}: {detail}", True, alarm=True, summary=refused
            )
        return OpenAIFailure(f"{prefix}_rejected", detail, False)
    return OpenAIFailure(f"{prefix}_error", f"{type(exc).__name__}: {exc}", False)
