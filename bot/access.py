"""Who may use the bot (pure): open, allowlist or invite mode; admins always may."""

from __future__ import annotations

from collections.abc import Collection
from typing import Literal

Verdict = Literal["allowed", "denied", "needs_invite"]


def access_verdict(
    mode: Literal["open", "allowlist", "invite"],
    user_id: int,
    *,
    admins: Collection[int],
    allowlist: Collection[int],
    stored: str,
) -> Verdict:
    """``stored`` is the user's row: ``allowed`` (added by an admin or an invite), ``revoked``
    (removed by an admin: denied in every mode) or ``none``."""
    if user_id in admins:
        return "allowed"
    if stored == "revoked":
        return "denied"
    if mode == "open" or stored == "allowed" or user_id in allowlist:
        return "allowed"
    return "needs_invite" if mode == "invite" else "denied"
