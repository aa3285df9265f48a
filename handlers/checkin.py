"""The opt-in check-in after a report: offer, ask when due, count the answers (issue 13).

Callback data (checked against the user's own pending check-in; nothing else is stored):
    ci:done                 "Jag har gjort anmälan" under the guide's summary
    ci:yes / ci:no          accept or decline being asked again
    ci:f:<a>                the answer to "feedback?" (ja / nej / vet)
    ci:m:<a>:<b>            both answers: feedback, then "meeting offered?"

The service is `bot.services.checkins`; the job that asks is `app.checkin_job`.
"""

from __future__ import annotations

import contextlib
import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.i18n import Translator
from bot.services import checkins
from handlers.common import BotContext, reply, user_action

DONE = "ci:done"
ANSWER = re.compile(r"^ci:(?:f:(ja|nej|vet)|m:(ja|nej|vet):(ja|nej|vet))$")


def done_keyboard(tr: Translator) -> InlineKeyboardMarkup:
    """The button under the guide's summary."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(tr._("✅ Jag har gjort anmälan"), callback_data=DONE)]]
    )


def _answers(tr: Translator, prefix: str) -> InlineKeyboardMarkup:
    labels = (
        (checkins.YES, tr._("Ja")),
        (checkins.NO, tr._("Nej")),
        (checkins.UNKNOWN, tr._("Vet inte")),
    )
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=f"{prefix}{key}") for key, label in labels]]
    )


def first_question(tr: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = tr._(
        "Du bad mig fråga efter en tid om anmälan du gjorde.\n\n"
        "<b>Har du fått återkoppling från socialtjänsten?</b>\n\n"
        "Svaren räknas bara som antal, utan vem. Skriv inget om barnet."
    )
    return text, _answers(tr, "ci:f:")


async def offer(update: Update, context: BotContext) -> None:
    """ "Jag har gjort anmälan": offer to ask again after the configured number of days."""
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        days = action.services.settings.checkin_days
        tr = action.tr
        await query.answer()
        keyboard = InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(tr._("Ja, fråga mig"), callback_data="ci:yes")],
                [InlineKeyboardButton(tr._("Nej tack"), callback_data="ci:no")],
            ]
        )
        text = tr._(
            "Tack för att du anmälde.\n\n"
            "Vill du att jag frågar dig om {days} dagar om du har fått återkoppling och om du "
            "erbjöds ett anmälningsmöte? Svaren blir anonyma siffror i stadens uppföljning.\n\n"
            "Till dess sparar jag bara att jag ska fråga dig och vilken dag – och skolans område "
            "och huvudman om du följer en skola. Inget om barnet eller anmälan."
        ).format(days=days)
        await reply(update, text, reply_markup=keyboard)


async def accept(update: Update, context: BotContext) -> None:
    query = update.callback_query
    assert query is not None and query.from_user is not None
    async with user_action(update, context) as action:
        await query.answer()
        await _strip(query)
        if query.data != "ci:yes":
            await reply(update, action.tr._("Okej, jag frågar inte. Tack för att du anmälde."))
            return
        days = action.services.settings.checkin_days
        due = await checkins.schedule(action.session, query.from_user.id, action.today, days)
        await reply(
            update,
            action.tr._(
                "Jag frågar dig {date}. Det syns i /mina_uppgifter, och /glom_mig tar bort det."
            ).format(date=action.tr.date(due)),
        )


async def answered(update: Update, context: BotContext) -> None:
    """The first answer asks the second; the second counts both and deletes the check-in."""
    query = update.callback_query
    assert query is not None and query.from_user is not None
    found = ANSWER.match(query.data or "")
    async with user_action(update, context) as action:
        tr = action.tr
        if found is None:
            await query.answer(tr._("Den frågan gäller inte längre."), show_alert=True)
            return
        await query.answer()
        if found.group(1) is not None:
            text = tr._("<b>Erbjöds du ett anmälningsmöte?</b>")
            keyboard = _answers(tr, f"ci:m:{found.group(1)}:")
            await _edit(query, text, keyboard)
            return
        await _strip(query)
        ok = await checkins.answer(
            action.session, query.from_user.id, found.group(2), found.group(3), action.today
        )
        text = (
            tr._("Tack! Svaren räknas bara som antal, utan vem. Jag frågar inte igen.")
            if ok
            else tr._("Den frågan gäller inte längre.")
        )
        await reply(update, text)


async def _strip(query: Any) -> None:
    with contextlib.suppress(BadRequest):
        await query.edit_message_reply_markup(reply_markup=None)


async def _edit(query: Any, text: str, keyboard: InlineKeyboardMarkup) -> None:
    try:
        await query.edit_message_text(text, reply_markup=keyboard)
    except BadRequest:
        await query.message.reply_text(text, reply_markup=keyboard)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CallbackQueryHandler(offer, pattern=r"^ci:done$"),
        CallbackQueryHandler(accept, pattern=r"^ci:(yes|no)$"),
        CallbackQueryHandler(answered, pattern=r"^ci:(f|m):"),
    ]
