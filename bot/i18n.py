"""User-facing texts in Russian and English. Russian is the default: most users speak it."""

from __future__ import annotations

from typing import Literal

from bot.texts import access, botapi, commands, intake, library

Language = Literal["ru", "en"]
DEFAULT_LANGUAGE: Language = "ru"
# Telegram clients in these languages get Russian; everyone else English.
_RUSSIAN_CLIENTS = frozenset({"ru", "uk", "be", "kk", "uz", "ky", "tg", "hy", "az", "ka"})

_CORE: dict[str, dict[Language, str]] = {
    "received": {
        "ru": "🎙 Запись получена. Расшифровываю — пришлю текст, как только он будет готов.",
        "en": "🎙 Recording received. Transcribing — I'll send the text as soon as it's ready.",
    },
    "not_audio": {
        "ru": "Это не похоже на аудио. Пришлите голосовое сообщение, аудиофайл, видео или "
        "документ со звуком (OGG, MP3, M4A, MP4, WAV, FLAC, WEBM).",
        "en": "This doesn't look like audio. Send a voice message, an audio file, a video or a "
        "document with sound (OGG, MP3, M4A, MP4, WAV, FLAC, WEBM).",
    },
    "unsupported": {
        "ru": "Я принимаю голосовые сообщения, аудиофайлы, видео, кружки и документы со звуком — "
        "пришлите запись, и я её расшифрую. Команды — /help.",
        "en": "I accept voice messages, audio files, videos, video notes and documents with "
        "sound — send a recording and I'll transcribe it. Commands: /help.",
    },
    "too_big_public": {
        "ru": "Файл весит {size}, а Telegram отдаёт ботам файлы только до {limit}. Сожмите запись "
        "или разделите её на части.",
        "en": "The file is {size}, but Telegram only lets bots download files up to {limit}. "
        "Compress the recording or split it into parts.",
    },
    "too_big": {
        "ru": "Файл весит {size}, а максимальный размер записи — {limit}. "
        "Разделите запись на части.",
        "en": "The file is {size}, and the largest recording I accept is {limit}. "
        "Split it into parts.",
    },
    "upload_failed": {
        "ru": "Не удалось сохранить запись — хранилище временно недоступно. Попробуйте ещё раз "
        "через пару минут.",
        "en": "I couldn't store the recording — storage is temporarily unavailable. "
        "Please try again in a couple of minutes.",
    },
    "spooled": {
        "ru": "🎙 Запись получена. Хранилище сейчас недоступно, поэтому запись поставлена в "
        "очередь — я расшифрую её и пришлю текст автоматически, ничего повторять не нужно.",
        "en": "🎙 Recording received. Storage is unavailable right now, so it is queued — I'll "
        "transcribe it and send the text automatically; no need to send it again.",
    },
    "status_queued": {
        "ru": "🎙 Запись получена и стоит в очереди на расшифровку.",
        "en": "🎙 Recording received and queued for transcription.",
    },
    "status_transcribing": {
        "ru": "🎧 Расшифровываю…",
        "en": "🎧 Transcribing…",
    },
    "status_progress": {
        "ru": "{percent}% ({done} из {total})",
        "en": "{percent}% ({done} of {total})",
    },
    "status_chunks": {
        "ru": "— часть {chunk} из {chunks}",
        "en": "— part {chunk} of {chunks}",
    },
    "status_analysing": {
        "ru": "🧠 Анализирую расшифровку…",
        "en": "🧠 Analysing the transcript…",
    },
    "status_delayed": {
        "ru": "⏳ Обработка задерживается: у нас временные неполадки с сервисом распознавания или "
        "анализа. Запись сохранена, результат пришлю, как только всё заработает.",
        "en": "⏳ Processing is delayed: the speech or analysis service is having trouble on our "
        "side. Your recording is safe; I'll send the result as soon as it works again.",
    },
    "transcript_header": {
        "ru": "📝 Расшифровка{name}:",
        "en": "📝 Transcript{name}:",
    },
    "transcript_file_caption": {
        "ru": "Полный текст расшифровки — в файле.",
        "en": "The full transcript is in the file.",
    },
    "failed": {
        "ru": "😔 Не удалось расшифровать запись: {reason}",
        "en": "😔 I couldn't transcribe the recording: {reason}",
    },
    "reason.no_speech": {
        "ru": "в записи не слышно речи.",
        "en": "there is no speech in it.",
    },
    "reason.empty_object": {
        "ru": "файл пустой.",
        "en": "the file is empty.",
    },
    "reason.object_gone": {
        "ru": "файл был удалён до обработки.",
        "en": "the file was deleted before it could be processed.",
    },
    "reason.transcriber_rejected": {
        "ru": "сервис распознавания не принял файл — возможно, он повреждён или это не аудио.",
        "en": "the speech service rejected the file — it may be damaged or not audio.",
    },
    "reason.retries_exhausted": {
        "ru": "сервис распознавания долго недоступен. Мы сохранили запись и попробуем снова.",
        "en": "the speech service has been unavailable for too long. The recording is kept "
        "and we will try again.",
    },
    "reason.not_audio": {
        "ru": "в файле нет звука, который можно распознать: это не аудиозапись.",
        "en": "the file holds no sound to recognise: it is not an audio recording.",
    },
    "reason.corrupt_audio": {
        "ru": "аудиофайл повреждён и не воспроизводится.",
        "en": "the audio file is damaged and does not play.",
    },
    "reason.too_long": {
        "ru": "запись слишком длинная. Разделите её на части.",
        "en": "the recording is too long. Split it into parts.",
    },
    "reason.transcriber_auth": {
        "ru": "сервис распознавания отклонил наш ключ доступа. Мы уже разбираемся.",
        "en": "the speech service rejected our access key. We're looking into it.",
    },
    "reason.analysis_rejected": {
        "ru": "сервис анализа не принял запрос.",
        "en": "the analysis service rejected the request.",
    },
    "reason.analysis_empty": {
        "ru": "модель не вернула текст.",
        "en": "the model returned no text.",
    },
    "reason.analysis_retries_exhausted": {
        "ru": "сервис анализа долго недоступен.",
        "en": "the analysis service has been unavailable for too long.",
    },
    "analysis_header": {
        "ru": "🧠 {title}:",
        "en": "🧠 {title}:",
    },
    "analysis_file_caption": {
        "ru": "Полный текст анализа — в файле.",
        "en": "The full analysis is in the file.",
    },
    "analysis_pending": {
        "ru": "⏳ Анализ записи пока не готов: сервис анализа недоступен. Пришлю его, как только "
        "получится.",
        "en": "⏳ The analysis isn't ready yet: the analysis service is unavailable. I'll send it "
        "as soon as I can.",
    },
    "delivery_failed": {
        "ru": "😔 Не получилось отправить результат обработки записи. Запись и расшифровка "
        "сохранены — их можно открыть в библиотеке (/files).",
        "en": "😔 I couldn't send you the result for your recording. The recording and its "
        "transcript are kept — open them from the library (/files).",
    },
    "analysis_failed": {
        "ru": "Расшифровка готова, но анализ сделать не удалось: {reason}",
        "en": "The transcript is ready, but the analysis failed: {reason}",
    },
    "scenario.summary": {"ru": "Краткое содержание", "en": "Summary"},
    "scenario.interview": {"ru": "Анализ интервью", "en": "Interview analysis"},
    "scenario.audit": {"ru": "Аудит сайта или дизайна", "en": "Site or design audit"},
    "scenario.other": {"ru": "Анализ", "en": "Analysis"},
    "reason.other": {
        "ru": "внутренняя ошибка. Запись сохранена; мы уже разбираемся.",
        "en": "an internal error. The recording is kept; we're looking into it.",
    },
}

