"""Bot wiring: settings once, one place that opens and closes every resource."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import asyncpg
import nats.errors
from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from nats.aio.client import Client as NatsClient
from nats.js import JetStreamContext

from bot.asking import build_ask_service
from bot.callbacks import CallbackSigner
from bot.chat_migration import ChatMoves
from bot.context import BotContext, callback_secret
from bot.delivery import Deliverer, DeliveryHandler, delivery_policy
from bot.delivery_journal import DeliveryJournal
from bot.dispatching import build_dispatcher, publish_commands
from bot.intake import SpoolFallback
from bot.observability import MeteredDeliverer, bot_observability
from bot.pacing import ChatPacer
from bot.progress import ProgressEditor
from bot.reanalysis import Reanalysis
from bot.repos.library import Library
from bot.repos.uploads import Uploads
from bot.repos.users import Invites, UsageLedger, Users
from bot.schema import wait_for_schema
from bot.storage_startup import open_bot_storage
from bot.telegram_files import api_server, local_dir_problem
from bot.transcripts import TranscriptReader
from voxpersona.consumer import (
    ConsumerOptions,
    JetStreamConsumer,
    RetryPolicy,
    server_max_deliver,
)
from voxpersona.consumer.advisories import BackstopHandler, backstop_durable
from voxpersona.jetstream import (
    commands_stream_config,
    ensure_advisory_stream,
    ensure_backstop,
    ensure_bot_consumer,
    ensure_stream,
    results_stream_config,
)
from voxpersona.lifecycle import StartupError, run_service
from voxpersona.logging import get_logger
from voxpersona.observability.metrics import Metrics, PrometheusOperationRecorder
from voxpersona.recordings.queries import LibraryQueries
from voxpersona.settings import BotSettings, library_minio_settings, load_bot_settings
from voxpersona.storage import MinioObjectStore

log = get_logger(__name__)


@dataclass
class BotResources:
    bot: Bot
    nc: NatsClient
    js: JetStreamContext
    pool: asyncpg.Pool
    store: MinioObjectStore
    fallback: SpoolFallback


def build_bot(settings: BotSettings) -> Bot:
    """The aiogram Bot, talking to ``TELEGRAM_API_URL`` (public, local Bot API server or a test)."""
    api = api_server(settings.telegram)
    return Bot(settings.telegram.bot_token.get_secret_value(), session=AiohttpSession(api=api))


def check_local_files(settings: BotSettings) -> None:
    """With a --local Bot API server the bot reads files from its volume: say plainly at
    start-up when it cannot, instead of failing every recording later."""
    if not settings.telegram.local_api:
        return
    problem = local_dir_problem(settings.telegram)
    if problem is not None:
        raise StartupError(problem)


@contextlib.asynccontextmanager
async def open_resources(
    settings: BotSettings, *, metrics: Metrics | None = None
) -> AsyncIterator[BotResources]:
    metrics = metrics or Metrics()
    check_local_files(settings)
    async with contextlib.AsyncExitStack() as stack:
        recorder = PrometheusOperationRecorder(metrics)
        store, fallback = await open_bot_storage(settings, recorder=recorder)
        try:
            pool = await asyncpg.create_pool(
                settings.database.url.get_secret_value(),
                min_size=1,
                max_size=8,
                command_timeout=settings.vox.database_command_timeout_seconds,
            )
        except (OSError, asyncpg.PostgresError) as exc:
            raise StartupError(f"PostgreSQL unusable (DATABASE_URL): {type(exc).__name__}") from exc
        stack.push_async_callback(pool.close)
        try:
            nc = await nats.connect(
                settings.nats.url,
                name="voxpersona-bot",
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
            )
        except (OSError, nats.errors.Error) as exc:
            raise StartupError(f"NATS at {settings.nats.url} unreachable: {exc}") from exc
        stack.push_async_callback(nc.drain)
        js = nc.jetstream()
        names = settings.streams
        await ensure_stream(js, results_stream_config(names))
        await ensure_stream(js, commands_stream_config(names))  # the bot publishes commands
        await ensure_bot_consumer(
            js,
            names,
            max_deliver=server_max_deliver(bot_policy(settings)),
            ack_wait=settings.vox.delivery_ack_wait_seconds,
        )
        await ensure_advisory_stream(js, names)
        await ensure_backstop(js, names, stream=names.results_stream, durable=names.bot_durable)
        bot = build_bot(settings)
        stack.push_async_callback(bot.session.close)
        await stack.enter_async_context(
            bot_observability(settings, metrics, nc=nc, js=js, pool=pool)
        )
        yield BotResources(bot=bot, nc=nc, js=js, pool=pool, store=store, fallback=fallback)


def bot_policy(settings: BotSettings) -> RetryPolicy:
    vox = settings.vox
    return delivery_policy(vox.delivery_max_attempts, vox.delivery_retry_max_seconds)


def delivery_consumers(
    settings: BotSettings, res: BotResources, deliverer: Deliverer
) -> list[JetStreamConsumer]:
    """The results consumer and its backstop (results the server gave up on)."""
    names = settings.streams
    handler = DeliveryHandler(deliverer, res.js, names.dead_letter_subject)
    delivery = JetStreamConsumer(
        res.js,
        handler,
        ConsumerOptions(
            stream=names.results_stream,
            durable=names.bot_durable,
            policy=bot_policy(settings),
            concurrency=4,
            ack_wait=settings.vox.delivery_ack_wait_seconds,
            shutdown_grace=10.0,
            noun="result",
        ),
        logger=get_logger("bot.delivery"),
    )
    backstop = JetStreamConsumer(
        res.js,
        BackstopHandler(res.js, handler.store_dead_letter),
        ConsumerOptions(
            stream=names.advisory_stream,
            durable=backstop_durable(names.bot_durable),
            policy=bot_policy(settings),
            ack_wait=30.0,
        ),
    )
    return [delivery, backstop]


def build_context(
    settings: BotSettings,
    res: BotResources,
    *,
    deliverer: Deliverer,
    editor: ProgressEditor,
    uploads: Uploads,
) -> BotContext:
    """The handlers' dependencies over the opened resources."""
    return BotContext(
        settings=settings,
        users=Users(res.pool),
        invites=Invites(res.pool),
        usage=UsageLedger(res.pool, LibraryQueries(res.pool).transcribed_durations),
        uploads=uploads,
        library=Library(res.pool),
        store=res.store,
        library_store=MinioObjectStore(
            library_minio_settings(settings.minio), recorder=res.store.recorder
        ),
        editor=editor,
        deliverer=deliverer,
        reanalysis=Reanalysis(res.nc, res.js, settings.streams.commands_subject),
        signer=CallbackSigner(callback_secret(settings)),
        asking=build_ask_service(settings, res.pool),
    )


