"""JobQueue: ask the users whose check-in is due (`bot.services.checkins`), and forget old ones.

The outbox sends plain text; a check-in needs answer buttons, so it is sent here directly. A
user who has blocked the bot loses the check-in; any other failure leaves it for the next run.
"""

from __future__ import annotations

import logging

from telegram import Bot
from telegram.error import Forbidden, TelegramError

from bot.i18n import pick_language, translator
from bot.runtime import Services
from bot.services import checkins
from bot.services.users import stored_language
from handlers.checkin import first_question
from handlers.common import BotContext

log = logging.getLogger(__name__)

CHECKIN_INTERVAL_SECONDS = 30 * 60


async def send_due_checkins(services: Services, bot: Bot) -> int:
    """Send the first question of every due check-in; how many were sent."""
    if services.now().time() < services.settings.office_hours_start:
        return 0  # not at night
    settings, today = services.settings, services.today()
    async with services.database.transaction() as session:
        await checkins.purge_expired(session, today, settings.checkin_expire_days)
        due = await checkins.claim_due(session, today)
        languages = {uid: await stored_language(session, uid) for uid in due}
    sent = 0
    for user_id in due:
        tr = translator(pick_language(languages[user_id], None, settings.default_language))
        text, keyboard = first_question(tr)
        try:
            await bot.send_message(user_id, text, reply_markup=keyboard)
            sent += 1
        except Forbidden:
            async with services.database.transaction() as session:
                await checkins.cancel(session, user_id)
        except TelegramError:
            log.warning("A check-in could not be sent; it is tried again later", exc_info=True)
            async with services.database.transaction() as session:
                await checkins.unclaim(session, user_id)
    return sent


async def send_checkins(context: BotContext) -> None:
    """JobQueue callback."""
    sent = await send_due_checkins(context.services, context.bot)
    if sent:
        log.info("Sent %d check-ins", sent)
