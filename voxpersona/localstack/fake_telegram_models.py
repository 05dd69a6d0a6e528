"""The simulated Telegram behind the fake Bot API server (part of a test double).

Split out of :mod:`voxpersona.localstack.fake_telegram`, which keeps the HTTP server and the
Bot API methods. This module holds what that server knows and what tests touch directly:
:class:`TelegramWorld` (chats, files, pending updates, the bot's messages, and the test-side
API: ``user_sends_*``, ``messages_to``, ``wait_for``, fault injection), the records tests
inspect (:class:`SentCall`, :class:`BotMessage`), the people and files they create
(:class:`FakeUser`, :class:`FakeChat`, :class:`FakeFile`), and the parsing of Bot API requests,
which may be JSON, urlencoded or multipart form data.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import itertools
import json
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from aiohttp import BodyPartReader, hdrs, web

from voxpersona.localstack.fake_telegram_rules import CommandMenus, FloodControl, FloodLimits

JsonDict = dict[str, Any]

#: Parameters a form-encoded request carries as JSON-serialised strings (aiogram sends every
#: nested object this way); they are decoded so handlers see the same values as with JSON.
JSON_FIELDS = frozenset(
    {
        "reply_markup",
        "entities",
        "caption_entities",
        "allowed_updates",
        "commands",
        "scope",
        "link_preview_options",
        "reply_parameters",
        "media",
    }
)

_HTML_TAG = re.compile(r"<[^>]*>")
# Where Telegram files things by type, as seen in real file_path values (voice/file_12.oga).
_FOLDERS = {".oga": "voice", ".ogg": "voice", ".mp3": "music", ".m4a": "music", ".mp4": "videos"}


class ApiError(Exception):
    """A Bot API error answer; method handlers raise it and the server renders it as JSON."""

    def __init__(
        self,
        status: int,
        description: str,
        retry_after: int | None = None,
        *,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after
        self.migrate_to_chat_id = migrate_to_chat_id

    def response(self) -> web.Response:
        """Render as Telegram does: ``ok: false``, ``error_code``, ``description`` and the
        ``parameters`` aiogram reads (``session/base.py`` ``check_response``)."""
        body: JsonDict = {"ok": False, "error_code": self.status, "description": self.description}
        parameters = compact(
            retry_after=self.retry_after, migrate_to_chat_id=self.migrate_to_chat_id
        )
        if parameters:
            body["parameters"] = parameters
        return web.json_response(body, status=self.status)


def bad_request(reason: str) -> ApiError:
    """A 400 with Telegram's ``Bad Request: <reason>`` description."""
    return ApiError(400, f"Bad Request: {reason}")


@dataclass(frozen=True)
class FakeUser:
    """A Telegram user who writes to the bot; their private chat has the same id."""

    id: int
    first_name: str = "Test"
    language_code: str | None = "ru"
    username: str | None = None

    def to_api(self) -> JsonDict:
        """The user as a Bot API ``User`` object."""
        return compact(
            id=self.id,
            is_bot=False,
            first_name=self.first_name,
            username=self.username,
            language_code=self.language_code,
        )

    def private_chat(self) -> JsonDict:
        """The user's private chat with the bot as a Bot API ``Chat`` object."""
        return compact(
            id=self.id, type="private", first_name=self.first_name, username=self.username
        )


@dataclass(frozen=True)
class FakeChat:
    """A group chat the bot is a member of; Telegram gives groups negative ids."""

    id: int
    type: Literal["group", "supergroup"] = "group"
    title: str = "Test group"

    def to_api(self) -> JsonDict:
        """The chat as a Bot API ``Chat`` object."""
        return {"id": self.id, "type": self.type, "title": self.title}


@dataclass(frozen=True)
class FakeFile:
    """A file stored on the fake server, held in memory or streamed from ``source`` on disk."""

    file_id: str
    file_unique_id: str
    file_size: int
    file_path: str
    content: bytes | None = field(default=None, repr=False)
    source: Path | None = None

    def to_api(self) -> JsonDict:
        """The Bot API ``File`` object ``getFile`` returns."""
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": self.file_size,
            "file_path": self.file_path,
        }

    def media(self, **extra: Any) -> JsonDict:
        """The file as embedded in a message (``voice``, ``document``...): no ``file_path``."""
        return compact(
            file_id=self.file_id,
            file_unique_id=self.file_unique_id,
            file_size=self.file_size,
            **extra,
        )

    def read_bytes(self) -> bytes:
        """The whole content; only for small files (re-sending by file_id)."""
        if self.content is not None:
            return self.content
        return self.source.read_bytes() if self.source is not None else b""


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str
    content: bytes
    content_type: str


