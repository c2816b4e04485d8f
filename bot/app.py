"""The application factory, shared by production, the playground and the tests:
settings, clock and Telegram session go in; a wired bot and dispatcher come out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, DefaultKeyBuilder
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.utils.callback_answer import CallbackAnswerMiddleware
from aiogram.utils.chat_action import ChatActionMiddleware
from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot import jobs
from bot.clock import Clock, SystemClock
from bot.commands import set_default_commands
from bot.flow import Budget, FlowController, FlowLaneMiddleware, LocalBudget, RedisBudget
from bot.memory import settle
from bot.middlewares import (
    AnswerScopeMiddleware,
    AnswerTracker,
    LoadStateMiddleware,
    StateContextMiddleware,
    ThrottlingMiddleware,
    UnitOfWorkMiddleware,
    UserMiddleware,
)
from bot.offload import Offloader
from bot.pins import pin_response_models
from bot.presentation.pdf import PdfConverter, find_office
from bot.presentation.rendering import Renderer, compiled_templates
from bot.presentation.word import Documents
from bot.sender import Sender
from bot.services import clauses, users
from bot.services.anonymity import SurveyKeys
from bot.settings import TELEGRAM_API_URL, Settings
from handlers import get_routers
from storage import migrate
from storage.db import Database, optimize
from storage.fsm import SQLModelStorage
from storage.uow import UnitOfWork, current_uow

log = logging.getLogger(__name__)


@dataclass
class App:
    settings: Settings
    clock: Clock
    db: Database
    bot: Bot
    dispatcher: Dispatcher
    renderer: Renderer
    sender: Sender
    flow: FlowController
    survey_keys: SurveyKeys
    scheduler: AsyncIOScheduler
    offload: Offloader
    documents: Documents
    pdf: PdfConverter

    async def migrate(self) -> None:
        await migrate.upgrade(self.db.engine)

    async def ensure_schema(self) -> None:
        """Apply migrations on the embedded default; elsewhere insist they were applied."""
        if self.db.is_sqlite:
            if not await migrate.is_current(self.db.engine):
                await self.migrate()
            await optimize(self.db.engine)
            return
        if not await migrate.is_current(self.db.engine):
            raise SystemExit("The database schema is not current: run `xieshang db upgrade`.")

    async def close(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        self.offload.close()
        await self.dispatcher.storage.close()
        await self.dispatcher.fsm.events_isolation.close()
        await self.bot.session.close()
        await self.db.dispose()


def _session(settings: Settings) -> BaseSession:
    if settings.bot_api_url == TELEGRAM_API_URL:
        return AiohttpSession()
    return AiohttpSession(api=TelegramAPIServer.from_base(settings.bot_api_url))


def _fsm(settings: Settings, db: Database, clock: Clock) -> tuple[BaseStorage, BaseEventIsolation]:
    keys = DefaultKeyBuilder(with_bot_id=True, with_destiny=True)
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        storage = RedisStorage.from_url(settings.redis_url, key_builder=keys)
        return storage, RedisEventIsolation(storage.redis, key_builder=keys)
    return SQLModelStorage(db.sessions, clock.now, keys), SimpleEventIsolation()


def _budget(settings: Settings, storage: BaseStorage, bot_id: int) -> Budget:
    """With Redis, every process of this bot shares one budget; otherwise it is this one's."""
    rate, paid = settings.sender_global_rate, settings.sender_paid_rate
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisStorage

        assert isinstance(storage, RedisStorage)
        return RedisBudget(storage.redis, bot_id, rate, paid)
    return LocalBudget(rate, paid)


