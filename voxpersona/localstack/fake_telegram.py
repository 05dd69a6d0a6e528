"""A fake Telegram Bot API server for tests: a test double, never a production component.

:class:`FakeTelegram` is an aiohttp server speaking the Bot API wire protocol, so the real
aiogram ``Bot`` talks to it through a base URL exactly as to a local Bot API server::

    async with FakeTelegram() as tg:
        session = AiohttpSession(api=TelegramAPIServer.from_base(tg.base_url))
        async with Bot("123:abc", session=session) as bot:
            tg.user_sends_voice(FakeUser(1), b"OggS...", duration=3)
            ...  # run the dispatcher, then: await tg.wait_for_messages(1, count=1)

Tests drive it in-process: ``user_sends_*`` queue incoming updates, ``sent``/``messages_to``
show what the bot did, ``inject_error``/``set_latency`` simulate a misbehaving Telegram (a 502
on demand: ``inject_error(method, status=502, description="Bad Gateway")``).
Behaviour follows the real API where the bot can tell (limits, error descriptions, long
polling, offsets, ``allowed_updates``, ``--local`` file paths, group upgrades, per-chat flood
limits, expiring callback queries, command menus per scope and language), not in everything
(no inline mode, no media groups). Each rule names the server source or document it mirrors.
"""

from __future__ import annotations

import asyncio
import contextlib
import mimetypes
import os
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from aiohttp import web

from voxpersona.localstack import fake_telegram_models as wire
from voxpersona.localstack.fake_telegram_models import (
    ApiError,
    BotMessage,
    FakeChat,
    FakeFile,
    FakeUser,
    JsonDict,
    SentCall,
    TelegramWorld,
    Upload,
    bad_request,
    int_param,
)
from voxpersona.localstack.fake_telegram_rules import checked_commands, entity_problem

__all__ = ["BotMessage", "FakeChat", "FakeFile", "FakeTelegram", "FakeUser", "SentCall"]

PUBLIC_DOWNLOAD_LIMIT = 20 * 1024 * 1024  # the public Bot API refuses getFile above 20 MB
MAX_TEXT = 4096
MAX_CAPTION = 1024
_CHUNK = 64 * 1024
_UNRECORDED = frozenset({"getUpdates", "getMe"})
# Methods that put a message into a chat, counted by the per-chat flood limits.
_FLOOD_COUNTED = frozenset({"sendMessage", "sendDocument", "sendVoice", "editMessageText"})
# A --local server keeps downloaded files under --dir/<token>/<folder>/ as its own user
# (uid 101 in the aiogram/telegram-bot-api image): directories 0750, files 0640.
LOCAL_DIR_MODE = 0o750
LOCAL_FILE_MODE = 0o640
_NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


@dataclass
class _Call:
    """One request being handled; ``upload`` is set by methods that receive a file."""

    method: str
    params: JsonDict
    uploads: dict[str, Upload]
    upload: Upload | None = None
    extra: JsonDict = field(default_factory=dict)


_Handler = Callable[[_Call], Awaitable[Any]]


