"""What the bot does in group chats (pure): only what belongs there.

A group sees ``/transcribe`` (as a reply to a recording) and its result, ``/start`` and
``/help``; the library (``/files``, ``/search``, exports, downloads, card buttons,
``/delete_all``) and admin commands (``/invite`` posts a code anyone there could use) answer
with a short pointer to the private chat and show nothing. Commands addressed to another bot
(``/files@other_bot``) are none of this bot's business: no answer at all, refusals included.
"""

from __future__ import annotations

from dataclasses import dataclass

GROUP_COMMANDS = frozenset({"transcribe", "start", "help"})
PRIVATE_ONLY_COMMANDS = frozenset(
    {
        "files",
        "search",
        "ask",
        "delete_all",
        "lang",
        "language",
        "scenario",
        "stats",
        "health",
        "allow",
        "deny",
        "invite",
    }
)
# Buttons that may be pressed in a group: the scenario choice under a /transcribe status
# message (signed for the user who asked, like every button).
GROUP_ACTIONS = frozenset({"sc"})


@dataclass(frozen=True, slots=True)
class GroupCommand:
    """A ``/command[@bot] args`` message in a group."""

    name: str
    mention: str | None

    def addressed_to(self, username: str | None) -> bool:
        """Telegram delivers ``/command`` to every bot in the group; ``@name`` picks one."""
        if self.mention is None:
            return True
        return username is not None and self.mention.lower() == username.lower()


def parse_command(text: str | None) -> GroupCommand | None:
    """The command a message starts with, or None."""
    if not text or not text.startswith("/"):
        return None
    head = text.split(maxsplit=1)[0][1:]
    name, _, mention = head.partition("@")
    if not name:
        return None
    return GroupCommand(name.lower(), mention or None)


GroupVerdict = str  # "handle", "point_to_private", "ignore"


def group_verdict(text: str | None, username: str | None) -> GroupVerdict:
    """What to do with a message in a group: handle it, point to the private chat, or stay
    silent (not a command for this bot, or one the bot does not know)."""
    command = parse_command(text)
    if command is None or not command.addressed_to(username):
        return "ignore"
    if command.name in GROUP_COMMANDS:
        return "handle"
    if command.name in PRIVATE_ONLY_COMMANDS:
        return "point_to_private"
    return "ignore"


def button_allowed_in_group(action: str) -> bool:
    return action in GROUP_ACTIONS
