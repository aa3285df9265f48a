"""JobQueue jobs that queue reminders in the outbox (the delivery job sends them).

* `remind_handover_day`: on the day a future-dated handover takes effect, from the start of
  office hours, its followers are reminded. It runs every quarter of an hour and at start-up;
  dedupe keys make a second run queue nothing.
* `remind_stale`: weekly, each area admin gets the entries of their areas that nobody has
  confirmed for `stale_after_days`; one message per admin and ISO week.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.runtime import Services
from bot.services.entries import enqueue_stale_reminders
from bot.services.handovers import enqueue_day_reminders

if TYPE_CHECKING:
    from handlers.common import BotContext

log = logging.getLogger(__name__)

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


async def remind_handover_day(context: BotContext) -> None:
    """JobQueue callback: queue the on-the-day reminders of future-dated handovers."""
    queued = await queue_handover_day_reminders(context.services)
    if queued:
        log.info("Queued %d handover-day reminders", queued)


async def remind_stale(context: BotContext) -> None:
    """JobQueue callback: queue the weekly stale-entries reminders for area admins."""
    queued = await queue_stale_reminders(context.services)
    if queued:
        log.info("Queued %d stale-entry reminders", queued)