def create_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    session: BaseSession | None = None,
    token: str | None = None,
) -> App:
    clock = clock or SystemClock()
    token = token or (settings.bot_token.get_secret_value() if settings.bot_token else None)
    if not token:
        raise ValueError("a bot token is needed to build the bot")
    pin_response_models()
    db = Database(settings.database_url)
    renderer = Renderer(
        settings.zone,
        settings.default_locale,
        template_cache=compiled_templates(settings.template_cache, settings.template_cache_dir),
    )
    bot = Bot(
        token,
        session=session or _session(settings),
        default=DefaultBotProperties(parse_mode=ParseMode.HTML, link_preview_is_disabled=True),
    )

    async def on_blocked(chat_id: int) -> None:
        uow = current_uow()
        if uow is not None:
            await users.mark_blocked(uow, chat_id, clock.now())
            return
        async with UnitOfWork(db.sessions) as own:
            await users.mark_blocked(own, chat_id, clock.now())
            await own.commit()

    sender = Sender(
        bot,
        max_attempts=settings.sender_max_attempts,
        on_blocked=on_blocked,
        paid_broadcast=settings.sender_paid_broadcast,
    )
    storage, isolation = _fsm(settings, db, clock)
    flow = FlowController(
        _budget(settings, storage, bot.id),
        chat_rate=settings.sender_chat_rate,
        chat_burst=settings.sender_chat_burst,
        group_per_minute=settings.sender_group_per_minute,
        bulk_share=settings.sender_bulk_share,
        bulk_max_wait=settings.sender_bulk_max_wait_seconds,
        give_up=settings.sender_give_up_seconds,
    )
    bot.session.middleware(flow)
    offload = Offloader(settings.render_workers)
    documents = Documents(offload, settings.documents_dir)
    for problem in clauses.check(settings.clauses_dir) if settings.clauses_dir else ():
        log.error("clause library (CLAUSES_DIR): %s — see `xieshang clauses check`", problem)
    pdf = PdfConverter(find_office(settings.libreoffice), settings.render_workers)
    secret = settings.survey_key.get_secret_value() if settings.survey_key else None
    survey_keys = SurveyKeys.load(secret, settings.survey_key_file)
    dispatcher = Dispatcher(
        storage=storage,
        events_isolation=isolation,
        disable_fsm=True,  # StateContextMiddleware below takes its place
        settings=settings,
        clock=clock,
        renderer=renderer,
        sender=sender,
        db=db,
        offload=offload,
        documents=documents,
        pdf=pdf,
        survey_keys=survey_keys,
    )
    dispatcher.update.outer_middleware(FlowLaneMiddleware())
    dispatcher.fsm = StateContextMiddleware(storage, isolation)
    dispatcher.update.outer_middleware(dispatcher.fsm)
    dispatcher.update.outer_middleware(AnswerScopeMiddleware())
    bot.session.middleware(AnswerTracker())
    dispatcher.update.outer_middleware(
        ThrottlingMiddleware(settings.throttle_rate, settings.throttle_burst, renderer)
    )
    dispatcher.update.outer_middleware(
        UnitOfWorkMiddleware(db.sessions, clock, settings.db_concurrency)
    )
    dispatcher.update.outer_middleware(LoadStateMiddleware())
    dispatcher.update.outer_middleware(UserMiddleware(renderer, settings.public_url))
    # Every button press is answered before its handler runs (a handler with its own toast
    # opts out: handlers/filters.OWN_ANSWER); a handler flagged with a chat action shows
    # "sending a file…" while it renders.
    dispatcher.callback_query.middleware(CallbackAnswerMiddleware(pre=True))
    dispatcher.callback_query.middleware(ChatActionMiddleware())
    dispatcher.message.middleware(ChatActionMiddleware())
    dispatcher.include_routers(*get_routers())

    scheduler = AsyncIOScheduler(timezone="UTC")
    app = App(
        settings,
        clock,
        db,
        bot,
        dispatcher,
        renderer,
        sender,
        flow,
        survey_keys,
        scheduler,
        offload,
        documents,
        pdf,
    )

    scheduler.add_job(
        jobs.housekeeping_tick,
        "interval",
        args=[app],
        minutes=settings.housekeeping_minutes,
        id="housekeeping",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        jobs.reminder_tick,
        "interval",
        args=[app],
        seconds=settings.reminder_tick_seconds,
        id="reminders",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),  # reminders missed while down go out at start
    )
    scheduler.add_job(
        jobs.duty_tick,
        "interval",
        args=[app],
        minutes=settings.duty_tick_minutes,
        id="duties",
        coalesce=True,
        max_instances=1,
        next_run_time=datetime.now(UTC),
    )
    scheduler.add_job(
        jobs.broadcast_run,
        "interval",
        args=[app],
        seconds=settings.broadcast_tick_seconds,
        id="broadcasts",
        coalesce=True,
        max_instances=1,
    )
    scheduler.add_job(
        jobs.escalation_tick,
        "interval",
        args=[app],
        minutes=1,
        id="escalation",
        coalesce=True,
        max_instances=1,
    )

    async def on_startup() -> None:
        await set_default_commands(bot, renderer)
        settle()  # the start-up's objects frozen, its peak handed back (bot/memory.py)
        if not scheduler.running:
            scheduler.start()

    async def on_shutdown() -> None:
        if scheduler.running:
            scheduler.shutdown(wait=False)

    dispatcher.startup.register(on_startup)
    dispatcher.shutdown.register(on_shutdown)
    return app