async def run_bot(
    settings: BotSettings, stop: asyncio.Event, *, metrics: Metrics | None = None
) -> None:
    """Long-poll Telegram and deliver results until ``stop`` is set."""
    metrics = metrics or Metrics()
    async with open_resources(settings, metrics=metrics) as res:
        await wait_for_schema(res.pool, timeout=settings.options.schema_wait_seconds)
        editor = ProgressEditor(res.bot)
        uploads = Uploads(res.pool)
        deliverer = MeteredDeliverer(
            res.bot,
            TranscriptReader(res.pool),
            max_messages=settings.vox.max_text_messages,
            metrics=metrics,
            uploads=uploads,
            editor=editor,
            journal=DeliveryJournal(res.pool),
            pacer=ChatPacer(
                private_interval=settings.vox.delivery_private_interval_seconds,
                group_interval=settings.vox.delivery_group_interval_seconds,
            ),
            chat_moves=ChatMoves(res.pool),
        )
        ctx = build_context(settings, res, deliverer=deliverer, editor=editor, uploads=uploads)
        dispatcher = build_dispatcher(ctx, res.fallback, metrics)
        names = settings.streams
        await editor.subscribe(res.nc, names.progress_subject, names.progress_queue)
        await publish_commands(res.bot)
        consumers = delivery_consumers(settings, res, deliverer)
        polling = asyncio.create_task(
            dispatcher.start_polling(res.bot, handle_signals=False, close_bot_session=False)
        )
        delivering = asyncio.create_task(keep_running("delivery", _run_all(consumers), stop))
        spooling = asyncio.create_task(
            keep_running("spool_uploader", res.fallback.uploader.run, stop)
        )
        stopper = asyncio.create_task(stop.wait())
        done, _ = await asyncio.wait(
            {polling, delivering, spooling, stopper}, return_when=asyncio.FIRST_COMPLETED
        )
        stop.set()
        with contextlib.suppress(RuntimeError):
            await dispatcher.stop_polling()
        await asyncio.gather(polling, delivering, spooling, stopper, return_exceptions=True)
        await editor.close()
        for task in done:
            if task is not stopper and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]


def _run_all(consumers: list[JetStreamConsumer]) -> Callable[[asyncio.Event], Awaitable[None]]:
    async def run(stop: asyncio.Event) -> None:
        async with asyncio.TaskGroup() as group:
            for consumer in consumers:
                group.create_task(consumer.run(stop))

    return run


RESTART_DELAY = 5.0


async def keep_running(
    name: str,
    run: Callable[[asyncio.Event], Awaitable[None]],
    stop: asyncio.Event,
    *,
    restart_delay: float = RESTART_DELAY,
) -> None:
    """Run ``run(stop)`` until ``stop`` is set, starting it again after any failure: one bad
    message or outage never stops the bot's delivery or its spool uploader."""
    while not stop.is_set():
        try:
            await run(stop)
        except Exception as exc:
            log.exception("bot.task_failed", task=name, exc_info=exc)
        if stop.is_set():
            return
        log.warning("bot.task_restarting", task=name, delay=restart_delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), restart_delay)


def secrets_of(settings: BotSettings) -> list[str]:
    values = [
        settings.telegram.bot_token.get_secret_value(),
        settings.minio.secret_key.get_secret_value(),
        settings.database.url.get_secret_value(),
    ]
    if settings.vox.status_token is not None:
        values.append(settings.vox.status_token.get_secret_value())
    if settings.minio.library_secret_key is not None:
        values.append(settings.minio.library_secret_key.get_secret_value())
    # /ask: the analysis LLM's key and an embeddings endpoint's key.
    for key in (settings.openai.api_key, settings.embedding.api_key):
        if key is not None:
            values.append(key.get_secret_value())
    return values


def main() -> None:
    """Entry point of ``voxpersona-bot``."""
    run_service("bot", load_bot_settings, run_bot, secrets_of)
