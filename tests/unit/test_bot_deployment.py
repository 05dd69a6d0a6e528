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
