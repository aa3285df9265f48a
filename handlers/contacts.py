"""Contact lookup: free text, /kontakt, choice buttons, /omraden, "the child lives elsewhere".

Callback data (at most 64 bytes, checked against the directory on every press, so a forged or
stale button gets a polite answer and nothing else):
  pick:s:<school id>   a school from a list        pick:a:<area id>   an area (or a stadsdel's)
  home:ask             ask where the child lives    home:a:<area id>   that area's intake unit

The question that `home:ask` opens waits for typed text, as the guide's contact steps do; both
are states of the one conversation in `handlers.guide` (see `handlers.questions`), so the
question asked last gets the text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import Translator
from bot.services.contacts import ContactCard
from bot.services.lookup import EntryKind, IndexEntry, Match, Outcome, is_too_long
from bot.services.parsing import parse_row_id
from handlers.cards import render_card, render_intake
from handlers.common import Action, BotContext, reply, user_action
from handlers.home_replies import pin_hint
from handlers.location import home_question_handlers
from handlers.lookup_replies import choice_rows, home_reply, lookup_reply
from handlers.questions import AWAIT_HOME, END, guide_state
from handlers.sharing import BotLinks, bot_links, card_save_button, save_button, share_button

PICK = re.compile(r"^pick:(s|a):([a-z0-9-]{1,40})$")
HOME = re.compile(r"^home:a:([a-z0-9-]{1,40})$")
HOME_ASK = "home:ask"

Handler = BaseHandler[Update, BotContext, Any]


def card_keyboard(
    card: ContactCard, tr: Translator, links: BotLinks | None = None
) -> InlineKeyboardMarkup:
    """The card's buttons: the child's home area, follow, save the numbers, share."""
    # Following is how a school hears of a new contact person (the motion's demand).
    follow = f"fo:s:{card.school.id}" if card.school else f"fo:a:{card.area.id}"
    label = tr._("Följ skolan") if card.school else tr._("Följ området")
    keep = [card_save_button(card, tr)]
    share = share_button(card, links, tr)
    if share is not None:
        keep.append(share)
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(tr._("Barnet bor i ett annat område"), callback_data=HOME_ASK)],
            [InlineKeyboardButton(label, callback_data=follow)],
            keep,
        ]
    )


def pick_data(entry: IndexEntry) -> str | None:
    if entry.kind is EntryKind.SCHOOL:
        return f"pick:s:{entry.ref}"
    if entry.area_id:
        return f"pick:a:{entry.area_id}"
    return None


def home_data(entry: IndexEntry) -> str | None:
    return f"home:a:{entry.area_id}" if entry.area_id else None


def choices_keyboard(
    matches: Sequence[Match], action: Action, data: Callable[[IndexEntry], str | None]
) -> InlineKeyboardMarkup | None:
    rows = choice_rows(matches, action.services.geography, action.tr, data)
    return InlineKeyboardMarkup(rows) if rows else None


def card_text(action: Action) -> Callable[[ContactCard, str | None], str]:
    """The whole contact card, with the office-hours line as it is now."""
    office_hours = action.services.is_office_hours()
    return lambda card, place: render_card(card, action.tr, office_hours=office_hours, place=place)


async def answer_lookup(
    update: Update, action: Action, query: str, links: BotLinks | None = None
) -> None:
    """Show the card, the choices, or a polite 'not found'; never echo what was typed."""
    tr = action.tr
    if is_too_long(query):
        await reply(
            update, tr._("Det var en lång text. Skriv bara namnet på skolan eller området.")
        )
        return
    answer = await action.services.index.answer(action.session, query, action.today)
    not_found = tr._(
        "Jag hittade ingen skola eller plats i Stockholm med det namnet. "
        "Prova skolans namn, stadsdelen (till exempel Bagarmossen) eller stadsdelsområdet. "
        "Du kan också bläddra bland områdena med /omraden."
    )
    found = lookup_reply(answer, tr, card_text=card_text(action), not_found=not_found)
    if found.card is not None or answer.result.outcome is Outcome.NONE:
        action.services.usage.count_lookup(action.today, found.card)
    keyboard: InlineKeyboardMarkup | None
    if found.card is not None:
        keyboard = card_keyboard(found.card, tr, links)
    else:
        keyboard = choices_keyboard(found.choices, action, pick_data)
    await reply(update, found.text, reply_markup=keyboard)


async def lookup_text(update: Update, context: BotContext) -> None:
    """Free text: treat it as a school or place name."""
    assert update.message is not None
    async with user_action(update, context) as action:
        await answer_lookup(update, action, update.message.text or "", bot_links(context))


async def lookup_command(update: Update, context: BotContext) -> None:
    """/kontakt <namn>; without a name, ask for one."""
    async with user_action(update, context) as action:
        query = " ".join(context.args or [])
        if not query.strip():
            await reply(
                update,
                action.tr._("Skriv namnet på skolan, till exempel: /kontakt Eriksdalsskolan"),
            )
            return
        await answer_lookup(update, action, query, bot_links(context))


async def stale_button(update: Update, action: Action) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(
        action.tr._("Den knappen fungerar inte längre. Skriv namnet på skolan igen."),
        show_alert=True,
    )


async def pick(update: Update, context: BotContext) -> None:
    """A choice from a list of schools or places."""
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        found = PICK.match(query.data or "")
        card = None
        school_id = parse_row_id(found.group(2)) if found and found.group(1) == "s" else None
        if school_id is not None:
            card = await action.services.cards.card_for_school(
                action.session, school_id, action.today
            )
        elif found and found.group(1) == "a":
            card = await action.services.cards.card_for_area(
                action.session, found.group(2), action.today
            )
        if card is None:
            await stale_button(update, action)
            return
        action.services.usage.count_lookup(action.today, card)  # chosen from a list
        await query.answer()
        keyboard = card_keyboard(card, action.tr, bot_links(context))
        await reply(update, card_text(action)(card, None), reply_markup=keyboard)


async def list_areas(update: Update, context: BotContext) -> None:
    """/omraden: the 11 areas as buttons."""
    async with user_action(update, context) as action:
        areas = action.services.geography.areas
        buttons = [InlineKeyboardButton(a.name, callback_data=f"pick:a:{a.id}") for a in areas]
        rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
        await reply(
            update,
            action.tr._("Stockholms 11 stadsdelsområden. Välj ett:"),
            reply_markup=InlineKeyboardMarkup(rows),
        )


async def ask_child_home(update: Update, context: BotContext) -> int:
    """Ask where the child is registered (a stadsdel, an area or another municipality)."""
    assert update.callback_query is not None
    async with user_action(update, context) as action:
        await update.callback_query.answer()
        await reply(
            update,
            action.tr._(
                "Orosanmälan går till mottagningen där barnet är folkbokfört.\n"
                "Skriv stadsdelen eller området där barnet bor, till exempel <i>Bagarmossen</i>. "
                "Skriv inte barnets namn eller adress. /avbryt avbryter."
            )
            + "\n\n"
            + pin_hint(action.tr),
        )
    return AWAIT_HOME


async def child_home_text(update: Update, context: BotContext) -> int:
    """Show the intake unit of the place the user typed; then the guide's step, if any, again."""
    assert update.message is not None and update.effective_user is not None
    text = update.message.text or ""
    async with user_action(update, context) as action:
        if is_too_long(text):
            await reply(update, action.tr._("Skriv bara stadsdelen eller området, gärna kort."))
            return AWAIT_HOME
        answer = await action.services.index.child_home(action.session, text, action.today)
        found = home_reply(answer, action.tr)
        keyboard = choices_keyboard(found.choices, action, home_data)
        if keyboard is None and answer.intake is not None:  # the intake unit's numbers
            keyboard = InlineKeyboardMarkup([[save_button("h", answer.intake.area.id, action.tr)]])
        await reply(update, found.text, reply_markup=keyboard)
        if not found.settled:
            return AWAIT_HOME
        return await guide_state(action.session, action.services.guide, update.effective_user.id)


