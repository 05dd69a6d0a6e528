"""Texts of the library: /files, recording cards, exports, downloads, deletion, search."""

from __future__ import annotations

from typing import Literal

TEXTS: dict[str, dict[Literal["ru", "en"], str]] = {
    "files_empty": {
        "ru": "Записей пока нет. Пришлите голосовое сообщение или аудиофайл.",
        "en": "No recordings yet. Send a voice message or an audio file.",
    },
    "files_header": {
        "ru": "🗂 Ваши записи: {total}. Страница {page} из {pages}.",
        "en": "🗂 Your recordings: {total}. Page {page} of {pages}.",
    },
    "card": {
        "ru": "🎙 {name}\n📅 {date}\n⏱ {duration}\n💾 {size}\n📌 {status}",
        "en": "🎙 {name}\n📅 {date}\n⏱ {duration}\n💾 {size}\n📌 {status}",
    },
    "card_notes": {"ru": "📝 {notes}", "en": "📝 {notes}"},
    "unnamed": {"ru": "Запись от {date}", "en": "Recording of {date}"},
    "unknown": {"ru": "—", "en": "—"},
    "rec_status.processing": {"ru": "в работе", "en": "processing"},
    "rec_status.done": {"ru": "готово", "en": "done"},
    "rec_status.failed": {"ru": "ошибка", "en": "failed"},
    "rec_status.audio_gone": {"ru": "{status}, аудио удалено", "en": "{status}, audio removed"},
    "btn_transcript": {"ru": "📝 Текст", "en": "📝 Transcript"},
    "btn_analysis": {"ru": "🧠 Анализ", "en": "🧠 Analysis"},
    "btn_rerun": {"ru": "🔁 Другой анализ", "en": "🔁 Another analysis"},
    "btn_speakers": {"ru": "👥 Имена спикеров", "en": "👥 Name speakers"},
    "speakers_prompt": {
        "ru": "👥 Спикеры в «{name}»:\n{speakers}\n\nОтветьте на это сообщение номером и "
        "именем, например «2 Анна» (только номер — вернуть «Спикер 2»). Текст и экспорт "
        "покажут новые имена.\n🔖 {rid}",
        "en": "👥 Speakers in “{name}”:\n{speakers}\n\nReply to this message with a number "
        "and a name, e.g. “2 Anna” (a number alone brings back “Speaker 2”). The transcript "
        "and exports will show the new names.\n🔖 {rid}",
    },
    "speakers_named": {
        "ru": "Готово: {speaker} — «{name}». Откройте текст или экспорт в карточке записи.",
        "en": "Done: {speaker} is now “{name}”. Open the transcript or an export on the card.",
    },
    "speakers_unnamed": {
        "ru": "Готово: снова «{speaker}».",
        "en": "Done: back to “{speaker}”.",
    },
    "speakers_bad": {
        "ru": "Не понял. Ответьте номером спикера и именем, например «2 Анна».",
        "en": "I didn't get that. Reply with a speaker's number and a name, e.g. “2 Anna”.",
    },
    "speakers_no_such": {
        "ru": "В этой записи нет спикера {number}.",
        "en": "This recording has no speaker {number}.",
    },
    "btn_download": {"ru": "⬇️ Скачать", "en": "⬇️ Download"},
    "btn_delete": {"ru": "🗑 Удалить", "en": "🗑 Delete"},
    "btn_export": {"ru": "📄 {fmt}", "en": "📄 {fmt}"},
    "btn_prev": {"ru": "◀️ Назад", "en": "◀️ Back"},
    "btn_next": {"ru": "Вперёд ▶️", "en": "Next ▶️"},
    "btn_list": {"ru": "🗂 К списку", "en": "🗂 To the list"},
    "btn_confirm_delete": {"ru": "🗑 Да, удалить", "en": "🗑 Yes, delete"},
    "btn_cancel": {"ru": "Отмена", "en": "Cancel"},
    "not_found": {
        "ru": "Запись не найдена — возможно, она удалена.",
        "en": "Recording not found — it may have been deleted.",
    },
    "button_invalid": {
        "ru": "Эта кнопка больше не действует.",
        "en": "This button is no longer valid.",
    },
    "transcript_not_ready": {
        "ru": "Расшифровка ещё не готова.",
        "en": "The transcript is not ready yet.",
    },
    "analysis_missing": {
        "ru": "Анализа у этой записи нет. Выберите сценарий кнопкой «Другой анализ».",
        "en": "This recording has no analysis. Pick a scenario with “Another analysis”.",
    },
    "rerun_choose": {"ru": "Какой анализ сделать?", "en": "Which analysis should I run?"},
    "rerun_busy": {
        "ru": "Запись ещё обрабатывается — попробуйте, когда она будет готова.",
        "en": "The recording is still being processed — try again when it's ready.",
    },
    "download_link": {
        "ru": "⬇️ Ссылка на файл (действует {minutes} мин):\n{url}",
        "en": "⬇️ Link to the file (valid for {minutes} min):\n{url}",
    },
    "download_gone": {
        "ru": "Аудиофайл уже удалён из хранилища; текст и анализ сохранены.",
        "en": "The audio file has been removed from storage; text and analysis are kept.",
    },
    "delete_confirm": {
        "ru": "Удалить «{name}» вместе с аудио, текстом и анализом? Это необратимо.",
        "en": "Delete “{name}” with its audio, text and analysis? This cannot be undone.",
    },
    "deleted": {"ru": "🗑 Запись удалена.", "en": "🗑 Recording deleted."},
    "delete_busy": {
        "ru": "Запись ещё обрабатывается — удалить её можно, когда она будет готова.",
        "en": "The recording is still being processed — you can delete it once it's ready.",
    },
    "cancelled": {"ru": "Отменено.", "en": "Cancelled."},
    "storage_unavailable": {
        "ru": "Хранилище временно недоступно. Попробуйте через пару минут.",
        "en": "Storage is temporarily unavailable. Try again in a couple of minutes.",
    },
    "search_usage": {
        "ru": "Напишите, что искать: /search бюджет четверг\n"
        "Можно добавить даты: /search бюджет 2024-05-01..2024-05-31 (или одну дату).",
        "en": "Say what to look for: /search budget thursday\n"
        "Dates work too: /search budget 2024-05-01..2024-05-31 (or a single date).",
    },
    "search_bad_date": {
        "ru": "Не понял дату «{value}». Формат: ГГГГ-ММ-ДД или ГГГГ-ММ-ДД..ГГГГ-ММ-ДД.",
        "en": "I can't read the date “{value}”. Use YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD.",
    },
    "search_empty": {"ru": "Ничего не нашлось.", "en": "Nothing found."},
    "ask_usage": {
        "ru": "Задайте вопрос о своих записях: /ask о чём договорились с клиентом по бюджету?",
        "en": "Ask about your recordings: /ask what did we agree with the client on the budget?",
    },
    "ask_unavailable": {
        "ru": "Поиск по смыслу сейчас недоступен. Попробуйте позже или воспользуйтесь /search.",
        "en": "Meaning search is unavailable right now. Try again later or use /search.",
    },
    "ask_sources": {"ru": "Источники:", "en": "Sources:"},
    "btn_ask_card": {"ru": "🎙 {title}", "en": "🎙 {title}"},
    "clip_caption": {"ru": "🔊 Фрагмент {start}–{end}", "en": "🔊 Clip {start}–{end}"},
    "clip_failed": {
        "ru": "Не удалось вырезать фрагмент из записи. Попробуйте позже.",
        "en": "Couldn't cut the clip from the recording. Please try again later.",
    },
    "search_header": {"ru": "🔎 Найдено: {count}.", "en": "🔎 Found: {count}."},
    "search_similar": {
        "ru": "🔎 Точных совпадений нет. Похожие по смыслу: {count}.",
        "en": "🔎 No exact matches. Closest in meaning: {count}.",
    },
    "delete_all_confirm": {
        "ru": "⚠️ Удалить ВСЕ ваши записи ({count}): аудио, тексты, анализы? Это необратимо — "
        "восстановить их будет нельзя.",
        "en": "⚠️ Delete ALL your recordings ({count}): audio, transcripts, analyses? This is "
        "irreversible — they cannot be restored.",
    },
    "btn_delete_all": {"ru": "⚠️ Да, удалить всё", "en": "⚠️ Yes, delete everything"},
    "delete_all_done": {
        "ru": "🗑 Удалено записей: {count}. Файлов в хранилище: {objects}.",
        "en": "🗑 Recordings deleted: {count}. Files removed from storage: {objects}.",
    },
    "delete_all_busy": {
        "ru": "Из них ещё обрабатывались: {count} — обработка остановлена, результатов не будет.",
        "en": "{count} of them were still being processed — processing stopped, no results "
        "will follow.",
    },
    "delete_all_nothing": {"ru": "Удалять нечего.", "en": "There is nothing to delete."},
}
