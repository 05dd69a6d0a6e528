"""Texts of access control, fair use and the admins' commands."""

from __future__ import annotations

from typing import Literal

TEXTS: dict[str, dict[Literal["ru", "en"], str]] = {
    "access_denied": {
        "ru": "🔒 Это закрытый бот. Попросите администратора добавить вас (ваш id: {user_id}).",
        "en": "🔒 This is a private bot. Ask the administrator to add you (your id: {user_id}).",
    },
    "access_invite_needed": {
        "ru": "🔒 Бот работает по приглашениям. Отправьте /start КОД с кодом приглашения.",
        "en": "🔒 This bot is invite-only. Send /start CODE with your invite code.",
    },
    "invite_accepted": {"ru": "🎉 Приглашение принято!", "en": "🎉 Invite accepted!"},
    "invite_invalid": {
        "ru": "Код приглашения не подходит или уже использован.",
        "en": "This invite code is invalid or used up.",
    },
    "rate_limited": {
        "ru": "⏳ Слишком много записей подряд. Следующую можно прислать через {wait}.",
        "en": "⏳ Too many recordings in a row. You can send the next one in {wait}.",
    },
    "quota_exceeded": {
        "ru": "📊 Дневной лимит исчерпан ({recordings} записей или {minutes} мин аудио в день). "
        "Новые записи — через {wait} (в 00:00 UTC).",
        "en": "📊 Daily limit reached ({recordings} recordings or {minutes} min of audio a day). "
        "You can send again in {wait} (at 00:00 UTC).",
    },
    "flood": {
        "ru": "⏳ Слишком много сообщений. Подождите {wait}.",
        "en": "⏳ Too many messages. Please wait {wait}.",
    },
    "admin_only": {"ru": "Команда только для администраторов.", "en": "Admins only."},
    "admin_usage": {
        "ru": "Использование: /allow ID, /deny ID, /invite [число использований].",
        "en": "Usage: /allow ID, /deny ID, /invite [number of uses].",
    },
    "admin_allowed": {"ru": "✅ Доступ открыт: {user_id}.", "en": "✅ Access granted: {user_id}."},
    "admin_denied": {"ru": "⛔ Доступ закрыт: {user_id}.", "en": "⛔ Access revoked: {user_id}."},
    "admin_invite": {
        "ru": "Код приглашения: {code} (использований: {uses}). Передайте: /start {code}",
        "en": "Invite code: {code} ({uses} uses). Share: /start {code}",
    },
    "stats": {
        "ru": "📊 Пользователей: {users}. Записей: {recordings} (сегодня {today}), "
        "готово {done}, ошибок {failed}, в работе {processing}. Аудио: {hours} ч.",
        "en": "📊 Users: {users}. Recordings: {recordings} ({today} today), "
        "{done} done, {failed} failed, {processing} processing. Audio: {hours} h.",
    },
    "health": {"ru": "🩺 Состояние:\n{lines}", "en": "🩺 Health:\n{lines}"},
    "health_ok": {"ru": "в порядке", "en": "ok"},
    "health_down": {"ru": "недоступно", "en": "down"},
    "duration.s": {"ru": "{n} с", "en": "{n} s"},
    "duration.m": {"ru": "{n} мин", "en": "{n} min"},
    "duration.h": {"ru": "{h} ч {m} мин", "en": "{h} h {m} min"},
}
