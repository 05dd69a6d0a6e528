"""Rules of the real Bot API that the fake Telegram enforces (part of a test double).

Each rule names what it mirrors:

- per-chat flood limits: the Bot FAQ (core.telegram.org/bots/faq, "My bot is hitting limits")
  — about one message a second in a chat, at most 20 messages a minute in a group; the server
  turns Telegram's FLOOD_WAIT into ``429 Too Many Requests: retry after N`` with
  ``parameters.retry_after`` (``telegram-bot-api/Client.cpp`` ``fail_query_with_error``,
  ``telegram-bot-api/Query.cpp``);
- command menus per scope and language: ``setMyCommands`` / "Determining list of commands" in
  the Bot API documentation (core.telegram.org/bots/api#determining-list-of-commands);
- message entities: ``MessageEntity`` (core.telegram.org/bots/api#messageentity) — offsets and
  lengths in UTF-16 code units, within the text — nested only as "Formatting options" allows
  (core.telegram.org/bots/api#formatting-options): overlapping entities nest fully; bold,
  italic, underline, strikethrough and spoiler may contain or be part of anything but pre and
  code; blockquotes do not nest; all other entities cannot contain each other.
"""

from __future__ import annotations

import math
import re
from collections import deque
from dataclasses import dataclass, field
from typing import Any

JsonDict = dict[str, Any]

# Bot API `BotCommand`: 1-32 characters, lowercase English letters, digits and underscores;
# description 1-256 characters.
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")
MAX_COMMAND_DESCRIPTION = 256
# Bot API `MessageEntity.type` values.
ENTITY_TYPES = frozenset(
    {
        "mention",
        "hashtag",
        "cashtag",
        "bot_command",
        "url",
        "email",
        "phone_number",
        "bold",
        "italic",
        "underline",
        "strikethrough",
        "spoiler",
        "blockquote",
        "expandable_blockquote",
        "code",
        "pre",
        "text_link",
        "text_mention",
        "custom_emoji",
        "date_time",
    }
)


@dataclass(frozen=True)
class FloodLimits:
    """Per-chat message rates (Bot FAQ): ``private_per_second`` with a small burst in private
    chats, ``group_per_minute`` in groups and supergroups."""

    private_per_second: float = 1.0
    private_burst: int = 3
    group_per_minute: int = 20


@dataclass
class FloodControl:
    """Sliding windows of the bot's messages per chat; :meth:`check` says how long to wait."""

    limits: FloodLimits | None = None
    _sent: dict[int, deque[float]] = field(default_factory=dict)

    def check(self, chat_id: int, is_group: bool, now: float) -> int | None:
        """Count one message to ``chat_id`` at ``now``, or return ``retry_after`` (seconds)."""
        if self.limits is None:
            return None
        window, allowed = self._window(is_group)
        sent = self._sent.setdefault(chat_id, deque())
        while sent and sent[0] <= now - window:
            sent.popleft()
        if len(sent) >= allowed:
            # Telegram answers whole seconds, at least 1 (Client.cpp get_retry_after_time > 0).
            return max(1, math.ceil(sent[0] + window - now))
        sent.append(now)
        return None

    def _window(self, is_group: bool) -> tuple[float, int]:
        assert self.limits is not None
        if is_group:
            return 60.0, self.limits.group_per_minute
        limits = self.limits
        return limits.private_burst / limits.private_per_second, limits.private_burst

    def clear(self) -> None:
        self._sent.clear()


def scope_key(scope: JsonDict | None) -> tuple[str, ...]:
    """A hashable form of a ``BotCommandScope`` (omitted = ``default``)."""
    if not scope:
        return ("default",)
    kind = str(scope.get("type", "default"))
    if kind in ("chat", "chat_administrators"):
        return (kind, str(scope.get("chat_id")))
    if kind == "chat_member":
        return (kind, str(scope.get("chat_id")), str(scope.get("user_id")))
    return (kind,)