CATALOGUE: dict[str, dict[Language, str]] = {
    **_CORE,
    **commands.TEXTS,
    **intake.TEXTS,
    **library.TEXTS,
    **access.TEXTS,
    **botapi.TEXTS,
}


def language_for(language_code: str | None) -> Language:
    """The language to talk to a user in, from their Telegram client's language."""
    if not language_code:
        return DEFAULT_LANGUAGE
    base = language_code.split("-")[0].lower()
    if base == "en":
        return "en"
    return "ru" if base in _RUSSIAN_CLIENTS else "en"


def normalise_language(value: str | None) -> Language:
    """A stored language (``ru``/``en``) or the default."""
    return "en" if value == "en" else DEFAULT_LANGUAGE


def t(language: Language, key: str, **values: object) -> str:
    """The text ``key`` in ``language``, formatted with ``values``."""
    return CATALOGUE[key][language].format(**values)


def reason_text(language: Language, reason_code: str | None) -> str:
    """A human explanation of a failure code."""
    key = f"reason.{reason_code}"
    return t(language, key if key in CATALOGUE else "reason.other")


def scenario_title(language: Language, scenario: str | None) -> str:
    """The heading of an analysis made with ``scenario``."""
    key = f"scenario.{scenario}"
    return t(language, key if key in CATALOGUE else "scenario.other")


def human_size(size: int, language: Language) -> str:
    units = ("Б", "КБ", "МБ", "ГБ") if language == "ru" else ("B", "KB", "MB", "GB")
    value = float(size)
    for unit in units:
        if value < 1024 or unit == units[-1]:
            return f"{value:.0f} {unit}" if unit == units[0] else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def human_duration(seconds: float, language: Language) -> str:
    """``42`` → ``42 s``; ``150`` → ``3 min``; ``5400`` → ``1 h 30 min`` (rounded up)."""
    whole = max(0, int(-(-seconds // 1)))
    if whole < 60:
        return t(language, "duration.s", n=whole)
    minutes = -(-whole // 60)
    if minutes < 60:
        return t(language, "duration.m", n=minutes)
    return t(language, "duration.h", h=minutes // 60, m=minutes % 60)
