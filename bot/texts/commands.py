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
        "/speakers — кто что сказал: делить ли текст по говорящим\n"
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
        "/speakers — who said what: split transcripts by speaker or not\n"
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
    "speakers_menu": {
        "ru": "Кто что сказал: {choice}. В расшифровке реплики подписываются «Спикер 1», "
        "«Спикер 2»…; имена можно дать в карточке записи (/files). Выберите для новых записей:",
        "en": "Who said what: {choice}. Transcripts label turns “Speaker 1”, “Speaker 2”…; "
        "name them on the recording's card (/files). Choose for new recordings:",
    },
    "speakers_set": {
        "ru": "Готово: для новых записей — {choice}.",
        "en": "Done: for new recordings — {choice}.",
    },
    "speakers.default": {"ru": "по настройке сервера", "en": "as the server is set up"},
    "speakers.auto": {"ru": "👥 Определять", "en": "👥 Detect"},
    "speakers.off": {"ru": "🚫 Не делить", "en": "🚫 Don't split"},
    "speakers.1": {"ru": "1 голос", "en": "1 voice"},
    "speakers.2": {"ru": "2 голоса", "en": "2 voices"},
    "speakers.3": {"ru": "3 голоса", "en": "3 voices"},
    "speakers.4": {"ru": "4 голоса", "en": "4 voices"},
}
