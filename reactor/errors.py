"""The reactor's error root: transient (redeliver later) or permanent (record and stop)."""

from __future__ import annotations


class ReactorError(Exception):
    """Base of failures while processing one event."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class TransientError(ReactorError):
    """Retrying later may succeed: network, 5xx, 429, timeouts, database unavailable."""


class PermanentError(ReactorError):
    """Retrying cannot help: not audio, object gone, rejected by the transcriber (4xx)."""


class OperatorAlarmError(TransientError):
    """Neither the user's fault nor one that heals itself: an operator must act (an API key
    that is wrong, revoked or expired). Raised as an alarm (log, metric, health); the event is
    retried slowly and never failed onto the user, who is told the result is delayed.

    ``summary`` is what health and metrics show: no server text, which may echo the key."""

    def __init__(self, code: str, message: str, *, summary: str | None = None) -> None:
        if not is_operator_alarm(code):
            raise ValueError(f"an operator alarm's code ends in {ALARM_CODE_SUFFIX!r}: {code!r}")
        super().__init__(code, message)
        self.summary = summary or code


# Alarm codes are ``<source>_auth`` (reactor.openai_errors): the code is all that reaches a
# dead letter (an exhausted delivery, the server's backstop), so it alone must say "alarm".
ALARM_CODE_SUFFIX = "_auth"


def is_operator_alarm(code: str) -> bool:
    """Whether a failure code is an operator alarm (see :class:`OperatorAlarmError`)."""
    return code.endswith(ALARM_CODE_SUFFIX)
