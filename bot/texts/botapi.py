"""Texts about what the Bot API can refuse or limit: files Telegram would not hand over,
commands that belong in a private chat, and the "/" command menus."""

from __future__ import annotations

from typing import Literal

TEXTS: dict[str, dict[Literal["ru", "en"], str]] = {
    "too_big_telegram_local": {
        "ru": "Telegram отказался отдать этот файл как слишком большой. Сожмите запись или "
        "разделите её на части.",
        "en": "Telegram refused to hand this file over as too big. Compress the recording or "
        "split it into parts.",
    },
    "file_unavailable": {
        "ru": "Telegram сейчас не отдаёт этот файл (он временно недоступен). Пришлите запись "
        "ещё раз через несколько минут.",
        "en": "Telegram can't hand this file over right now (it is temporarily unavailable). "
        "Please send the recording again in a few minutes.",
    },
    "file_telegram_down": {
        "ru": "Серверы Telegram не ответили, файл получить не удалось. Пришлите запись ещё раз "
        "через несколько минут.",
        "en": "Telegram's servers didn't answer, so I couldn't get the file. Please send the "
        "recording again in a few minutes.",
    },
    "file_local_unreadable": {
        "ru": "Не удалось прочитать файл, скачанный локальным Bot API сервером. Администратор "
        "увидит причину в журнале; пришлите запись позже.",
        "en": "I couldn't read the file the local Bot API server downloaded. The administrator "
        "will find the reason in the log; please send the recording later.",
    },
    "quota_left_too_short": {
        "ru": "Эта запись длиннее, чем осталось на сегодня по лимиту ({left} мин). Пришлите "
        "её завтра или разделите на части.",
        "en": "This recording is longer than what is left of today's limit ({left} min). Send "
        "it tomorrow or split it into parts.",
    },
    "private_only": {
        "ru": "🔒 Эта команда работает только в личном чате со мной: @{bot}",
        "en": "🔒 This command works only in a private chat with me: @{bot}",
    },
    "delete_all_working": {"ru": "🗑 Удаляю…", "en": "🗑 Deleting…"},
    "menu.files": {"ru": "Мои записи", "en": "My recordings"},
    "menu.search": {"ru": "Поиск по расшифровкам", "en": "Search transcripts"},
    "menu.ask": {"ru": "Спросить мои записи", "en": "Ask my recordings"},
    "menu.lang": {"ru": "Язык интерфейса и записей", "en": "Interface and recording language"},
    "menu.scenario": {"ru": "Анализ по умолчанию", "en": "Default analysis"},
    "menu.speakers": {"ru": "Кто что сказал", "en": "Who said what"},
    "menu.help": {"ru": "Помощь", "en": "Help"},
    "menu.delete_all": {"ru": "Удалить все записи", "en": "Delete all recordings"},
    "menu.transcribe": {
        "ru": "Расшифровать запись (ответом на неё)",
        "en": "Transcribe a recording (as a reply to it)",
    },
}
