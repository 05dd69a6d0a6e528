"""The fake Telegram Bot API server, driven by the real aiogram Bot and Dispatcher."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramMigrateToChat,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BufferedInputFile,
    CallbackQuery,
    FSInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
)

from voxpersona.localstack.fake_telegram import FakeChat, FakeTelegram, FakeUser

TOKEN = "123456:TEST-fake-telegram-token"
USER = FakeUser(id=424242, first_name="Анна", username="anna")
MB = 1024 * 1024


@contextlib.asynccontextmanager
async def bot_for(fake: FakeTelegram) -> AsyncIterator[Bot]:
    """A real aiogram Bot pointed at the fake, its HTTP session closed afterwards."""
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    bot = Bot(TOKEN, session=session)
    try:
        yield bot
    finally:
        await bot.session.close()


@contextlib.asynccontextmanager
async def polling(dp: Dispatcher, bot: Bot) -> AsyncIterator[None]:
    """Run the dispatcher's long polling in the background for the block's duration."""
    task = asyncio.create_task(
        dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1)
    )
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with bot_for(tg) as real_bot:
        yield real_bot


async def test_get_me_describes_the_fake_bot(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()

    assert (me.id, me.username, me.is_bot) == (100000, "voxpersona_test_bot", True)
    assert tg.tokens == [TOKEN]
    assert tg.sent == []  # getMe is not a bot action worth recording


async def test_dispatcher_receives_voice_and_replies(tg: FakeTelegram, bot: Bot) -> None:
    dp = Dispatcher()
    received: list[Message] = []

    @dp.message(F.voice)
    async def on_voice(message: Message) -> None:
        received.append(message)
        assert message.voice is not None
        await message.answer(f"got {message.voice.duration}s voice")

    async with polling(dp, bot):
        incoming = tg.user_sends_voice(USER, b"OggS fake voice", duration=3)
        [reply] = await tg.wait_for_messages(USER.id, 1)

    assert reply.text == "got 3s voice"
    assert reply.message_id == incoming["message_id"] + 1  # ids count per chat
    [message] = received
    assert message.voice is not None
    assert message.voice.file_id == incoming["voice"]["file_id"]
    assert message.from_user is not None
    assert message.from_user.language_code == "ru"
    assert tg.calls("sendMessage")[0].chat_id == USER.id


async def test_get_file_and_download_give_the_exact_bytes(tg: FakeTelegram, bot: Bot) -> None:
    content = bytes(range(256)) * 1000  # several download chunks
    stored = tg.add_file(content)

    file = await bot.get_file(stored.file_id)
    downloaded = await bot.download_file(file.file_path or "")

    assert file.file_path == stored.file_path
    assert file.file_path.startswith("voice/file_")
    assert file.file_size == len(content)
    assert downloaded is not None
    assert downloaded.read() == content


async def test_download_from_disk_is_streamed_with_content_length(
    tg: FakeTelegram, bot: Bot, tmp_path: Path
) -> None:
    source = tmp_path / "long.ogg"
    source.write_bytes(b"\x01\x02\x03" * MB)
    stored = tg.add_file_from_path(source)
    target = tmp_path / "copy.ogg"

    await bot.download(stored.file_id, destination=target)
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{tg.base_url}/file/bot{TOKEN}/{stored.file_path}") as response,
    ):
        length = response.content_length

    assert target.read_bytes() == source.read_bytes()
    assert length == source.stat().st_size


async def test_message_length_and_emptiness_are_checked(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(USER)

    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(USER.id, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(USER.id, "")
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(777, "hello")
    at_limit = await bot.send_message(USER.id, "я" * 4096)
    html = await bot.send_message(USER.id, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")

    assert at_limit.text == "я" * 4096
    assert html.text == "x" * 4096  # the limit applies after markup is parsed away
    assert [call.error for call in tg.rejected] == [
        "Bad Request: message is too long",
        "Bad Request: message text is empty",
        "Bad Request: chat not found",
    ]


async def test_send_document_records_bytes_and_is_downloadable(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(USER)
    data = "транскрипт\n".encode() * 500

    sent = await bot.send_document(
        USER.id, BufferedInputFile(data, filename="transcript.txt"), caption="Готово"
    )

    [call] = tg.calls("senddocument")
    assert (call.document, call.filename, call.text) == (data, "transcript.txt", "Готово")
    [message] = tg.messages_to(USER.id)
    assert (message.document, message.filename, message.caption) == (
        data,
        "transcript.txt",
        "Готово",
    )
    assert sent.document is not None
    assert sent.document.mime_type == "text/plain"
    again = await bot.download(sent.document.file_id)
    assert again is not None
    assert again.read() == data


async def test_send_document_from_disk(tg: FakeTelegram, bot: Bot, tmp_path: Path) -> None:
    tg.add_chat(USER)
    path = tmp_path / "report.pdf"
    path.write_bytes(b"%PDF-1.7 fake")

    sent = await bot.send_document(USER.id, FSInputFile(path))

    assert sent.document is not None
    assert sent.document.file_name == "report.pdf"
    assert tg.calls("sendDocument")[0].document == b"%PDF-1.7 fake"


async def test_edit_message_text_updates_the_chat_state(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(USER)
    draft = await bot.send_message(USER.id, "Расшифровываю…")

    edited = await bot.edit_message_text("Готово", chat_id=USER.id, message_id=draft.message_id)
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("Готово", chat_id=USER.id, message_id=draft.message_id)

    [message] = tg.messages_to(USER.id)
    assert (message.text, message.edits) == ("Готово", ["Расшифровываю…"])
    assert isinstance(edited, Message)
    assert edited.edit_date is not None
    assert tg.calls("editMessageText")[0].message_id == draft.message_id


async def test_delete_message_removes_it_from_the_chat(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(USER)
    first = await bot.send_message(USER.id, "one")
    await bot.send_message(USER.id, "two")

    assert await bot.delete_message(USER.id, first.message_id) is True
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(USER.id, first.message_id)
    assert [m.text for m in tg.messages_to(USER.id)] == ["two"]


async def test_injected_429_surfaces_as_retry_after(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(USER)
    tg.inject_error("sendMessage", status=429, retry_after=7)
    tg.inject_error("sendChatAction", status=502, description="Bad Gateway")

    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER.id, "first try")
    with pytest.raises(TelegramServerError):
        await bot.send_chat_action(USER.id, "typing")
    retried = await bot.send_message(USER.id, "second try")

    assert caught.value.retry_after == 7
    assert tg.rejected[0].error == "Too Many Requests: retry after 7"
    assert [m.text for m in tg.messages_to(USER.id)] == [retried.text]


async def test_latency_delays_the_answer(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(USER)
    tg.set_latency("sendChatAction", 0.3)
    loop = asyncio.get_running_loop()

    started = loop.time()
    await bot.send_chat_action(USER.id, "typing")

    assert loop.time() - started >= 0.3
    assert tg.calls("sendChatAction")[0].params["action"] == "typing"


async def test_get_file_refuses_over_20_mb_in_public_mode(tg: FakeTelegram, bot: Bot) -> None:
    too_big = tg.add_file(b"x", file_size=20 * MB + 1)
    at_limit = tg.add_file(b"x", file_size=20 * MB)

    with pytest.raises(TelegramBadRequest, match="file is too big"):
        await bot.get_file(too_big.file_id)
    assert (await bot.get_file(at_limit.file_id)).file_size == 20 * MB


async def test_local_mode_serves_files_over_20_mb_from_disk(tmp_path: Path) -> None:
    source = tmp_path / "meeting.oga"
    with source.open("wb") as out:
        for _ in range(21):
            out.write(hashlib.sha256(out.tell().to_bytes(8, "big")).digest() * (MB // 32))
    files_dir = tmp_path / "bot-api"
    files_dir.mkdir()
    async with FakeTelegram(local_mode=True, files_dir=files_dir) as local:
        api = TelegramAPIServer.from_base(local.base_url, is_local=True)
        async with Bot(TOKEN, session=AiohttpSession(api=api)) as bot:
            stored = local.add_file_from_path(source)
            file = await bot.get_file(stored.file_id)
            await bot.download(file, destination=tmp_path / "copy.oga")
            # No /file/ route on a --local server: only the absolute path works.
            async with aiohttp.ClientSession() as http:
                url = api.file_url(TOKEN, stored.file_path)
                async with http.get(url) as response:
                    assert response.status == 404

    assert file.file_size == 21 * MB
    assert file.file_path == str(files_dir / TOKEN / stored.file_path)
    assert _mode(file.file_path) == 0o640
    assert _mode(os.path.dirname(file.file_path)) == 0o750
    assert (tmp_path / "copy.oga").read_bytes() == source.read_bytes()


def _mode(path: str) -> int:
    return os.stat(path).st_mode & 0o777


async def test_local_mode_answers_get_file_after_the_download(tmp_path: Path) -> None:
    async with FakeTelegram(local_mode=True) as local, bot_for(local) as bot:
        local.download_bytes_per_second = 4 * MB
        stored = local.add_file(b"OggS" + bytes(2 * MB))
        started = asyncio.get_running_loop().time()
        file = await bot.get_file(stored.file_id)
        elapsed = asyncio.get_running_loop().time() - started
        assert file.file_path is not None
        assert _mode(file.file_path) == 0o640
    assert elapsed >= 0.45  # 2 MB at 4 MB/s


async def test_long_polling_returns_as_soon_as_an_update_arrives(
    tg: FakeTelegram, bot: Bot
) -> None:
    loop = asyncio.get_running_loop()
    waiting = asyncio.create_task(bot.get_updates(offset=0, timeout=10))
    await asyncio.sleep(0.3)
    assert not waiting.done()  # really waiting on the server

    pushed_at = loop.time()
    incoming = tg.user_sends_text(USER, "/start")
    [update] = await asyncio.wait_for(waiting, timeout=3)

    assert loop.time() - pushed_at < 1
    assert update.message is not None
    assert update.message.message_id == incoming["message_id"]
    assert update.message.entities is not None  # /start arrives as a bot_command
    assert await bot.get_updates(offset=0, timeout=0) == [update]  # not confirmed yet
    assert await bot.get_updates(offset=update.update_id + 1, timeout=0) == []


async def test_long_polling_times_out_with_no_updates(bot: Bot) -> None:
    loop = asyncio.get_running_loop()

    started = loop.time()
    updates = await bot.get_updates(timeout=1)

    assert updates == []
    assert loop.time() - started >= 0.9


async def test_callback_buttons_in_a_group_chat(tg: FakeTelegram, bot: Bot) -> None:
    group = FakeChat(id=-100500, title="Планёрка")
    dp = Dispatcher()
    answered: list[str] = []

    @dp.message(F.text == "/menu")
    async def on_menu(message: Message) -> None:
        keyboard = [[InlineKeyboardButton(text="Анализ", callback_data="analyse")]]
        await message.answer(
            "Что сделать?", reply_markup=InlineKeyboardMarkup(inline_keyboard=keyboard)
        )

    @dp.callback_query(F.data == "analyse")
    async def on_press(query: CallbackQuery) -> None:
        answered.append(query.id)
        await query.answer("Запускаю")
        assert isinstance(query.message, Message)
        await query.message.edit_reply_markup(reply_markup=None)

    async with polling(dp, bot):
        tg.user_sends_text(USER, "/menu", chat=group)
        [menu] = await tg.wait_for_messages(group.id, 1)
        assert menu.reply_markup is not None
        query = tg.user_presses_button(USER, menu, "analyse")
        await tg.wait_for(lambda: bool(tg.calls("editMessageReplyMarkup")))

    assert answered == [query["id"]]
    assert tg.calls("answerCallbackQuery")[0].text == "Запускаю"
    assert tg.messages_to(group.id)[0].reply_markup is None


async def test_raw_requests_json_form_and_unknown_methods(tg: FakeTelegram) -> None:
    tg.add_chat(USER)
    url = f"{tg.base_url}/bot{TOKEN}"
    async with aiohttp.ClientSession() as http:
        async with http.post(f"{url}/SENDMESSAGE", json={"chat_id": USER.id, "text": "a"}) as r:
            as_json = await r.json()
        async with http.post(f"{url}/sendMessage", data={"chat_id": "@anna", "text": "b"}) as r:
            as_form = await r.json()
        async with http.get(f"{url}/noSuchMethod") as r:
            unknown = (r.status, await r.json())

    assert as_json["result"]["text"] == "a"
    assert as_json["result"]["from"]["is_bot"] is True
    assert as_form["result"]["chat"]["id"] == USER.id
    assert unknown == (404, {"ok": False, "error_code": 404, "description": "Not Found"})


async def test_wait_for_timeout_tells_what_was_sent(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(USER)
    await bot.send_message(USER.id, "the only message")

    with pytest.raises(TimeoutError, match="the only message"):
        await tg.wait_for_messages(USER.id, 2, timeout=0.2)


async def test_reset_forgets_calls_but_keeps_files(tg: FakeTelegram, bot: Bot) -> None:
    tg.add_chat(USER)
    stored = tg.add_file(b"keep me")
    await bot.send_message(USER.id, "before reset")
    tg.user_sends_text(USER, "pending")

    tg.reset()

    assert tg.sent == []
    assert tg.messages_to(USER.id) == []
    assert await bot.get_updates(timeout=0) == []
    assert (await bot.get_file(stored.file_id)).file_size == len(b"keep me")


async def test_every_kind_of_incoming_message_parses_in_aiogram(tg: FakeTelegram, bot: Bot) -> None:
    tg.user_sends_audio(USER, b"ID3", 61, "talk.mp3", "audio/mpeg", title="Talk", performer="A")
    tg.user_sends_document(USER, b"RIFF", "call.wav", "audio/wav", caption="звонок")
    tg.user_sends_video_note(USER, b"\x00\x00\x00\x18ftyp", duration=9)
    tg.user_sends_video(USER, b"\x00\x00\x00\x18ftyp", duration=12, caption="видео")

    updates = await bot.get_updates(timeout=0)

    messages = [update.message for update in updates]
    assert all(message is not None for message in messages)
    audio, document, video_note, video = (m for m in messages if m is not None)
    assert audio.audio is not None
    assert (audio.audio.file_name, audio.audio.duration) == ("talk.mp3", 61)
    assert document.document is not None
    assert (document.document.mime_type, document.caption) == ("audio/wav", "звонок")
    assert video_note.video_note is not None
    assert video_note.video_note.length == 240
    assert video.video is not None
    assert (video.video.width, video.caption) == (640, "видео")
    file = await bot.get_file(document.document.file_id)
    assert file.file_path is not None
    assert file.file_path.startswith("documents/")
    assert file.file_path.endswith(".wav")


async def test_service_methods_answer_in_telegram_shapes(tg: FakeTelegram, bot: Bot) -> None:
    tg.user_sends_text(USER, "left over")

    info_before = await bot.get_webhook_info()
    dropped = await bot.delete_webhook(drop_pending_updates=True)
    info_after = await bot.get_webhook_info()
    await bot.set_my_commands([BotCommand(command="start", description="Начать")])

    assert (info_before.url, info_before.pending_update_count) == ("", 1)
    assert dropped is True
    assert info_after.pending_update_count == 0
    assert tg.commands == [{"command": "start", "description": "Начать"}]
    assert await bot.delete_my_commands() is True
    assert tg.commands == []
    assert [call.method for call in tg.sent] == [
        "getWebhookInfo",
        "deleteWebhook",
        "getWebhookInfo",
        "setMyCommands",
        "deleteMyCommands",
    ]


async def test_upgraded_group_refuses_every_method_with_migrate_to_chat_id(
    tg: FakeTelegram, bot: Bot
) -> None:
    group = FakeChat(id=-4242, title="Planning")
    tg.user_sends_text(USER, "hello", chat=group)
    status = await bot.send_message(group.id, "Transcribing…")
    supergroup = tg.upgrade_group(group)

    assert str(supergroup.id).startswith("-100")
    for attempt in (
        bot.send_message(group.id, "result"),
        bot.edit_message_text("done", chat_id=group.id, message_id=status.message_id),
        bot.send_chat_action(group.id, "typing"),
    ):
        with pytest.raises(TelegramMigrateToChat) as caught:
            await attempt
        assert caught.value.migrate_to_chat_id == supergroup.id
        assert "upgraded to a supergroup" in caught.value.message
    sent = await bot.send_message(supergroup.id, "result")
    assert sent.chat.type == "supergroup"
    updates = await bot.get_updates(offset=0, timeout=0)
    migrations = [u.message for u in updates if u.message and u.message.migrate_to_chat_id]
    assert [m.migrate_to_chat_id for m in migrations] == [supergroup.id]


async def test_flood_limits_per_chat_answer_429_with_retry_after(
    tg: FakeTelegram, bot: Bot
) -> None:
    group = FakeChat(id=-777, title="Busy")
    tg.add_chat(USER)
    tg.add_chat(group)
    tg.enable_flood_limits()
    for n in range(3):  # a short burst in a private chat is fine
        await bot.send_message(USER.id, f"part {n}")
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(USER.id, "one too many")
    assert 1 <= caught.value.retry_after <= 3
    for n in range(20):  # groups: 20 a minute
        await bot.send_message(group.id, f"line {n}")
    with pytest.raises(TelegramRetryAfter) as in_group:
        await bot.send_message(group.id, "21st")
    assert 1 <= in_group.value.retry_after <= 60
    assert len(tg.messages_to(USER.id)) == 3  # refused messages never arrive

    await asyncio.sleep(caught.value.retry_after)
    await bot.send_message(USER.id, "after waiting")  # the window moved on
    tg.reset()
    for n in range(5):
        await bot.send_message(USER.id, f"limits off again {n}")


async def test_callback_queries_expire_and_are_answered_once(tg: FakeTelegram, bot: Bot) -> None:
    sent = await bot.send_message(*_known_chat(tg), "pick")
    fresh = tg.user_presses_button(USER, sent.model_dump(mode="json"), "a")
    old = tg.user_presses_button(USER, sent.model_dump(mode="json"), "b")
    tg.expire_callback_queries()
    later = tg.user_presses_button(USER, sent.model_dump(mode="json"), "c")

    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(fresh["id"])
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(old["id"])
    assert await bot.answer_callback_query(later["id"]) is True
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(later["id"])


def _known_chat(tg: FakeTelegram) -> tuple[int]:
    tg.add_chat(USER)
    return (USER.id,)


async def test_command_menus_resolve_by_scope_and_language(tg: FakeTelegram, bot: Bot) -> None:
    await bot.set_my_commands(
        [BotCommand(command="files", description="Мои записи")], language_code="ru"
    )
    await bot.set_my_commands([BotCommand(command="files", description="My recordings")])
    await bot.set_my_commands(
        [BotCommand(command="transcribe", description="Transcribe")],
        scope=BotCommandScopeAllGroupChats(),
    )
    with pytest.raises(TelegramBadRequest, match="BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand(command="Bad-Name", description="x")])

    assert tg.menus.shown_to("ru")[0]["description"] == "Мои записи"
    assert tg.menus.shown_to("es")[0]["description"] == "My recordings"  # the default menu
    assert [c["command"] for c in tg.menus.shown_to("ru", chat_type="group")] == ["transcribe"]
    ru = await bot.get_my_commands(language_code="ru")
    assert [c.description for c in ru] == ["Мои записи"]


async def test_entities_outside_the_text_are_refused(tg: FakeTelegram, bot: Bot) -> None:
    chat_id = _known_chat(tg)[0]
    ok = await bot.send_message(
        chat_id, "👍 bold", entities=[MessageEntity(type="bold", offset=3, length=4)]
    )
    assert ok.entities is not None
    assert ok.entities[0].offset == 3
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        # "👍" is two UTF-16 units: the text is 7 units long, not 6.
        await bot.send_message(
            chat_id, "👍 bold", entities=[MessageEntity(type="bold", offset=3, length=5)]
        )


async def test_injected_errors_can_target_one_chat(tg: FakeTelegram, bot: Bot) -> None:
    other = FakeUser(id=434343)
    tg.add_chat(USER)
    tg.add_chat(other)
    tg.inject_error("sendMessage", status=502, description="Bad Gateway", chat_id=USER.id)
    await bot.send_message(other.id, "not this chat")
    with pytest.raises(TelegramServerError, match="Bad Gateway"):
        await bot.send_message(USER.id, "this one")
    await bot.send_message(USER.id, "and only once")