class FakeTelegram(TelegramWorld):
    """The fake Bot API server; the test-side API comes from :class:`TelegramWorld`.

    ``local_mode=False`` is the public Bot API: ``getFile`` refuses files over 20 MB and
    answers a relative ``file_path`` served under ``/file/bot<token>/<file_path>``.
    ``local_mode=True`` is a server started with ``--local`` (telegram-bot-api/Client.cpp): no
    size limit, ``getFile`` answers only after the server has downloaded the whole file
    (``download_bytes_per_second`` paces that) with its *absolute* path under ``files_dir``
    (``--dir``; a temporary folder by default), and there is no ``/file/`` route at all — the
    bot must read the file from disk. Use it from one event loop: the test-side methods are
    plain calls on the server's own state.
    """

    def __init__(
        self,
        *,
        local_mode: bool = False,
        files_dir: Path | None = None,
        bot_username: str = "voxpersona_test_bot",
        bot_id: int = 100000,
    ) -> None:
        super().__init__(bot_username=bot_username, bot_id=bot_id)
        self.local_mode = local_mode
        self.files_dir = files_dir
        self._own_files_dir = False
        self.download_bytes_per_second: float | None = None
        self.host = "127.0.0.1"
        self.port = 0
        self._closing = False
        self._runner: web.AppRunner | None = None
        handlers: dict[str, _Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getMyCommands": self._get_my_commands,
            "close": self._true,
            "logOut": self._true,
            "getFile": self._get_file,
            "sendMessage": self._send_message,
            "sendDocument": self._send_document,
            "sendVoice": self._send_voice,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "deleteMessage": self._delete_message,
            "editMessageReplyMarkup": self._edit_reply_markup,
            "answerCallbackQuery": self._answer_callback_query,
        }
        # Telegram matches method names case-insensitively; keep the canonical spelling.
        self._methods = {name.lower(): (name, handler) for name, handler in handlers.items()}

    # ----------------------------------------------------------------- server lifecycle

    @property
    def base_url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:PORT``; the bot's TELEGRAM_API_URL."""
        return f"http://{self.host}:{self.port}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port``; port 0 picks a free one (see :attr:`port`)."""
        # Uploads and local-mode files exceed aiohttp's 1 MiB default body limit.
        app = web.Application(client_max_size=4 * 1024**3)
        app.router.add_route("*", "/bot{token}/{method}", self._on_method)
        app.router.add_get("/file/bot{token}/{file_path:.*}", self._on_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self._closing = False
        self.host, self.port = host, int(self._runner.addresses[0][1])
        if self.local_mode and self.files_dir is None:
            self.files_dir = Path(tempfile.mkdtemp(prefix="fake-bot-api-"))
            self._own_files_dir = True

    async def stop(self) -> None:
        """Stop listening; pending long polls are answered with no updates first."""
        self._closing = True
        self._signal()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._own_files_dir and self.files_dir is not None:
            shutil.rmtree(self.files_dir, ignore_errors=True)
            self.files_dir, self._own_files_dir = None, False

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- HTTP handlers

    async def _on_method(self, request: web.Request) -> web.Response:
        self._note_token(request.match_info["token"])
        entry = self._methods.get(request.match_info["method"].lower())
        if entry is None:
            return ApiError(404, "Not Found").response()
        name, handler = entry
        await self._delay(name)
        try:
            params, uploads = await wire.read_params(request)
        except ApiError as error:
            return error.response()
        call = _Call(name, params, uploads)
        try:
            self._raise_injected(name, params)
            self._refuse_migrated(params)
            result = await handler(call)
        except ApiError as error:
            self._record(call, None, error)
            return error.response()
        self._record(call, result, None)
        return web.json_response({"ok": True, "result": result})

    async def _on_file(self, request: web.Request) -> web.StreamResponse:
        self._note_token(request.match_info["token"])
        if self.local_mode:
            # A --local server serves no files over HTTP: getFile gave an absolute path.
            return ApiError(404, "Not Found").response()
        file = self._paths.get(request.match_info["file_path"])
        if file is None:
            return ApiError(404, "Not Found").response()
        if file.source is not None:
            return web.FileResponse(file.source, chunk_size=_CHUNK)  # streams from disk
        content = file.content or b""
        response = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        response.content_length = len(content)
        await response.prepare(request)
        for start in range(0, len(content), _CHUNK):
            await response.write(content[start : start + _CHUNK])
        await response.write_eof()
        return response

    def _note_token(self, token: str) -> None:
        if token not in self.tokens:
            self.tokens.append(token)

    async def _delay(self, method: str) -> None:
        seconds = self._latency.get(method.lower(), self._latency.get(None, 0.0))
        if seconds > 0:
            await asyncio.sleep(seconds)

    def _raise_injected(self, method: str, params: JsonDict) -> None:
        queue = self._errors.get(method.lower())
        if not queue:
            return
        chat_id = wire.id_value(params.get("chat_id"))
        for entry in queue:
            error, only_chat = entry
            if only_chat is None or only_chat == chat_id:
                queue.remove(entry)
                raise error

    def _refuse_migrated(self, params: JsonDict) -> None:
        """A basic group that became a supergroup refuses every method naming it
        (telegram-bot-api/Client.cpp check_chat_access: ``upgraded_to_supergroup_id``)."""
        chat_id = wire.id_value(params.get("chat_id"))
        if isinstance(chat_id, int) and chat_id in self._migrated:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                migrate_to_chat_id=self._migrated[chat_id],
            )

    def _count_message(self, chat: JsonDict) -> None:
        """Per-chat flood limits (Bot FAQ): 429 with ``retry_after`` past them, in the
        wording telegram-bot-api/Client.cpp gives FLOOD_WAIT (``get_retry_after_time``)."""
        is_group = chat.get("type") != "private"
        retry_after = self.flood.check(chat["id"], is_group, time.monotonic())
        if retry_after is not None:
            raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _record(self, call: _Call, result: Any, error: ApiError | None) -> None:
        if call.method in _UNRECORDED:
            return
        params = call.params
        message_id = result.get("message_id") if isinstance(result, dict) else None
        if message_id is None:  # edits and deletions name the message they touch
            named = wire.id_value(params.get("message_id"))
            message_id = named if isinstance(named, int) else None
        entry = SentCall(
            method=call.method,
            chat_id=wire.id_value(params.get("chat_id")),
            params=params,
            text=params.get("text", params.get("caption")),
            document=call.upload.content if call.upload else None,
            filename=call.upload.filename if call.upload else None,
            message_id=message_id,
            at=time.time(),
            error=error.description if error else None,
        )
        (self.rejected if error else self.sent).append(entry)
        self._signal()

    # ----------------------------------------------------------------- Bot API methods

    async def _true(self, call: _Call) -> bool:
        return True

    async def _get_me(self, call: _Call) -> JsonDict:
        return self.bot_user

    async def _get_updates(self, call: _Call) -> list[JsonDict]:
        params = call.params
        offset = int_param(params, "offset", 0)
        limit = min(max(int_param(params, "limit", 100), 1), 100)
        if isinstance(params.get("allowed_updates"), list):
            # Telegram remembers the last list; an empty one restores the default (all).
            self._allowed_updates = frozenset(params["allowed_updates"]) or None
        deadline = time.monotonic() + max(int_param(params, "timeout", 0), 0)
        while True:
            self._forget_updates(offset)
            remaining = deadline - time.monotonic()
            if self._updates or self._closing or remaining <= 0:
                return self._updates[:limit]
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._changed.wait(), remaining)

    def _forget_updates(self, offset: int) -> None:
        """Drop updates the offset confirms, and those ``allowed_updates`` filters out."""
        if offset < 0:  # -N: keep only the last N updates
            self._updates = self._updates[offset:]
        allowed = self._allowed_updates
        self._updates = [
            update
            for update in self._updates
            if update["update_id"] >= offset
            and (allowed is None or not allowed.isdisjoint(update.keys()))
        ]

    async def _delete_webhook(self, call: _Call) -> bool:
        if wire.bool_param(call.params, "drop_pending_updates"):
            self._updates.clear()
        return True

    async def _get_webhook_info(self, call: _Call) -> JsonDict:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    @property
    def commands(self) -> list[JsonDict]:
        """The menu of the default scope without a language (what most tests set)."""
        return self.menus.get(None, "")

    async def _set_my_commands(self, call: _Call) -> bool:
        try:
            commands = checked_commands(call.params.get("commands"))
        except ValueError as exc:
            raise bad_request(str(exc)) from None
        self.menus.set(call.params.get("scope"), self._language_code(call.params), commands)
        return True

    async def _delete_my_commands(self, call: _Call) -> bool:
        self.menus.set(call.params.get("scope"), self._language_code(call.params), [])
        return True

    async def _get_my_commands(self, call: _Call) -> list[JsonDict]:
        return self.menus.get(call.params.get("scope"), self._language_code(call.params))

    @staticmethod
    def _language_code(params: JsonDict) -> str:
        # Bot API: "A two-letter ISO 639-1 language code" or empty (all users of the scope).
        code = str(params.get("language_code") or "")
        if code and not (len(code) == 2 and code.isalpha() and code.islower()):
            raise bad_request("invalid language code specified")
        return code

    async def _get_file(self, call: _Call) -> JsonDict:
        # telegram-bot-api/Client.cpp process_get_file_query / do_get_file / on_update_file.
        file = self._files.get(str(call.params.get("file_id", "")))
        if file is None:
            raise bad_request("invalid file_id")
        if not self.local_mode and file.file_size > PUBLIC_DOWNLOAD_LIMIT:
            raise bad_request("file is too big")
        if not self.local_mode:
            return file.to_api()
        # --local: the answer waits for the server's own download of the whole file, then
        # names it by its absolute path on the server's disk (Client.cpp JsonFile).
        if self.download_bytes_per_second:
            await asyncio.sleep(file.file_size / self.download_bytes_per_second)
        path = await asyncio.to_thread(self._materialise, file)
        return {**file.to_api(), "file_path": str(path)}

    def _materialise(self, file: FakeFile) -> Path:
        """Write the file where a --local server keeps it: --dir/<token>/<folder>/<name>."""
        assert self.files_dir is not None
        token = self.tokens[-1] if self.tokens else "unknown"
        target = self.files_dir / token / file.file_path
        if target.exists():
            return target
        for folder in (self.files_dir / token, target.parent):
            folder.mkdir(exist_ok=True)
            os.chmod(folder, LOCAL_DIR_MODE)
        partial = target.with_name(target.name + ".part")
        if file.source is not None:
            try:  # a large test file is linked, not copied (same bytes, no time spent)
                os.link(file.source, partial)
            except OSError:
                shutil.copyfile(file.source, partial)
        else:
            partial.write_bytes(file.content or b"")
        os.chmod(partial, LOCAL_FILE_MODE)
        partial.rename(target)
        return target

    async def _send_message(self, call: _Call) -> JsonDict:
        chat = self._chat(call.params)
        text = self._checked_text(call.params)
        self._count_message(chat)
        message = self._post(chat, call, text=text)
        if call.params.get("entities"):
            message.payload["entities"] = call.params["entities"]
        return message.payload

    async def _send_document(self, call: _Call) -> JsonDict:
        chat = self._chat(call.params)
        caption = wire.visible_text(call.params.get("caption"), call.params.get("parse_mode"))
        if len(caption) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        self._count_message(chat)
        call.upload = upload = self._upload(call, "document")
        file = self._register(
            upload.content, None, len(upload.content), Path(upload.filename).suffix, "documents"
        )
        mime = mimetypes.guess_type(upload.filename)[0] or "application/octet-stream"
        call.extra["document"] = file.media(file_name=upload.filename, mime_type=mime)
        return self._post(chat, call, caption=caption or None).payload

    async def _send_voice(self, call: _Call) -> JsonDict:
        """A voice message from the bot. The ``voice`` object carries ``duration`` (the
        parameter, 0 when absent), ``mime_type`` and the file fields, as telegram-bot-api's
        ``Client::JsonVoiceNote`` (telegram-bot-api/Client.cpp) stores them; voice messages
        count against the chat's flood limit like any other message."""
        chat = self._chat(call.params)
        caption = wire.visible_text(call.params.get("caption"), call.params.get("parse_mode"))
        if len(caption) > MAX_CAPTION:
            raise bad_request("message caption is too long")
        self._count_message(chat)
        call.upload = upload = self._upload(call, "voice")
        if not upload.content:
            raise bad_request("file must be non-empty")
        file = self._register(upload.content, None, len(upload.content), ".oga", "voice")
        duration = int(call.params.get("duration") or 0)
        call.extra["voice"] = file.media(duration=duration, mime_type="audio/ogg")
        return self._post(chat, call, caption=caption or None).payload

    async def _send_chat_action(self, call: _Call) -> bool:
        self._chat(call.params)
        if call.params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    async def _edit_message_text(self, call: _Call) -> JsonDict:
        message = self._bot_message(call.params, "message to edit not found")
        if message.text is None:
            raise bad_request("there is no text in the message to edit")
        text = self._checked_text(call.params)
        self._count_message(self._chats.get(message.chat_id, {"id": message.chat_id}))
        markup = call.params.get("reply_markup")  # omitted = the inline keyboard goes away
        if (text, markup) == (message.text, message.reply_markup):
            raise bad_request(_NOT_MODIFIED)
        message.edits.append(message.text)
        message.text = message.payload["text"] = text
        return self._apply_markup(message, markup)

    async def _edit_reply_markup(self, call: _Call) -> JsonDict:
        message = self._bot_message(call.params, "message to edit not found")
        markup = call.params.get("reply_markup")
        if markup == message.reply_markup:
            raise bad_request(_NOT_MODIFIED)
        return self._apply_markup(message, markup)

    async def _delete_message(self, call: _Call) -> bool:
        chat_id = int_param(call.params, "chat_id")
        message_id = int_param(call.params, "message_id")
        message = self._bot_messages.get(chat_id, {}).get(message_id)
        if message is not None and not message.deleted:
            message.deleted = True
            return True
        # Bots may delete incoming messages too; those are not tracked, only counted.
        if message is None and 0 < message_id <= self._last_message_id.get(chat_id, 0):
            return True
        raise bad_request("message to delete not found")

    async def _answer_callback_query(self, call: _Call) -> bool:
        query_id = str(call.params.get("callback_query_id", ""))
        pressed = self._callback_queries.pop(query_id, None)  # a query can be answered once
        # Client.cpp maps QUERY_ID_INVALID (unknown, answered or expired) to this text.
        if pressed is None or time.monotonic() - pressed > self.callback_query_ttl:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        return True

    # ----------------------------------------------------------------- method helpers

    def _chat(self, params: JsonDict) -> JsonDict:
        """The chat ``chat_id`` names; like Telegram, only chats the bot has seen exist."""
        raw = wire.id_value(params.get("chat_id"))
        if raw is None or raw == "":
            raise bad_request("chat_id is empty")
        if isinstance(raw, int) and raw in self._chats:
            return self._chats[raw]
        name = str(raw).removeprefix("@")
        for chat in self._chats.values():
            if chat.get("username") == name:
                return chat
        raise bad_request("chat not found")

    def _checked_text(self, params: JsonDict) -> str:
        text = wire.visible_text(params.get("text"), params.get("parse_mode"))
        if not text.strip():
            raise bad_request("message text is empty")
        if len(text) > MAX_TEXT:
            raise bad_request("message is too long")
        if (problem := entity_problem(text, params.get("entities"))) is not None:
            raise bad_request(problem)
        return text

    def _upload(self, call: _Call, name: str) -> Upload:
        """The file of parameter ``name``: ``attach://<part>``, a part, or a known file_id."""
        value = call.params.get(name)
        if isinstance(value, str) and value.startswith("attach://"):
            part = call.uploads.get(value.removeprefix("attach://"))
        else:
            part = call.uploads.get(name)
        if part is not None:
            return part
        known = self._files.get(str(value))
        if known is None:
            raise bad_request("wrong file identifier/HTTP URL specified")
        return Upload(Path(known.file_path).name, known.read_bytes(), "application/octet-stream")

    def _post(
        self, chat: JsonDict, call: _Call, *, text: str | None = None, caption: str | None = None
    ) -> BotMessage:
        """Store a message from the bot and build the Message object to return."""
        markup = call.params.get("reply_markup")
        message = BotMessage(
            chat_id=chat["id"],
            message_id=self._next_message_id(chat["id"]),
            text=text,
            caption=caption,
            reply_markup=markup,
            document=call.upload.content if call.upload else None,
            filename=call.upload.filename if call.upload else None,
        )
        message.payload = wire.message_dict(
            message.message_id,
            chat,
            self.bot_user,
            text=text,
            caption=caption,
            reply_markup=_inline_only(markup),
            **call.extra,
        )
        self._bot_messages.setdefault(message.chat_id, {})[message.message_id] = message
        return message

    def _bot_message(self, params: JsonDict, missing: str) -> BotMessage:
        if "inline_message_id" in params:
            raise bad_request("inline messages are not supported by the fake")
        chat_id = int_param(params, "chat_id")
        message = self._bot_messages.get(chat_id, {}).get(int_param(params, "message_id"))
        if message is None or message.deleted:
            raise bad_request(missing)
        return message

    def _apply_markup(self, message: BotMessage, markup: JsonDict | None) -> JsonDict:
        message.reply_markup = markup
        message.payload["edit_date"] = int(time.time())
        message.payload.pop("reply_markup", None)
        if (inline := _inline_only(markup)) is not None:
            message.payload["reply_markup"] = inline
        return message.payload


def _inline_only(markup: Any) -> JsonDict | None:
    """Telegram echoes only inline keyboards in a Message; reply keyboards stay client-side."""
    if isinstance(markup, dict) and "inline_keyboard" in markup:
        return markup
    return None