async def cancel_child_home(update: Update, context: BotContext) -> int:
    """/avbryt while the home question waits: cancel that question, not a running guide."""
    assert update.effective_user is not None
    async with user_action(update, context) as action:
        state = await guide_state(action.session, action.services.guide, update.effective_user.id)
        if state == END:
            await reply(update, action.tr._("Avbrutet. Skriv namnet på en skola när du vill."))
        else:
            await reply(update, action.tr._("Avbrutet. Guiden är kvar där du var."))
    return state


async def child_home_pick(update: Update, context: BotContext) -> None:
    """A chosen area for the child's home: its intake unit."""
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        found = HOME.match(query.data or "")
        intake = None
        if found:
            intake = await action.services.cards.intake_for_area(
                action.session, found.group(1), action.today
            )
        if intake is None:
            await stale_button(update, action)
            return
        await query.answer()
        keyboard = InlineKeyboardMarkup([[save_button("h", intake.area.id, action.tr)]])
        await reply(update, render_intake(intake, action.tr), reply_markup=keyboard)


def home_question() -> tuple[Handler, list[Handler]]:
    """The button that asks the home question, and the handlers of its AWAIT_HOME state (the
    typed place, /avbryt), for the one conversation in `handlers.guide`."""
    ask = CallbackQueryHandler(ask_child_home, pattern=f"^{HOME_ASK}$")
    answer = MessageHandler(filters.TEXT & ~filters.COMMAND, child_home_text)
    cancel = CommandHandler(["avbryt", "cancel"], cancel_child_home)
    return ask, [*home_question_handlers(), answer, cancel]  # pins and postcodes first


def build_handlers() -> list[Handler]:
    """The lookup; "the child lives elsewhere" is asked in `handlers.guide`'s conversation."""
    return [
        CallbackQueryHandler(child_home_pick, pattern=r"^home:a:"),
        CommandHandler(["kontakt", "contact"], lookup_command),
        CommandHandler(["omraden", "areas"], list_areas),
        CallbackQueryHandler(pick, pattern=r"^pick:"),
        MessageHandler(filters.TEXT & ~filters.COMMAND, lookup_text),
    ]
