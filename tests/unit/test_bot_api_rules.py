"""Pure rules of the bot against the real Bot API: getFile retries, duration estimates for the
quota, what belongs in a group, the local-mode path mapping, the command menus."""

from __future__ import annotations

import io
import struct
import wave
from pathlib import Path

import pytest
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import GetFile

from bot.dispatching import GROUP_MENU, PRIVATE_MENU, menu
from bot.duration import estimate_seconds, size_lower_bound, wav_seconds
from bot.groups import button_allowed_in_group, group_verdict, parse_command
from bot.progress import chat_interval
from bot.routers.intake import file_problem_key
from bot.telegram_files import (
    FileProblem,
    TelegramFileError,
    api_server,
    local_path,
    plan_get_file_retry,
)
from voxpersona.settings import TelegramSettings
from voxpersona.sniffing import AudioKind, sniff_audio

METHOD = GetFile(file_id="x")
WAV = AudioKind("wav", "audio/wav")


def bad_request(message: str) -> TelegramBadRequest:
    return TelegramBadRequest(method=METHOD, message=message)


def test_only_file_is_too_big_means_too_big() -> None:
    too_big = plan_get_file_retry(bad_request("Bad Request: file is too big"), 1, attempts=4)
    assert (too_big.problem, too_big.delay) == (FileProblem.TOO_BIG, None)
    wrong = bad_request("Bad Request: wrong file_id or the file is temporarily unavailable")
    unavailable = plan_get_file_retry(wrong, 1, attempts=4)
    assert unavailable.problem is FileProblem.UNAVAILABLE
    assert unavailable.delay is not None
    assert 0.5 <= unavailable.delay <= 1.0  # jittered backoff
    given_up = plan_get_file_retry(wrong, 4, attempts=4)
    assert (given_up.problem, given_up.delay) == (FileProblem.UNAVAILABLE, None)
    invalid = plan_get_file_retry(bad_request("Bad Request: invalid file_id"), 1, attempts=4)
    assert (invalid.problem, invalid.delay) == (FileProblem.UNAVAILABLE, None)


def test_flood_waits_server_and_network_errors_are_retried() -> None:
    flood = TelegramRetryAfter(method=METHOD, message="Too Many Requests", retry_after=7)
    assert plan_get_file_retry(flood, 1, attempts=4).delay == 7.0
    server = TelegramServerError(method=METHOD, message="Bad Gateway")
    third = plan_get_file_retry(server, 3, attempts=4, base_delay=1.0)
    assert third.problem is FileProblem.TELEGRAM_DOWN
    assert third.delay is not None
    assert 2.0 <= third.delay <= 4.0
    network = TelegramNetworkError(method=METHOD, message="Request timeout error")
    assert plan_get_file_retry(network, 1, attempts=2).delay is not None
    assert plan_get_file_retry(network, 2, attempts=2).delay is None


def test_file_problems_have_their_own_texts() -> None:
    assert file_problem_key(FileProblem.TOO_BIG, local=False) == "too_big_telegram"
    assert file_problem_key(FileProblem.TOO_BIG, local=True) == "too_big_telegram_local"
    assert file_problem_key(FileProblem.UNAVAILABLE, local=False) == "file_unavailable"
    assert file_problem_key(FileProblem.TELEGRAM_DOWN, local=True) == "file_telegram_down"
    assert file_problem_key(FileProblem.LOCAL_UNREADABLE, local=True) == "file_local_unreadable"


