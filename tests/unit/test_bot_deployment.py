"""docker-compose's optional local Bot API server and the bot's settings in it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return loaded


def test_local_bot_api_server_is_an_optional_profile_sharing_its_files() -> None:
    services = compose()["services"]
    server = services["telegram-bot-api"]
    assert server["profiles"] == ["local-bot-api"]  # not started by a plain `up`
    assert "telegram-bot-api" in server["image"]
    env = server["environment"]
    assert {"TELEGRAM_API_ID", "TELEGRAM_API_HASH"} <= set(env)
    assert env["TELEGRAM_LOCAL"] == "1"
    assert "telegram_bot_api:/var/lib/telegram-bot-api" in server["volumes"]
    # --local mode answers getFile with a path on that volume: the bot reads it there.
    assert "telegram_bot_api:/var/lib/telegram-bot-api:ro" in services["bot"]["volumes"]
    assert "telegram_bot_api" in compose()["volumes"]


def test_bot_reads_the_local_servers_files_through_its_group() -> None:
    """aiogram/telegram-bot-api runs as uid/gid 101 with folders 0750 and files 0640; the bot
    (uid 10001, see the Dockerfile) needs group 101 and the path mapping settings."""
    bot = compose()["services"]["bot"]
    assert "101" in [str(group) for group in bot["group_add"]]
    env = bot["environment"]
    assert env["TELEGRAM_LOCAL_FILES_DIR"] == "/var/lib/telegram-bot-api"
    assert "TELEGRAM_LOCAL_SERVER_DIR" in env
    assert "TELEGRAM_GET_FILE_TIMEOUT" in env
    assert "--uid 10001" in (ROOT / "Dockerfile").read_text()


def test_bot_gets_its_access_and_fair_use_settings() -> None:
    env = compose()["services"]["bot"]["environment"]
    for name in (
        "TELEGRAM_LOCAL_API",
        "VOXPERSONA_ACCESS_MODE",
        "VOXPERSONA_ALLOWED_USERS",
        "VOXPERSONA_ADMIN_IDS",
        "VOXPERSONA_INVITE_CODES",
        "VOXPERSONA_RATE_LIMIT_PER_MINUTE",
        "VOXPERSONA_DAILY_RECORDINGS",
        "VOXPERSONA_DAILY_AUDIO_MINUTES",
    ):
        assert name in env, name
