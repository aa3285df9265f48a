"""The scheduled jobs (JobQueue callbacks), in one place.

Reminders queued in the outbox (the delivery job in `app.delivery` sends them):

* `remind_handover_day`: on the day a future-dated handover takes effect, from the start of
  office hours, its followers are reminded. It runs every quarter of an hour and at start-up;
  dedupe keys make a second run queue nothing.
* `remind_stale`: weekly, each area admin gets the entries of their areas that nobody has
  confirmed for `stale_after_days`; one message per admin and ISO week.

The follow-up model and data protection:

* `remind_agreements` (weekly): the admins of each area whose cooperation agreement is older than
  12 months, or was never recorded, are reminded; an area without admins reminds the city admins.
  Sent directly rather than through the outbox: a handful of messages a week to admins, with no
  cause in a user's transaction to tie them to. Each message sent counts as an
  `agreement_reminder_sent` event for every area it names.
* `purge_expired` (daily): finished notifications, guides abandoned for GUIDE_IDLE_HOURS (their
  path says which answers a user gave), admin wizards abandoned for a day (`wizard_sessions`)
  and, when configured, old audit entries are deleted, see `bot.services.retention`.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from html import escape
from typing import TYPE_CHECKING

from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import TelegramError

from app.leadership import on_takeover
from bot.i18n import Translator, pick_language, translator
from bot.models import UsageEvent
from bot.runtime import Services
from bot.services import agreements, retention, usage, users
from bot.services.agreements import AgreementStatus
from bot.services.entries import enqueue_stale_reminders
from bot.services.grants import admins_of_areas
from bot.services.handovers import enqueue_day_reminders

if TYPE_CHECKING:
    from handlers.common import BotContext

log = logging.getLogger(__name__)


def reminder_text(statuses: list[AgreementStatus], tr: Translator) -> str:
    """The weekly reminder to an area's admins."""
    lines = [tr._("⏰ <b>Dags att revidera samverkansöverenskommelsen</b>")]
    for status in statuses:
        area = escape(status.area_name)
        if status.revised_on is None:
            lines.append(tr._("• {area}: inget datum registrerat").format(area=area))
        else:
            when = tr.date(status.revised_on)
            lines.append(tr._("• {area}: senast reviderad {date}").format(area=area, date=when))
    lines.append("")
    lines.append(
        tr._(
            "Överenskommelsen ska revideras regelbundet, minst var tolfte månad. När den är "
            "reviderad: /samverkansavtal &lt;område&gt; &lt;datum&gt;"
        )
    )
    return "\n".join(lines)


async def send_agreement_reminders(services: Services, bot: Bot) -> int:
    """Remind the admins of overdue areas; returns how many messages were sent."""
    today: date = services.today()
    async with services.database.transaction() as session:
        overdue = [s for s in await agreements.statuses(session, today) if s.overdue]
        recipients = agreements.reminders(
            overdue, await admins_of_areas(session), services.settings.city_admin_ids
        )
        languages = await users.languages_of(session, recipients)
    sent = 0
    for chat_id, statuses in recipients.items():
        language = pick_language(languages.get(chat_id), None, services.settings.default_language)
        try:
            await bot.send_message(
                chat_id, reminder_text(statuses, translator(language)), parse_mode=ParseMode.HTML
            )
        except TelegramError as error:
            # Only the kind of error: the log carries no chat id.
            log.warning("An agreement reminder was not delivered: %s", type(error).__name__)
            continue
        sent += 1
        async with services.database.transaction() as session:
            for status in statuses:
                await usage.count(
                    session, today, UsageEvent.AGREEMENT_REMINDER_SENT, status.area_id
                )
    return sent


async def remind_agreements(context: BotContext) -> None:
    """JobQueue callback: the weekly cooperation-agreement reminders."""
    sent = await send_agreement_reminders(context.services, context.bot)
    if sent:
        log.info("Sent %d cooperation-agreement reminders", sent)


async def purge_expired(context: BotContext) -> None:
    """JobQueue callback: delete finished notifications, abandoned guides, old audit entries."""
    settings = context.services.settings
    async with context.services.database.transaction() as session:
        purged = await retention.purge(
            session,
            context.services.clock.now(),
            outbox_days=settings.outbox_retention_days,
            audit_days=settings.audit_retention_days,
            guide_idle_hours=settings.guide_idle_hours,
        )
    if purged.notifications or purged.audit_events or purged.guide_sessions:
        log.info(
            "Deleted %d finished notifications, %d audit entries and %d abandoned guides",
            purged.notifications,
            purged.audit_events,
            purged.guide_sessions,
        )
    if purged.wizard_sessions:
        log.info("Deleted %d abandoned wizards", purged.wizard_sessions)


HANDOVER_DAY_INTERVAL_SECONDS = 15 * 60


async def queue_handover_day_reminders(services: Services) -> int:
    if services.now().time() < services.settings.office_hours_start:
        return 0  # nobody wants a message about work at midnight
    async with services.database.transaction() as session:
        return await enqueue_day_reminders(session, services.today())


async def queue_stale_reminders(services: Services) -> int:
    stale_after = timedelta(days=services.settings.stale_after_days)
    async with services.database.transaction() as session:
        return await enqueue_stale_reminders(
            session, services.today(), stale_after, timezone=services.settings.timezone
        )


@on_takeover  # as at a start-up; the dedupe keys make a second run queue nothing
async def remind_handover_day(context: BotContext) -> None:
    """JobQueue callback: on its day, announce a handover recorded in advance."""
    queued = await queue_handover_day_reminders(context.services)
    if queued:
        log.info("Queued %d notices of handovers taking effect today", queued)


async def remind_stale(context: BotContext) -> None:
    """JobQueue callback: queue the weekly stale-entries reminders for area admins."""
    queued = await queue_stale_reminders(context.services)
    if queued:
        log.info("Queued %d stale-entry reminders", queued)
