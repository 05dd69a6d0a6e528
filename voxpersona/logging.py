"""Structured logging, configured once at each entry point.

JSON lines when ``VOXPERSONA_LOG_FORMAT=json``, readable lines otherwise. Per-event context
(object key, recording id, delivery attempt) is bound through contextvars.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any

import structlog

# Presigned URLs and DSNs carry credentials in their query string or userinfo.
_CREDENTIAL_PATTERNS = (
    re.compile(r"(X-Amz-(?:Signature|Credential|Security-Token)=)[^&\s\"']+", re.IGNORECASE),
    re.compile(r"(://[^:/\s@]+:)[^@\s]+(@)"),
    re.compile(r"(/bot)\d+:[A-Za-z0-9_-]+"),
)


class SecretRedactor:
    """A structlog processor that blanks configured secrets and credential-shaped strings."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[REDACTED]")
        for pattern in _CREDENTIAL_PATTERNS:
            text = pattern.sub(
                lambda m: (
                    m.group(1)
                    + "[REDACTED]"
                    + (m.group(2) if m.lastindex and m.lastindex > 1 else "")
                ),
                text,
            )
        return text

    def __call__(
        self, logger: Any, method: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        for key, value in list(event_dict.items()):
            if isinstance(value, str):
                event_dict[key] = self.redact(value)
        return event_dict


def configure_logging(
    *, log_format: str = "console", level: str = "INFO", secrets: Iterable[str] = ()
) -> None:
    """Route stdlib and structlog output through one formatter with secret redaction."""
    redactor = SecretRedactor(secrets)
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
        redactor,
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library chatter that would otherwise print request URLs (with tokens) at INFO.
    for noisy in ("aiogram.event", "httpx", "openai", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    """A structured logger; bind per-event context with ``structlog.contextvars``."""
    logger: structlog.stdlib.BoundLogger = structlog.stdlib.get_logger(name)
    return logger