def checked_commands(commands: Any) -> list[JsonDict]:
    """The list ``setMyCommands`` accepts, or ValueError with Telegram's reason: the shape as
    telegram-bot-api/Client.cpp ``get_bot_commands`` words it, names and descriptions as
    Telegram's servers do (BOT_COMMAND_INVALID, BOT_COMMAND_DESCRIPTION_INVALID)."""
    if commands is None:
        return []
    if not isinstance(commands, list):
        raise ValueError("Expected an Array of BotCommand")
    if len(commands) > 100:
        raise ValueError("too many commands specified")
    for entry in commands:
        if not isinstance(entry, dict):
            raise ValueError("Can't parse BotCommand: expected an Object")
        if not _COMMAND_NAME.fullmatch(str(entry.get("command", ""))):
            raise ValueError("BOT_COMMAND_INVALID")
        description = str(entry.get("description", ""))
        if not description.strip() or len(description) > MAX_COMMAND_DESCRIPTION:
            raise ValueError("BOT_COMMAND_DESCRIPTION_INVALID")
    return commands


@dataclass
class CommandMenus:
    """``setMyCommands`` per (scope, language_code), resolved as a client does."""

    menus: dict[tuple[tuple[str, ...], str], list[JsonDict]] = field(default_factory=dict)

    def set(self, scope: JsonDict | None, language: str, commands: list[JsonDict]) -> None:
        key = (scope_key(scope), language)
        if commands:
            self.menus[key] = commands
        else:  # an empty list deletes the menu of that scope and language
            self.menus.pop(key, None)

    def get(self, scope: JsonDict | None, language: str) -> list[JsonDict]:
        return self.menus.get((scope_key(scope), language), [])

    def shown_to(
        self, language_code: str | None, *, chat_type: str = "private", chat_id: int | None = None
    ) -> list[JsonDict]:
        """The menu a user with ``language_code`` sees in a chat of ``chat_type``: the first
        non-empty of the scopes in the documented order, each with the user's language first,
        then without one (core.telegram.org/bots/api#determining-list-of-commands)."""
        scopes: list[tuple[str, ...]] = []
        if chat_id is not None:
            scopes.append(("chat", str(chat_id)))
        if chat_type == "private":
            scopes.append(("all_private_chats",))
        else:
            scopes.append(("all_group_chats",))
        scopes.append(("default",))
        languages = [language_code, ""] if language_code else [""]
        for scope in scopes:
            for language in languages:
                menu = self.menus.get((scope, language))
                if menu:
                    return menu
        return []


def utf16_length(text: str) -> int:
    """Length in UTF-16 code units, the unit of entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def entity_problem(text: str, entities: Any) -> str | None:
    """Why Telegram would refuse ``entities`` for ``text``, or None when they are valid."""
    if entities is None:
        return None
    if not isinstance(entities, list):
        return "can't parse entities JSON object"
    size = utf16_length(text)
    for entity in entities:
        if not isinstance(entity, dict) or entity.get("type") not in ENTITY_TYPES:
            return "can't parse entities: unsupported entity type"
        offset, length = entity.get("offset"), entity.get("length")
        if not isinstance(offset, int) or not isinstance(length, int) or length <= 0:
            return "can't parse entities: wrong entity offset or length"
        if offset < 0 or offset + length > size:
            return "can't parse entities: entity is out of the text"
        if entity["type"] == "text_link" and not str(entity.get("url", "")).strip():
            return "can't parse entities: text_link without url"
    return nesting_problem(entities)


STYLE_ENTITIES = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
_CODE_ENTITIES = frozenset({"pre", "code"})


def may_nest(outer: str, inner: str) -> bool:
    """Whether an entity of type ``inner`` may lie inside one of type ``outer`` (or the other
    way round: the rule is symmetric)."""
    if outer in _CODE_ENTITIES or inner in _CODE_ENTITIES:
        return False
    return outer in STYLE_ENTITIES or inner in STYLE_ENTITIES


def nesting_problem(entities: list[JsonDict]) -> str | None:
    """Why these (in-range) entities overlap in a way Telegram does not allow, or None."""
    spans = sorted(
        ((e["offset"], e["offset"] + e["length"], e["type"]) for e in entities),
        key=lambda span: (span[0], -span[1]),
    )
    for index, (_start, end, kind) in enumerate(spans):
        for other_start, other_end, other_kind in spans[index + 1 :]:
            if other_start >= end:
                break
            if other_end > end:
                return f"can't parse entities: {kind} and {other_kind} overlap partially"
            if not may_nest(kind, other_kind):
                return f"can't parse entities: {other_kind} can't be inside {kind}"
    return None
