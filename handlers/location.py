"""The child's home as a map pin or a postcode: the stadsdel, the area and its intake unit.

A Telegram location (the user searched the address in Telegram's location picker, or dropped
the pin by hand) is placed in the city's stadsdel polygons; a message that is a postcode
("163 72", "barnet bor i 16372") goes through the national postcode list. Both answer like the
"Barnet bor i ett annat område" question, which also takes them (`home_question_handlers`).

Privacy: the coordinates and the postcode are used for this one answer and forgotten. They are
not stored (no table, no conversation state), not logged, and not repeated in the reply.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.ext import BaseHandler, MessageHandler, filters

from bot.services.home import find_postcode
from handlers.common import Action, BotContext, reply, user_action
from handlers.lookup_replies import choice_rows, home_reply
from handlers.questions import AWAIT_HOME, guide_state

Handler = BaseHandler[Update, BotContext, Any]


class _Postcode(filters.MessageFilter):
    """A text message that is a postcode, perhaps with a few words around it."""

    def filter(self, message: Message) -> bool:
        return find_postcode(message.text or "") is not None


POSTCODE = filters.TEXT & ~filters.COMMAND & _Postcode()
# A pin as sent, not the edits a live location streams afterwards.
PIN = filters.LOCATION & filters.UpdateType.MESSAGE


async def answer_home(update: Update, action: Action) -> bool:
    """Answer a pin or a postcode with the intake unit; return whether that settled it."""
    message = update.message
    assert message is not None
    index = action.services.index
    assert index.home is not None  # Services.create always gives the index its HomeFinder
    if message.location is not None:
        home = index.home.by_location(message.location.latitude, message.location.longitude)
    else:
        found = index.home.by_postcode(message.text or "")
        assert found is not None  # the POSTCODE filter let only postcodes through
        home = found
    answer = await index.home_answer(action.session, home, action.today)
    found_reply = home_reply(answer, action.tr)
    rows = choice_rows(
        found_reply.choices,
        action.services.geography,
        action.tr,
        lambda entry: f"home:a:{entry.area_id}" if entry.area_id else None,
    )
    await reply(
        update, found_reply.text, reply_markup=InlineKeyboardMarkup(rows) if rows else None
    )
    return found_reply.settled


async def home_message(update: Update, context: BotContext) -> None:
    """A pin or a postcode sent without a question pending."""
    async with user_action(update, context) as action:
        await answer_home(update, action)


async def home_question_answer(update: Update, context: BotContext) -> int:
    """A pin or a postcode as the answer to "where is the child registered?"."""
    assert update.effective_user is not None
    async with user_action(update, context) as action:
        if not await answer_home(update, action):
            return AWAIT_HOME
        return await guide_state(action.session, action.services.guide, update.effective_user.id)


def home_question_handlers() -> list[Handler]:
    """For the AWAIT_HOME state of the one conversation (`handlers.questions`)."""
    return [MessageHandler(PIN | POSTCODE, home_question_answer)]


def build_handlers() -> list[Handler]:
    """Pins anywhere, and postcodes typed as a lookup (before the free-text lookup)."""
    return [MessageHandler(PIN | POSTCODE, home_message)]
