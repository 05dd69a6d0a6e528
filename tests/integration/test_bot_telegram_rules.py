"""The bot's Bot API paths against the fake Telegram (real aiogram Bot, fake server): status
edits under flood control and group upgrades, getFile errors, --local files and their
permissions, command menus."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.types import CallbackQuery

from bot.dispatching import publish_commands
from bot.middlewares import FloodControl
from bot.progress import ProgressEditor
from bot.relay import telegram_chunks
from bot.routers.library import edit_or_send
from bot.telegram_files import FileProblem, TelegramFileError, api_server, get_file
from voxpersona.contracts.progress import ProgressMessage, Stage
from voxpersona.localstack.fake_telegram import FakeChat, FakeTelegram, FakeUser
from voxpersona.settings import TelegramSettings

TOKEN = "123456:TEST-bot-telegram-rules"
USER = FakeUser(id=515151, first_name="Вера")
MB = 1024 * 1024


@contextlib.asynccontextmanager
async def bot_for(fake: FakeTelegram, **telegram: object) -> AsyncIterator[Bot]:
    settings = TelegramSettings(bot_token=TOKEN, api_url=fake.base_url, **telegram)  # type: ignore[arg-type]
    bot = Bot(TOKEN, session=AiohttpSession(api=api_server(settings)))
    try:
        yield bot
    finally:
        await bot.session.close()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as fake:
        yield fake


def step(chat_id: int, message_id: int, stage: Stage, done: float | None = None) -> ProgressMessage:
    return ProgressMessage(
        chat_id=chat_id,
        status_message_id=message_id,
        stage=stage,
        done_seconds=done,
        total_seconds=100.0 if done is not None else None,
        interface_language="en",
    )


async def test_status_edits_under_429s_still_end_on_the_final_stage(tg: FakeTelegram) -> None:
    tg.add_chat(USER)
    tg.enable_flood_limits()
    async with bot_for(tg) as bot:
        editor = ProgressEditor(bot, min_interval=0.3, chat_interval=lambda _: 0.2)
        status = await bot.send_message(USER.id, "📥 Recording received.")
        editor.register(USER.id, status.message_id, stage=Stage.RECEIVED, text=status.text or "")
        tg.inject_error("editMessageText", status=429, retry_after=1, times=2)
        for done in range(0, 101, 5):  # a burst, far faster than Telegram allows
            await editor.show(step(USER.id, status.message_id, Stage.TRANSCRIBING, done))
        await editor.show(step(USER.id, status.message_id, Stage.DONE))
        await tg.wait_for(lambda: "processed" in (tg.messages_to(USER.id)[0].text or ""), 15)
        await editor.close()

    final = tg.messages_to(USER.id)[0]
    assert final.text == "✅ Recording received and processed."
    assert len(final.edits) <= 5  # coalesced, not one edit per update
    assert [c.error for c in tg.rejected].count("Too Many Requests: retry after 1") >= 2


async def test_status_follows_a_group_upgraded_to_a_supergroup(tg: FakeTelegram) -> None:
    group = FakeChat(id=-515151, title="Standup")
    tg.add_chat(group)
    async with bot_for(tg) as bot:
        editor = ProgressEditor(bot, min_interval=0.0, chat_interval=lambda _: 0.0)
        status = await bot.send_message(group.id, "📥 Recording received.")
        editor.register(group.id, status.message_id, stage=Stage.RECEIVED, text=status.text or "")
        supergroup = tg.upgrade_group(group)
        await editor.show(step(group.id, status.message_id, Stage.TRANSCRIBING, 50))
        await editor.show(step(group.id, status.message_id, Stage.DONE))  # the old ids
        await editor.close()

    [moved] = tg.messages_to(supergroup.id)
    assert moved.text == "✅ Recording received and processed."
    assert editor.where(group.id, status.message_id) == (supergroup.id, moved.message_id)
    assert tg.messages_to(group.id)[0].text == "📥 Recording received."


async def test_a_deleted_status_message_is_forgotten_quietly(tg: FakeTelegram) -> None:
    tg.add_chat(USER)
    async with bot_for(tg) as bot:
        editor = ProgressEditor(bot, min_interval=0.0, chat_interval=lambda _: 0.0)
        status = await bot.send_message(USER.id, "📥 Recording received.")
        editor.register(USER.id, status.message_id, stage=Stage.RECEIVED, text=status.text or "")
        await bot.delete_message(USER.id, status.message_id)
        await editor.show(step(USER.id, status.message_id, Stage.QUEUED))
        await editor.show(step(USER.id, status.message_id, Stage.DONE))
    assert [c.error for c in tg.rejected] == ["Bad Request: message to edit not found"]


async def test_get_file_retries_what_is_temporary_and_names_the_rest(tg: FakeTelegram) -> None:
    file = tg.add_file(b"OggS" + bytes(100))
    big = tg.add_file(b"x", file_size=21 * MB)
    delays: list[float] = []

    async def no_sleep(seconds: float) -> None:
        delays.append(seconds)

    async with bot_for(tg) as bot:
        tg.inject_error(
            "getFile",
            status=400,
            description="Bad Request: wrong file_id or the file is temporarily unavailable",
            times=2,
        )
        got = await get_file(bot, file.file_id, timeout=30, attempts=4, sleep=no_sleep)
        assert got.file_path == file.file_path
        assert len(delays) == 2

        tg.inject_error("getFile", status=502, description="Bad Gateway", times=4)
        with pytest.raises(TelegramFileError) as down:
            await get_file(bot, file.file_id, timeout=30, attempts=4, sleep=no_sleep)
        assert down.value.problem is FileProblem.TELEGRAM_DOWN

        calls = len(tg.rejected)
        with pytest.raises(TelegramFileError) as too_big:
            await get_file(bot, big.file_id, timeout=30, attempts=4, sleep=no_sleep)
        assert too_big.value.problem is FileProblem.TOO_BIG
        assert len(tg.rejected) == calls + 1  # never retried


async def test_local_mode_reads_the_servers_files_from_disk_with_a_path_mapping(
    tmp_path: Path,
) -> None:
    server_dir = tmp_path / "server-view"
    server_dir.mkdir()
    content = b"OggS" + os.urandom(3 * MB)
    async with FakeTelegram(local_mode=True, files_dir=server_dir) as local:
        stored = local.add_file(content)
        # The bot sees the same volume at another mount point (a symlink stands in for it).
        mount = tmp_path / "bot-view"
        mount.symlink_to(server_dir)
        async with bot_for(
            local, local_api=True, local_server_dir=server_dir, local_files_dir=mount
        ) as bot:
            file = await get_file(bot, stored.file_id, timeout=30, attempts=1)
            assert file.file_path is not None
            assert file.file_path.startswith(str(server_dir))
            read = b"".join([chunk async for chunk in telegram_chunks(bot, file.file_path)])
            assert read == content
            assert not [c for c in local.sent if c.method == "file"]  # no HTTP download
            missing = str(server_dir / TOKEN / "voice" / "gone.oga")
            with pytest.raises(TelegramFileError) as unreadable:
                _ = [chunk async for chunk in telegram_chunks(bot, missing)]
            assert unreadable.value.problem is FileProblem.LOCAL_UNREADABLE


_CHECK = """
import json, os, sys
from pathlib import Path
from bot.telegram_files import local_dir_problem
from voxpersona.settings import TelegramSettings
groups = json.loads(sys.argv[2])
os.setgroups(groups)
os.setgid(10001)
os.setuid(10001)
settings = TelegramSettings(bot_token="1:x", local_api=True, local_files_dir=Path(sys.argv[1]))
print(json.dumps(local_dir_problem(settings)))
"""


def check_as_bot_user(folder: Path, groups: list[int]) -> str | None:
    """``local_dir_problem`` run as the bot's container user (uid 10001) in ``groups``."""
    done = subprocess.run(
        [sys.executable, "-c", _CHECK, str(folder), json.dumps(groups)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    result: str | None = json.loads(done.stdout)
    return result


@pytest.fixture
def world_readable_dir() -> Iterator[Path]:
    """A folder every user can reach (pytest's tmp_path sits under a 0700 folder)."""
    folder = Path(tempfile.mkdtemp(prefix="vp-bot-api-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(os.getuid() != 0, reason="changing users needs root")
def test_startup_check_needs_the_servers_group(world_readable_dir: Path) -> None:
    """The server's files as in compose: uid/gid 101, folders 0750, files 0640."""
    volume = world_readable_dir / "telegram-bot-api"
    bot_folder = volume / "123:token"
    bot_folder.mkdir(parents=True)
    for folder in (volume, bot_folder):
        os.chown(folder, 101, 101)
        folder.chmod(0o750)

    outside = check_as_bot_user(volume, [])
    assert outside is not None
    assert "not readable" in outside
    assert "group (101)" in outside
    assert check_as_bot_user(volume, [101]) is None
    # The bot's own folder (named after its token) unreadable: said without its name.
    bot_folder.chmod(0o700)
    inner = check_as_bot_user(volume, [101])
    assert inner is not None
    assert "a folder under" in inner
    assert "token" not in inner
    missing = check_as_bot_user(world_readable_dir / "nowhere", [101])
    assert missing is not None
    assert "does not exist" in missing


async def test_every_client_language_and_groups_get_a_menu(tg: FakeTelegram) -> None:
    async with bot_for(tg) as bot:
        await publish_commands(bot)
    spanish = tg.menus.shown_to("es")
    assert [c["command"] for c in spanish][:2] == ["files", "search"]
    assert spanish[0]["description"] == "My recordings"
    assert tg.menus.shown_to("ru")[0]["description"] == "Мои записи"
    assert tg.menus.shown_to(None)[0]["command"] == "files"
    in_group = [c["command"] for c in tg.menus.shown_to("es", chat_type="supergroup")]
    assert in_group == ["transcribe", "help"]


async def test_library_edits_survive_deleted_messages_flood_waits_and_no_change(
    tg: FakeTelegram,
) -> None:
    tg.add_chat(USER)
    async with bot_for(tg) as bot:
        page = await bot.send_message(USER.id, "Your recordings")
        await edit_or_send(page, "Your recordings", None)  # "not modified": nothing to do
        tg.inject_error("editMessageText", status=429, retry_after=1, chat_id=USER.id)
        await edit_or_send(page, "Page 2", None)  # waited out once, then edited
        await bot.delete_message(USER.id, page.message_id)
        await edit_or_send(page, "Page 3", None)  # the message is gone: sent anew

    assert [m.text for m in tg.messages_to(USER.id)] == ["Page 3"]
    assert [c.error for c in tg.rejected] == [
        "Bad Request: message is not modified: specified new message content and reply "
        "markup are exactly the same as a current content and reply markup of the message",
        "Too Many Requests: retry after 1",
        "Bad Request: message to edit not found",
    ]


async def test_button_presses_beyond_the_flood_limit_are_still_answered(tg: FakeTelegram) -> None:
    """Each unanswered press leaves the user's client spinning until the query expires."""
    dispatcher = Dispatcher()
    flood = FloodControl(per_minute=1.0, burst=2)
    dispatcher.callback_query.outer_middleware(flood)
    handled: list[str] = []

    @dispatcher.callback_query()
    async def on_press(query: CallbackQuery) -> None:
        handled.append(query.data or "")
        await query.answer("ok")

    tg.add_chat(USER)
    async with bot_for(tg) as bot:
        message = await bot.send_message(USER.id, "pick")
        for n in range(5):
            tg.user_presses_button(USER, message.model_dump(mode="json"), f"press-{n}")
        polling = asyncio.create_task(
            dispatcher.start_polling(bot, handle_signals=False, close_bot_session=False)
        )
        try:
            await tg.wait_for(lambda: len(tg.calls("answerCallbackQuery")) == 5, timeout=15)
        finally:
            polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await polling

    assert handled == ["press-0", "press-1"]
    texts = [str(c.params.get("text", "")) for c in tg.calls("answerCallbackQuery")]
    assert texts[:2] == ["ok", "ok"]
    assert texts[2].startswith("⏳ Слишком много сообщений")  # told once, in her language
    assert texts[3:] == ["", ""]  # answered without a word, but answered
    assert not tg.rejected