def wav_bytes(seconds: float, *, rate: int = 8000, width: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(bytes(int(seconds * rate) * width))
    return buffer.getvalue()


def test_wav_duration_from_the_header() -> None:
    data = wav_bytes(2.5, rate=16000, width=2)
    assert wav_seconds(data[:64], len(data)) == pytest.approx(2.5)
    assert estimate_seconds(WAV, data[:64], len(data)) == pytest.approx(2.5)
    # A streaming writer's bogus data size: the rest of the file counts instead.
    streamed = data[:40] + struct.pack("<I", 0xFFFFFFFF) + data[44:]
    assert wav_seconds(streamed[:64], len(streamed)) == pytest.approx(2.5)
    # Forty minutes of 8 kHz 8-bit mono is 19.2 MB and says so in its first bytes.
    forty = 40 * 60 * 8000
    head = wav_bytes(0.001)[:44]
    head = head[:4] + struct.pack("<I", forty + 36) + head[8:40] + struct.pack("<I", forty)
    assert sniff_audio(head + bytes(20)) == WAV
    assert estimate_seconds(WAV, head, forty + 44) == pytest.approx(2400.0)


def test_other_containers_by_typical_bitrate_and_a_lower_bound_before_download() -> None:
    mp3 = AudioKind("mp3", "audio/mpeg")
    assert estimate_seconds(mp3, b"ID3", 16_000 * 60) == pytest.approx(60.0)
    assert wav_seconds(b"not a wav file at all", 100) is None
    assert size_lower_bound(None) == 0.0
    # 2 GB counts at least 3.4 hours before anything is downloaded.
    assert size_lower_bound(2 * 1024**3) / 3600 == pytest.approx(3.38, abs=0.01)


@pytest.mark.parametrize(
    ("text", "verdict"),
    [
        ("/transcribe", "handle"),
        ("/help@voxpersona_test_bot", "handle"),
        ("/files", "point_to_private"),
        ("/search бюджет", "point_to_private"),
        ("/delete_all@VoxPersona_Test_Bot", "point_to_private"),
        ("/invite 5", "point_to_private"),
        ("/stats", "point_to_private"),
        ("/files@other_bot", "ignore"),
        ("/transcribe@other_bot", "ignore"),
        ("/unknown", "ignore"),
        ("hello", "ignore"),
        (None, "ignore"),
    ],
)
def test_what_belongs_in_a_group(text: str | None, verdict: str) -> None:
    assert group_verdict(text, "voxpersona_test_bot") == verdict


def test_group_buttons_and_command_parsing() -> None:
    assert button_allowed_in_group("sc")
    assert not button_allowed_in_group("cd")  # a library card
    assert not button_allowed_in_group("dl")
    command = parse_command("/Files@Bot args")
    assert command is not None
    assert (command.name, command.mention) == ("files", "Bot")
    assert parse_command("/") is None


def test_local_mode_path_mapping() -> None:
    same = api_server(TelegramSettings(bot_token="1:x", local_api=True))
    assert same.is_local
    assert local_path(same, "/var/lib/telegram-bot-api/1:x/voice/file_1.oga") == Path(
        "/var/lib/telegram-bot-api/1:x/voice/file_1.oga"
    )
    mapped = api_server(
        TelegramSettings(
            bot_token="1:x",
            local_api=True,
            local_server_dir=Path("/var/lib/telegram-bot-api"),
            local_files_dir=Path("/srv/bot-api"),
        )
    )
    assert local_path(mapped, "/var/lib/telegram-bot-api/1:x/voice/file_1.oga") == Path(
        "/srv/bot-api/1:x/voice/file_1.oga"
    )
    with pytest.raises(TelegramFileError) as outside:
        local_path(mapped, "/etc/passwd")
    assert outside.value.problem is FileProblem.LOCAL_UNREADABLE
    with pytest.raises(TelegramFileError, match="relative"):
        local_path(mapped, "voice/file_1.oga")  # not a --local server after all
    public = api_server(TelegramSettings(bot_token="1:x"))
    assert not public.is_local


def test_menus_come_from_the_catalogue_in_both_languages() -> None:
    ru, en = menu(PRIVATE_MENU, "ru"), menu(PRIVATE_MENU, "en")
    assert [c.command for c in ru] == [c.command for c in en] == list(PRIVATE_MENU)
    assert ru[0].description == "Мои записи"
    assert [c.command for c in menu(GROUP_MENU, "en")] == ["transcribe", "help"]


def test_edits_per_chat_are_slower_in_groups() -> None:
    assert chat_interval(123) == 1.0
    assert chat_interval(-100123) == 3.0  # 20 messages a minute
