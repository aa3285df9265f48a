"""Free text about a situation ("akut", "vågar inte gå hem", "socialjouren", "hjälp"…).

Registered just before the contact lookup: such text would otherwise be read as a place name
("Menade du … Orhem?"). It leads to the guide (whose first step is the acute question) or to the
socialjour's number. The text is matched in memory by `bot.services.situations` and is never
stored, logged or echoed.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.services.situations import situation_answer
from handlers.cards import emergency_line
from handlers.common import BotContext, reply, user_action
from handlers.guide_begin import begin
from handlers.guide_render import socialjour_block


class _SituationText(filters.MessageFilter):
    """Text (not a command) that names a situation rather than a place."""

    def filter(self, message: Message) -> bool:
        return bool(message.text) and situation_answer(message.text or "") is not None


SITUATION_TEXT = _SituationText(name="SituationText")


async def situation_text(update: Update, context: BotContext) -> None:
    """Open the guide at the acute question, or show the socialjour and 112."""
    assert update.message is not None
    if situation_answer(update.message.text or "") == "guide":
        await begin(update, context)
        return
    async with user_action(update, context) as action:
        services = action.services
        view = await services.cards.socialjour(action.session, action.today)
        lines = [
            emergency_line(services.cards.emergency_number, action.tr),
            socialjour_block(view, action.tr),
            action.tr._(
                "Under kontorstid tar mottagningen i det område där barnet är folkbokfört emot "
                "orosanmälan. /anmalan visar steg för steg hur du gör."
            ),
        ]
        await reply(update, "\n\n".join(lines))


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [MessageHandler(filters.TEXT & ~filters.COMMAND & SITUATION_TEXT, situation_text)]
