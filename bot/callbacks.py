"""Signed callback data: inline buttons carry an action and ids, and a MAC over them and the
user they were shown to, so a forged or replayed-by-another-user callback is rejected.

Telegram limits callback data to 64 bytes: ``<action>:<arg>:<arg>…:<mac>`` with a 10-byte
base64url HMAC-SHA256 (80 bits) keeps well inside it for UUID-sized arguments.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

MAX_CALLBACK_BYTES = 64
_MAC_BYTES = 10


class CallbackError(ValueError):
    """Callback data that is malformed, too long, or not signed for this user."""


@dataclass(frozen=True, slots=True)
class Callback:
    action: str
    args: tuple[str, ...]


class CallbackSigner:
    """Signs and verifies callback data with a server-side secret."""

    def __init__(self, secret: bytes) -> None:
        if len(secret) < 16:
            raise ValueError("callback secret must be at least 16 bytes")
        self._secret = secret

    def _mac(self, user_id: int, body: str) -> str:
        digest = hmac.new(self._secret, f"{user_id}|{body}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")

    def sign(self, user_id: int, action: str, *args: str) -> str:
        for part in (action, *args):
            if ":" in part or not part.isascii():
                raise CallbackError(f"callback part {part!r} must be ASCII without ':'")
        body = ":".join((action, *args))
        data = f"{body}:{self._mac(user_id, body)}"
        if len(data.encode()) > MAX_CALLBACK_BYTES:
            raise CallbackError(f"callback data is {len(data)} bytes; Telegram allows 64")
        return data

    def verify(self, user_id: int, data: str) -> Callback:
        body, _, mac = data.rpartition(":")
        if not body or not mac:
            raise CallbackError("malformed callback data")
        if not hmac.compare_digest(mac, self._mac(user_id, body)):
            raise CallbackError("callback data not signed for this user")
        action, *args = body.split(":")
        return Callback(action=action, args=tuple(args))
