"""Texts about receiving recordings: status messages, limits, scenario choice, groups."""

from __future__ import annotations

from typing import Literal

TEXTS: dict[str, dict[Literal["ru", "en"], str]] = {
    "status_received": {"ru": "📥 Запись получена.", "en": "📥 Recording received."},
    "status_uploading": {"ru": "⬆️ Сохраняю запись…", "en": "⬆️ Storing the recording…"},
    "status_done": {
        "ru": "✅ Запись получена и обработана.",
        "en": "✅ Recording received and processed.",
    },
    "status_failed": {
        "ru": "❌ Запись получена, но обработать её не удалось.",
        "en": "❌ Recording received, but it could not be processed.",
    },
    "status_scenario": {"ru": "Анализ: {scenario}.", "en": "Analysis: {scenario}."},
    "outage_resend": {
        "ru": "⚠️ Сервис временно недоступен, и это сообщение не удалось принять. "
        "Пожалуйста, отправьте его ещё раз через пару минут.",
        "en": "⚠️ The service is temporarily unavailable and could not take this message. "
        "Please send it again in a couple of minutes.",
    },
    "status_spooled": {
        "ru": "📦 Хранилище недоступно — запись в очереди, пришлю текст автоматически.",
        "en": "📦 Storage is unavailable — the recording is queued; the text will follow.",
    },
    "scenario_applied": {
        "ru": "Для этой записи будет: {scenario}.",
        "en": "This recording will get: {scenario}.",
    },
    "scenario_rerun": {
        "ru": "🔁 Запускаю анализ «{scenario}» заново…",
        "en": "🔁 Running the analysis “{scenario}” again…",
    },
    "analysis_off": {
        "ru": "ℹ️ Анализ на этом сервере выключен — только расшифровка.",
        "en": "ℹ️ Analysis is switched off on this server — transcript only.",
    },
    "reused": {
        "ru": "♻️ Этот файл уже расшифрован — вот сохранённый результат.",
        "en": "♻️ This file was transcribed before — here is the stored result.",
    },
    "group_reply_needed": {
        "ru": "Ответьте командой /transcribe на голосовое сообщение или аудио.",
        "en": "Reply /transcribe to a voice message or an audio file.",
    },
    "too_big_telegram": {
        "ru": "Telegram не отдаёт ботам файлы больше {limit}. Сожмите запись или разделите её "
        "на части.",
        "en": "Telegram does not hand files over {limit} to bots. Compress the recording or "
        "split it into parts.",
    },
    "too_big_local_hint": {
        "ru": "Чтобы принимать файлы до {max}, администратор может подключить локальный "
        "Bot API сервер (TELEGRAM_API_URL).",
        "en": "To accept files up to {max}, the administrator can connect a local Bot API "
        "server (TELEGRAM_API_URL).",
    },
}
