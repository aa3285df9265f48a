"""The composition root: `build_application` wires every handler, job and service in one place.

Production, the terminal chat and the tests all call it; only the `BaseRequest` differs.
"""

from __future__ import annotations

import logging
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    ContextTypes,
    Defaults,
    ExtBot,
    JobQueue,
)
from telegram.request import BaseRequest

import handlers.privacy as privacy_rights
import handlers.stats as stats
from app.checkin_job import CHECKIN_INTERVAL_SECONDS, send_checkins
from app.delivery import DELIVERY_INTERVAL_SECONDS, OutboxWorker, deliver_outbox
from app.jobs import (
    HANDOVER_DAY_INTERVAL_SECONDS,
    purge_expired,
    remind_agreements,
    remind_handover_day,
    remind_stale,
)
from app.leadership import LeaderJobQueue, leadership_of, on_every_instance
from app.persistence import DerivedConversationPersistence
from app.startup import start_database, start_telegram
from bot.config import Settings
from bot.i18n import N_, translator
from bot.runtime import Services
from bot.services import grants
from bot.services.usage import FLUSH_SECONDS
from handlers import (
    absence,
    admin,
    chat_rules,
    contacts,
    export,
    follows,
    guide,
    handover,
    inline,
    location,
    menus,
    planned,
    poster,
    privacy_guard,
    questions,
    sharing,
    start,
    stored_conversation,
)
from handlers.common import BotContext, BotData, on_error

log = logging.getLogger(__name__)

OFFLINE_TOKEN = "123456:OFFLINE-TERMINAL-CHAT"  # the emulated Bot API accepts any token


class KontaktlotsenApplication(
    Application[
        ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, JobQueue[BotContext]
    ]
):
    """Starts the services (migrations, seed, index) whenever the application initialises.

    PTB runs `post_init` only from `run_polling`/`run_webhook`; tests and the terminal chat use
    `async with application`, so the start-up work belongs in `initialize` to serve all three.
    """

    _services_started = False
    # Read the user's conversation states before every update: set when several replicas
    # take updates (webhook mode on PostgreSQL), see handlers.stored_conversation.
    per_update_states = False

    async def initialize(self) -> None:
        services = self.bot_data.services
        if not self._services_started:
            try:
                await start_database(services.settings, services.start)
            except BaseException:
                await services.stop()  # close what the failed attempts opened
                raise
            self._services_started = True
        await start_telegram(services.settings, super().initialize)
        await stored_conversation.reload_states(self)  # wizards' answers too
        await set_command_menus(self)
        await set_profile(self)

    async def shutdown(self) -> None:
        await super().shutdown()
        if self._services_started:
            await self.bot_data.services.stop()
            self._services_started = False


async def set_command_menus(application: KontaktlotsenApplication) -> None:
    """The staff menu for everyone (per language); the admin menu in each admin's chat."""
    await menus.set_default_menus(application.bot)
    services = application.bot_data.services
    async with services.database.transaction() as session:
        admins, former = await grants.admin_user_ids(session)
    await menus.sync_admin_menus(
        application.bot, admins | set(services.settings.city_admin_ids), former
    )


# The bot's profile: the description shows in an empty chat before "Start", the short one on
# its profile page and in shared links. Telegram's limits: 512 and 120 characters.
DESCRIPTION = N_(
    "För dig som arbetar i skolan i Stockholm och är orolig för ett barn. Skriv skolans namn, "
    "så får du kontaktpersonen i socialtjänsten, mottagningen för orosanmälan och vart du "
    "vänder dig vid akut fara. Jag frågar aldrig efter barnets namn.\n\n"
    "Akut fara för ett barn: ring 112."
)
SHORT_DESCRIPTION = N_(
    "Vem i socialtjänsten ska skolan kontakta? För skolpersonal i Stockholm. Akut fara: ring 112."
)


async def set_profile(application: KontaktlotsenApplication) -> None:
    """Description and short description in Swedish (also the default) and English."""
    for language in (None, "sv", "en"):
        tr = translator(language or "sv")
        await application.bot.set_my_description(tr._(DESCRIPTION), language_code=language)
        await application.bot.set_my_short_description(
            tr._(SHORT_DESCRIPTION), language_code=language
        )


@on_every_instance  # each instance has its own index
async def refresh_directory(context: BotContext) -> None:
    """Rebuild the lookup index and the contact cards when another process changed them."""
    await context.services.refresh()


@on_every_instance  # each instance buffers its own counts
async def flush_usage(context: BotContext) -> None:
    """Write the lookups counted in memory (every instance its own: not a leader's job)."""
    await context.services.flush_usage()


def build_application(
    settings: Settings,
    request: BaseRequest | None = None,
    *,
    services: Services | None = None,
    rate_limit: bool = True,
) -> KontaktlotsenApplication:
    """Build the bot. `request` replaces the HTTP transport (terminal chat, tests)."""
    services = services or Services.create(settings)
    builder = _builder(settings, services, request, rate_limit=rate_limit)
    application: KontaktlotsenApplication = builder.build()
    application.bot_data.services = services
    register_handlers(application)
    schedule_jobs(application, services)
    return application


