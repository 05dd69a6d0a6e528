"""Texts of /start, /help, /lang and /scenario."""

from __future__ import annotations

from typing import Literal

TEXTS: dict[str, dict[Literal["ru", "en"], str]] = {
    "start": {
        "ru": "👋 Здравствуйте, {name}! Я расшифровываю записи: пришлите голосовое сообщение, "
        "аудиофайл, видео или кружок — в ответ придут текст и анализ.\n\n"
        "Подпись к файлу станет названием записи (первая строка) и заметками.\n"
        "Все команды — /help.",
        "en": "👋 Hello, {name}! I transcribe recordings: send a voice message, an audio file, "
        "a video or a video note and you'll get the text and an analysis back.\n\n"
        "A caption becomes the recording's title (first line) and notes.\n"
        "All commands: /help.",
    },
    "help": {
        "ru": "Что я умею:\n"
        "• пришлите голосовое, аудио, видео, кружок или аудиодокумент — расшифрую "
        "(до {limit})\n"
        "/files — ваши записи: текст, анализ, экспорт, скачать, удалить\n"
        "/search слова [2024-05-01..2024-05-31] — поиск по расшифровкам и датам\n"
        "/ask вопрос — ответ по вашим записям со ссылками на запись и минуту\n"
        "/lang — язык интерфейса и язык записей\n"
        "/scenario — анализ по умолчанию\n"
        "/delete_all — удалить все записи\n"
        "В группах: ответьте /transcribe на голосовое сообщение.",
        "en": "What I can do:\n"
        "• send a voice message, audio, video, video note or audio document — I'll transcribe "
        "it (up to {limit})\n"
        "/files — your recordings: text, analysis, exports, download, delete\n"
        "/search words [2024-05-01..2024-05-31] — search transcripts and dates\n"
        "/ask question — an answer from your recordings, citing recording and time\n"
        "/lang — interface language and recording language\n"
        "/scenario — the default analysis\n"
        "/delete_all — delete all recordings\n"
        "In groups: reply /transcribe to a voice message.",
    },
    "lang_menu": {
        "ru": "Язык интерфейса: {ui}. Язык записей: {rec}.\n"
        "Язык записей — подсказка для распознавания; «авто» определяет его сам.",
        "en": "Interface language: {ui}. Recording language: {rec}.\n"
        "The recording language is a hint for recognition; “auto” detects it.",
    },
    "lang_set": {
        "ru": "Готово: язык интерфейса — русский.",
        "en": "Done: interface language is English.",
    },
    "reclang_set": {
        "ru": "Готово: язык записей — {rec}.",
        "en": "Done: recording language is {rec}.",
    },
    "lang.ru": {"ru": "русский", "en": "Russian"},
    "lang.en": {"ru": "английский", "en": "English"},
    "lang.uk": {"ru": "украинский", "en": "Ukrainian"},
    "lang.de": {"ru": "немецкий", "en": "German"},
    "lang.fr": {"ru": "французский", "en": "French"},
    "lang.es": {"ru": "испанский", "en": "Spanish"},
    "lang.auto": {"ru": "авто", "en": "auto"},
    "btn_ui_ru": {"ru": "🇷🇺 Русский", "en": "🇷🇺 Русский"},
    "btn_ui_en": {"ru": "🇬🇧 English", "en": "🇬🇧 English"},
    "btn_rec": {"ru": "🎙 {rec}", "en": "🎙 {rec}"},
    "scenario_menu": {
        "ru": "Анализ по умолчанию: {scenario}. Выберите другой:",
        "en": "Default analysis: {scenario}. Choose another:",
    },
    "scenario_default_set": {
        "ru": "Готово: по умолчанию — {scenario}.",
        "en": "Done: the default is now {scenario}.",
    },
    "scenario.none": {"ru": "Без анализа", "en": "No analysis"},
}