@dataclass(frozen=True)
class SentCall:
    """One Bot API call the bot made (``text`` and ``params`` exactly as sent).

    ``error`` is the description of the error answer for calls in ``FakeTelegram.rejected``.
    """

    method: str
    chat_id: int | str | None
    params: JsonDict
    text: str | None
    document: bytes | None
    filename: str | None
    message_id: int | None
    at: float
    error: str | None = None


@dataclass
class BotMessage:
    """The current state of a message the bot sent, as the user sees it.

    ``text`` and ``caption`` are the visible text (HTML markup parsed away); ``edits`` holds
    the earlier texts, oldest first; ``payload`` is the Message object as Telegram returns it.
    """

    chat_id: int
    message_id: int
    text: str | None
    caption: str | None = None
    document: bytes | None = field(default=None, repr=False)
    filename: str | None = None
    reply_markup: JsonDict | None = None
    edits: list[str] = field(default_factory=list)
    deleted: bool = False
    payload: JsonDict = field(default_factory=dict, repr=False)


class TelegramWorld:
    """What the fake Telegram knows (chats, files, updates, the bot's messages) and the
    in-process API tests use to drive and inspect it. :class:`FakeTelegram` serves it."""

    def __init__(self, *, bot_username: str, bot_id: int) -> None:
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": "VoxPersona",
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.sent: list[SentCall] = []
        self.rejected: list[SentCall] = []  # calls answered with an error, injected or not
        self.tokens: list[str] = []
        self._files: dict[str, FakeFile] = {}
        self._paths: dict[str, FakeFile] = {}
        self._numbers = itertools.count(1)
        self._updates: list[JsonDict] = []
        self._next_update_id = 1
        self._allowed_updates: frozenset[str] | None = None
        self._chats: dict[int, JsonDict] = {}
        self._last_message_id: dict[int, int] = {}
        self._bot_messages: dict[int, dict[int, BotMessage]] = {}
        # Callback query id -> when it was pressed; unanswered ones expire (see callback_query_ttl).
        self._callback_queries: dict[str, float] = {}
        # How long a callback query can be answered. Telegram answers QUERY_ID_INVALID, which
        # telegram-bot-api/Client.cpp turns into "query is too old and response timeout expired
        # or query ID is invalid", once the client stopped waiting (about 15 s in practice).
        self.callback_query_ttl = 15.0
        # Basic groups upgraded to supergroups: old chat id -> supergroup id.
        self._migrated: dict[int, int] = {}
        self.flood = FloodControl()
        self.menus = CommandMenus()
        # Injected failures per method, each for any chat (None) or one chat only.
        self._errors: dict[str, deque[tuple[ApiError, int | None]]] = {}
        self._latency: dict[str | None, float] = {}
        self._changed = asyncio.Event()

    def _signal(self) -> None:
        # Wake every waiter (long polls, wait_for) at once, then arm a fresh event.
        self._changed.set()
        self._changed = asyncio.Event()

    def _next_message_id(self, chat_id: int) -> int:
        # Message ids count per chat, shared by the user's and the bot's messages.
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def add_file(
        self,
        content: bytes,
        *,
        suffix: str = ".oga",
        file_size: int | None = None,
        folder: str | None = None,
    ) -> FakeFile:
        """Store ``content`` for download; ``file_size`` may claim another size (limits)."""
        size = len(content) if file_size is None else file_size
        return self._register(content, None, size, suffix, folder)

    def add_file_from_path(
        self,
        path: Path,
        *,
        suffix: str | None = None,
        file_size: int | None = None,
        folder: str | None = None,
    ) -> FakeFile:
        """Serve the file at ``path``, streamed from disk on download, never held in memory."""
        size = path.stat().st_size if file_size is None else file_size
        return self._register(None, path, size, suffix or path.suffix, folder)

    def _register(
        self, content: bytes | None, source: Path | None, size: int, suffix: str, folder: str | None
    ) -> FakeFile:
        number = next(self._numbers)
        folder = folder or _FOLDERS.get(suffix.lower(), "documents")
        file = FakeFile(
            file_id=f"FK{self.bot_user['id']}-{number}-{secrets.token_hex(8)}",
            file_unique_id=f"AgAD{number:08d}",
            file_size=size,
            file_path=f"{folder}/file_{number}{suffix}",
            content=content,
            source=source,
        )
        self._files[file.file_id] = file
        self._paths[file.file_path] = file
        return file

    def add_chat(self, who: FakeUser | FakeChat) -> JsonDict:
        """Make a chat known without a message in it (e.g. an admin chat the bot writes to)."""
        chat = who.private_chat() if isinstance(who, FakeUser) else who.to_api()
        self._chats[chat["id"]] = chat
        return chat

    def push_update(self, update: JsonDict) -> int:
        """Queue an update (without ``update_id``) for getUpdates; returns the id it got."""
        update_id = self._next_update_id
        self._next_update_id += 1
        self._updates.append({"update_id": update_id, **update})
        self._signal()
        return update_id

    def user_sends_text(self, user: FakeUser, text: str, chat: FakeChat | None = None) -> JsonDict:
        """The user writes ``text``; a leading ``/command`` gets its bot_command entity."""
        entities = None
        if text.startswith("/"):
            entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._incoming(user, chat, text=text, entities=entities)

    def user_sends_voice(
        self,
        user: FakeUser,
        content: bytes | FakeFile,
        duration: int,
        mime_type: str = "audio/ogg",
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """The user records a voice message (``content`` may be a prepared :class:`FakeFile`)."""
        file = self._as_file(content, ".oga", "voice")
        return self._incoming(user, chat, voice=file.media(duration=duration, mime_type=mime_type))

    def user_sends_audio(
        self,
        user: FakeUser,
        content: bytes | FakeFile,
        duration: int,
        file_name: str,
        mime_type: str,
        title: str | None = None,
        performer: str | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """The user sends a music/audio file."""
        file = self._as_file(content, Path(file_name).suffix or ".mp3", "music")
        audio = file.media(
            duration=duration,
            file_name=file_name,
            mime_type=mime_type,
            title=title,
            performer=performer,
        )
        return self._incoming(user, chat, audio=audio)

    def user_sends_document(
        self,
        user: FakeUser,
        content: bytes | FakeFile,
        file_name: str,
        mime_type: str,
        caption: str | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """The user sends a file as a document."""
        file = self._as_file(content, Path(file_name).suffix, "documents")
        document = file.media(file_name=file_name, mime_type=mime_type)
        return self._incoming(user, chat, document=document, caption=caption)

    def user_sends_video_note(
        self,
        user: FakeUser,
        content: bytes | FakeFile,
        duration: int,
        length: int = 240,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """The user records a round video message."""
        file = self._as_file(content, ".mp4", "video_notes")
        return self._incoming(user, chat, video_note=file.media(duration=duration, length=length))

    def user_sends_video(
        self,
        user: FakeUser,
        content: bytes | FakeFile,
        duration: int,
        file_name: str = "video.mp4",
        mime_type: str = "video/mp4",
        width: int = 640,
        height: int = 360,
        caption: str | None = None,
        chat: FakeChat | None = None,
    ) -> JsonDict:
        """The user sends a video."""
        file = self._as_file(content, Path(file_name).suffix or ".mp4", "videos")
        video = file.media(
            duration=duration, width=width, height=height, file_name=file_name, mime_type=mime_type
        )
        return self._incoming(user, chat, video=video, caption=caption)

    def user_presses_button(
        self, user: FakeUser, message: BotMessage | JsonDict, callback_data: str
    ) -> JsonDict:
        """The user presses an inline button under ``message``; returns the CallbackQuery."""
        payload = message.payload if isinstance(message, BotMessage) else message
        query_id = f"{self.bot_user['id']}{next(self._numbers):08d}"
        query = compact(
            id=query_id,
            chat_instance=str(payload["chat"]["id"]),
            message=payload,
            data=callback_data,
            **{"from": user.to_api()},
        )
        self._callback_queries[query_id] = time.monotonic()
        self.push_update({"callback_query": query})
        return query

    def expire_callback_queries(self) -> None:
        """Every pending button press is now too old to answer (the client gave up)."""
        for query_id in self._callback_queries:
            self._callback_queries[query_id] = -math.inf

    def upgrade_group(self, group: FakeChat) -> FakeChat:
        """Upgrade a basic group to a supergroup, as Telegram does when a group grows or gets a
        public link: a new chat id (``-100…``), service messages in both chats
        (``migrate_to_chat_id`` / ``migrate_from_chat_id``), and from now on every method
        naming the old id fails with 400 "group chat was upgraded to a supergroup chat" and
        ``parameters.migrate_to_chat_id`` (telegram-bot-api/Client.cpp, check_chat_access)."""
        if group.type != "group":
            raise ValueError("only basic groups are upgraded")
        supergroup = FakeChat(id=int(f"-100{abs(group.id)}"), type="supergroup", title=group.title)
        old = self.add_chat(group)
        new = self.add_chat(supergroup)
        self._migrated[group.id] = supergroup.id
        for chat, field_name, value in (
            (old, "migrate_to_chat_id", supergroup.id),
            (new, "migrate_from_chat_id", group.id),
        ):
            message_id = self._next_message_id(chat["id"])
            service = message_dict(message_id, chat, self.bot_user, **{field_name: value})
            self.push_update({"message": service})
        return supergroup

    def enable_flood_limits(self, limits: FloodLimits | None = None) -> None:
        """Answer 429 with ``retry_after`` past the Bot FAQ's per-chat rates (see
        :class:`~voxpersona.localstack.fake_telegram_rules.FloodLimits`); off until enabled,
        and :meth:`reset` turns it off again."""
        self.flood.limits = limits or FloodLimits()
        self.flood.clear()

    def _as_file(self, content: bytes | FakeFile, suffix: str, folder: str) -> FakeFile:
        if isinstance(content, FakeFile):
            return content
        return self.add_file(content, suffix=suffix, folder=folder)

    def _incoming(self, user: FakeUser, chat: FakeChat | None, **content: Any) -> JsonDict:
        chat_dict = self.add_chat(chat or user)
        message_id = self._next_message_id(chat_dict["id"])
        message = message_dict(message_id, chat_dict, user.to_api(), **content)
        self.push_update({"message": message})
        return message

    def messages_to(self, chat_id: int) -> list[BotMessage]:
        """The bot's messages in the chat as they stand now (edited, deleted ones left out)."""
        messages = self._bot_messages.get(chat_id, {}).values()
        return sorted((m for m in messages if not m.deleted), key=lambda m: m.message_id)

    def calls(self, method: str) -> list[SentCall]:
        """The successful calls of ``method`` (case-insensitive), oldest first."""
        return [call for call in self.sent if call.method.lower() == method.lower()]

    def inject_error(
        self,
        method: str,
        *,
        status: int = 500,
        description: str = "Internal Server Error",
        retry_after: int | None = None,
        times: int = 1,
        chat_id: int | None = None,
    ) -> None:
        """Make the next ``times`` calls of ``method`` fail (only those naming ``chat_id``, if
        given); 429 always carries retry_after."""
        if status == 429:
            retry_after = 1 if retry_after is None else retry_after
            if description == "Internal Server Error":
                description = f"Too Many Requests: retry after {retry_after}"
        queue = self._errors.setdefault(method.lower(), deque())
        queue.extend((ApiError(status, description, retry_after), chat_id) for _ in range(times))

    def clear_errors(self, method: str) -> None:
        """Forget the errors still queued for ``method`` (an outage ends)."""
        self._errors.pop(method.lower(), None)

    def set_latency(self, method: str | None, seconds: float) -> None:
        """Delay answers to ``method`` (``None``: every method without its own setting)."""
        self._latency[method.lower() if method else None] = seconds

    # A timeout parameter (ASYNC109) on purpose: the failure message must name what was sent.
    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10) -> None:
        """Wait until ``predicate()`` holds; TimeoutError lists what the bot sent meanwhile."""
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    # Re-check on every change here, and now and then for outside state.
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait(), 0.05)
        except TimeoutError:
            raise TimeoutError(f"condition not met within {timeout}s\n{self.describe()}") from None

    async def wait_for_messages(
        self, chat_id: int, count: int, timeout: float = 10
    ) -> list[BotMessage]:
        """Wait until the bot has ``count`` messages standing in the chat; returns them."""
        await self.wait_for(lambda: len(self.messages_to(chat_id)) >= count, timeout)
        return self.messages_to(chat_id)

    def describe(self) -> str:
        """A readable log of the bot's calls, for failure messages."""
        lines = [
            f"bot calls ({len(self.sent)} ok, {len(self.rejected)} rejected), "
            f"{len(self._updates)} updates unconfirmed:"
        ]
        for call in sorted(self.sent + self.rejected, key=lambda c: c.at):
            outcome = f" -> {call.error}" if call.error else ""
            lines.append(
                f"  {call.method} chat={call.chat_id} text={call.text!r:.120}"
                f"{' file=' + str(call.filename) if call.filename else ''}{outcome}"
            )
        return "\n".join(lines)

    def reset(self) -> None:
        """Forget calls, messages, pending updates and faults between tests; keep files."""
        self.sent.clear()
        self.rejected.clear()
        self.tokens.clear()
        self._updates.clear()
        self._bot_messages.clear()
        self._callback_queries.clear()
        self.flood = FloodControl()
        self._errors.clear()
        self._latency.clear()
        self._allowed_updates = None


def compact(**fields: Any) -> JsonDict:
    """A dict without the ``None`` values: Telegram omits absent optional fields."""
    return {key: value for key, value in fields.items() if value is not None}


def message_dict(message_id: int, chat: JsonDict, sender: JsonDict, **content: Any) -> JsonDict:
    """A Bot API ``Message`` object; ``content`` holds text, voice, document and the like."""
    return compact(
        message_id=message_id, date=int(time.time()), chat=chat, **{"from": sender}, **content
    )


def visible_text(text: str | None, parse_mode: Any) -> str:
    """The text the user sees: Telegram enforces its limits after parsing entities.

    Only HTML is parsed; Markdown is counted as sent, which errs on the strict side.
    """
    if not text:
        return ""
    if isinstance(parse_mode, str) and parse_mode.lower() == "html":
        return html.unescape(_HTML_TAG.sub("", text))
    return text


def int_param(params: JsonDict, name: str, default: int | None = None) -> int:
    """An integer parameter; form data carries every value as a string."""
    raw = params.get(name, default)
    if raw is None or raw == "":
        raise bad_request(f"{name} is empty")
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise bad_request(f"wrong {name} specified") from None


def bool_param(params: JsonDict, name: str) -> bool:
    """A boolean parameter, JSON ``true`` or the form value ``"true"``."""
    return params.get(name) in (True, 1, "true", "True", "1")


def id_value(raw: Any) -> int | str | None:
    """An id as an int when numeric, else as given (a ``chat_id`` may be ``@channelusername``)."""
    if raw is None:
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return str(raw)


async def read_params(request: web.Request) -> tuple[JsonDict, dict[str, Upload]]:
    """Parameters and file parts of a request in any encoding Telegram accepts."""
    params: JsonDict = dict(request.query)
    uploads: dict[str, Upload] = {}
    if request.content_type == "multipart/form-data":
        await _read_multipart(request, params, uploads)
    elif request.content_type == "application/json":
        body = await _json_body(request)
        params.update(body)
    elif request.body_exists:
        form = await request.post()
        params.update({key: value for key, value in form.items() if isinstance(value, str)})
    return {key: _decode_field(key, value) for key, value in params.items()}, uploads


async def _json_body(request: web.Request) -> JsonDict:
    raw = await request.text()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise bad_request("can't parse JSON object") from None
    if not isinstance(body, dict):
        raise bad_request("JSON object expected")
    return body


async def _read_multipart(
    request: web.Request, params: JsonDict, uploads: dict[str, Upload]
) -> None:
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader) or part.name is None:
            continue
        if part.filename is None:
            params[part.name] = await part.text()
            continue
        content_type = part.headers.get(hdrs.CONTENT_TYPE, "application/octet-stream")
        uploads[part.name] = Upload(part.filename, bytes(await part.read()), content_type)


def _decode_field(key: str, value: Any) -> Any:
    if key not in JSON_FIELDS or not isinstance(value, str):
        return value
    try:
        return json.loads(value)
    except ValueError:
        raise bad_request(f"can't parse {key} JSON object") from None
