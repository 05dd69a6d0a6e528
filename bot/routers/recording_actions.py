"""Card actions that change or fetch the recording: download, delete, re-run the analysis."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import timedelta
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.enums import ChatType
from aiogram.types import CallbackQuery, InputFile

from bot.callbacks import Callback
from bot.context import BotContext
from bot.filters import Action
from bot.i18n import Language, t
from bot.keyboards import SCENARIOS, scenario_label
from bot.repos.library import Card
from bot.routers.library import page_view, recording_id, show
from bot.routing import RouteTable
from bot.views import card_text, display_name
from voxpersona.contracts.keys import result_key
from voxpersona.logging import get_logger
from voxpersona.storage import MinioObjectStore, StorageError

if TYPE_CHECKING:
    from aiogram.client.bot import Bot as _Bot

log = get_logger(__name__)
routes = RouteTable("recording_actions")


class StoredObjectFile(InputFile):
    """An object streamed from MinIO to Telegram without holding it in memory."""

    def __init__(self, store: MinioObjectStore, bucket: str, key: str, filename: str) -> None:
        super().__init__(filename=filename)
        self._store = store
        self._bucket = bucket
        self._key = key

    async def read(self, bot: _Bot) -> AsyncGenerator[bytes, None]:
        async for chunk in self._store.iter_object(self._bucket, self._key):
            yield chunk


async def _card(query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language) -> Card | None:
    rid = recording_id(cb)
    card = await ctx.library.card(query.from_user.id, rid) if rid else None
    if card is None:
        await query.answer(t(lang, "not_found"), show_alert=True)
    return card


@routes.callback_query(Action("dl"))
async def download(
    query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language, bot: Bot
) -> None:
    card = await _card(query, cb, ctx, lang)
    if card is None or query.message is None:
        return
    if card.audio_state != "present":
        await query.answer(t(lang, "download_gone"), show_alert=True)
        return
    await query.answer()
    options = ctx.settings.options
    chat_id = query.message.chat.id
    extension = card.object_key.rsplit(".", 1)[-1]
    # A title can be a whole caption (1024 characters); a file name stays short.
    filename = f"{display_name(card.name, card.created_at, lang)[:100]}.{extension}"
    try:
        if card.size_bytes is not None and card.size_bytes <= options.download_inline_max_bytes:
            await bot.send_document(
                chat_id, StoredObjectFile(ctx.library_store, card.bucket, card.object_key, filename)
            )
            return
        ttl = timedelta(seconds=options.download_link_ttl_seconds)
        url = await ctx.library_store.presigned_get(card.bucket, card.object_key, ttl=ttl)
    except StorageError as exc:
        log.warning("bot.download_failed", user_id=query.from_user.id, reason=str(exc))
        await bot.send_message(chat_id, t(lang, "storage_unavailable"))
        return
    minutes = options.download_link_ttl_seconds // 60
    # A link opens the recording for whoever holds it: never into a group, only to its owner.
    private = query.message.chat.type == ChatType.PRIVATE
    link_chat = chat_id if private else query.from_user.id
    await bot.send_message(link_chat, t(lang, "download_link", minutes=minutes, url=url))


@routes.callback_query(Action("dx"))
async def ask_delete(query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language) -> None:
    card = await _card(query, cb, ctx, lang)
    if card is None:
        return
    name = display_name(card.name, card.created_at, lang)
    markup = ctx.keyboards.confirm_delete(query.from_user.id, card.id, lang)
    await show(query, t(lang, "delete_confirm", name=name), markup)


async def delete_objects(store: MinioObjectStore, card: Card, user_id: int) -> None:
    """The audio and the result documents; removing a missing object succeeds."""
    results = result_key(user_id, card.id)
    await store.delete(card.bucket, card.object_key)
    await store.delete(store.results_bucket, results)
    await store.delete(store.results_bucket, results.removesuffix(".json") + ".analysis.json")


@routes.callback_query(Action("dy"))
async def delete(query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language) -> None:
    card = await _card(query, cb, ctx, lang)
    if card is None:
        return
    user_id = query.from_user.id
    if card.busy:
        await query.answer(t(lang, "delete_busy"), show_alert=True)
        return
    try:
        await delete_objects(ctx.library_store, card, user_id)
    except StorageError as exc:
        log.warning("bot.delete_failed", user_id=user_id, reason=str(exc))
        await query.answer(t(lang, "storage_unavailable"), show_alert=True)
        return
    if not await ctx.library.delete(user_id, card.id):
        await query.answer(t(lang, "delete_busy"), show_alert=True)
        return
    log.info("bot.recording_deleted", user_id=user_id, recording_id=str(card.id))
    text, markup = await page_view(ctx, user_id, 0, lang)
    await show(query, f"{t(lang, 'deleted')}\n\n{text}", markup)


@routes.callback_query(Action("rr"))
async def choose_rerun(query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language) -> None:
    card = await _card(query, cb, ctx, lang)
    if card is None:
        return
    markup = ctx.keyboards.rerun(query.from_user.id, card.id, lang)
    await show(query, f"{card_text(card, lang)}\n\n{t(lang, 'rerun_choose')}", markup)


@routes.callback_query(Action("rs"))
async def rerun(query: CallbackQuery, cb: Callback, ctx: BotContext, lang: Language) -> None:
    card = await _card(query, cb, ctx, lang)
    if card is None:
        return
    scenario = cb.args[1] if len(cb.args) > 1 and cb.args[1] in SCENARIOS else SCENARIOS[0]
    user_id = query.from_user.id
    if card.status != "done" or card.busy:
        await query.answer(t(lang, "rerun_busy"), show_alert=True)
        return
    await ctx.reanalysis.request(
        card.id,
        user_id=user_id,
        scenario=scenario,
        interface_language=lang,
        idempotency_key=query.id,
    )
    log.info("bot.rerun", user_id=user_id, recording_id=str(card.id), scenario=scenario)
    await show(query, t(lang, "scenario_rerun", scenario=scenario_label(lang, scenario)), None)