def _builder(
    settings: Settings, services: Services, request: BaseRequest | None, *, rate_limit: bool
) -> Any:
    """PTB's builder with our types, token, API address, defaults, transport and persistence."""
    context_types = ContextTypes(context=BotContext, bot_data=BotData)
    token = settings.telegram_bot_token
    # PTB's builder changes its generic types with each call; typing the chain adds nothing here.
    builder: Any = (
        ApplicationBuilder()
        .application_class(KontaktlotsenApplication)
        .context_types(context_types)
        # Scheduled jobs run on the instance that leads (app.leadership).
        .job_queue(LeaderJobQueue())
        .token(token.get_secret_value() if token and settings.has_token else OFFLINE_TOKEN)
        .base_url(settings.telegram_api_base_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
                tzinfo=ZoneInfo(settings.timezone),
            )
        )
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    if rate_limit:
        builder = builder.rate_limiter(AIORateLimiter())
    # Conversation states come back after a restart, derived from each feature's own table
    # (and are read again before every update: handlers.stored_conversation).
    wizards = (handover.KEY, absence.KEY, planned.KEY)
    return builder.persistence(
        DerivedConversationPersistence(
            services.database,
            {
                questions.CONVERSATION_NAME: lambda session: questions.stored_conversations(
                    session, services.guide
                ),
                **{name: stored_conversation.WizardStore(name).restore for name in wizards},
            },
        )
    )


def register_handlers(application: KontaktlotsenApplication) -> None:
    """Every handler of the bot, in the order PTB tries them."""
    # Order matters: a feature's handlers before the free-text lookup, fallbacks last.
    handler_groups = [
        start.build_handlers(),  # /start, /hjalp, /sprak and its buttons
        handover.build_handlers(),  # /overlamning wizard (its text steps before the lookup)
        absence.build_handlers(),  # /franvaro wizard (its text steps before the lookup)
        planned.build_handlers(),  # /planerat: correct or withdraw a planned handover
        export.build_handlers(),  # /exportera: the directory as a file for Excel
        admin.build_handlers(),  # /bekrafta, /behorighet, /kod, /historik, /leveranser
        follows.build_handlers(),  # /folj, /sluta_folja, /foljer and their buttons
        # /anmalan, "the child lives elsewhere" (the question asked last gets the text), then
        # situation words ("akut", "vågar inte gå hem"): all before the lookup
        guide.build_handlers(),
        privacy_rights.build_handlers(),  # /mina_uppgifter, /glom_mig and its confirm button
        stats.build_handlers(),  # /statistik, /samverkansavtal
        sharing.build_handlers(),  # "Spara kontakt" on cards: the numbers as Telegram contacts
        inline.build_handlers(),  # @bot <skola> in any chat: the card as an inline result
        poster.build_handlers(),  # /affisch: a school's A4 poster with its QR code (admins)
        location.build_handlers(),  # a map pin or a postcode: the child's area and intake unit
        contacts.build_handlers(),  # lookup, /kontakt, /omraden, the child's home area buttons
        start.build_fallback_handlers(),  # unknown commands, stale buttons, non-text messages
    ]
    # Groups -2 and -1 run before every other handler: a personnummer never reaches them
    # (-2, every kind of update), and only private chats do (-1: groups are left, edits ignored).
    # Group -3 first reads the user's conversation states from the database: another replica,
    # or this one before a restart, may have handled the previous step.
    application.add_handler(stored_conversation.build_handler(), group=-3)
    application.add_handler(privacy_guard.build_handler(), group=-2)
    application.add_handler(chat_rules.build_handler(), group=-1)
    for handlers in handler_groups:
        application.add_handlers(handlers)
    application.add_error_handler(on_error)


def schedule_jobs(application: KontaktlotsenApplication, services: Services) -> None:
    """The JobQueue: directory refresh, outbox delivery, reminders and housekeeping."""
    settings = services.settings
    zone = ZoneInfo(settings.timezone)
    assert application.job_queue is not None
    jobs = application.job_queue
    jobs.run_repeating(
        refresh_directory,
        interval=settings.directory_refresh_seconds,
        first=settings.directory_refresh_seconds,
        name="refresh_directory",
    )
    jobs.run_repeating(
        flush_usage, interval=FLUSH_SECONDS, first=FLUSH_SECONDS, name="flush_usage"
    )
    # The outbox: delivered every few seconds, and once at start-up (rows left by a crash).
    # The start-up runs are due before the scheduler starts; they must not count as "missed".
    worker = OutboxWorker(
        services.database,
        settings.default_language,
        timezone=settings.timezone,
        clock=services.clock,
        leadership=leadership_of(application),
    )
    at_start_up = {"misfire_grace_time": None}
    for callback, interval, data in (
        (deliver_outbox, DELIVERY_INTERVAL_SECONDS, worker),
        (remind_handover_day, HANDOVER_DAY_INTERVAL_SECONDS, None),
    ):
        name = callback.__name__
        jobs.run_once(
            callback, when=0, name=f"{name}_at_start_up", data=data, job_kwargs=at_start_up
        )
        jobs.run_repeating(callback, interval=interval, first=interval, name=name, data=data)
    # Mondays (PTB counts days from 0 = Sunday): stale entries, then cooperation agreements.
    jobs.run_daily(remind_stale, time=time(8, 0, tzinfo=zone), days=(1,), name="remind_stale")
    jobs.run_daily(
        remind_agreements, time=time(8, 30, tzinfo=zone), days=(1,), name="remind_agreements"
    )
    jobs.run_repeating(send_checkins, interval=CHECKIN_INTERVAL_SECONDS, first=60, name="checkins")
    # At night: retention (docs/integritet.md).
    jobs.run_daily(purge_expired, time=time(3, 30, tzinfo=zone), name="purge_expired")
