"""Contact lookup: free text, /kontakt, choice buttons, /omraden, "the child lives elsewhere".

Callback data (at most 64 bytes, checked against the directory on every press, so a forged or
stale button gets a polite answer and nothing else):
  pick:s:<school id>   a school from a list        pick:a:<area id>   an area (or a stadsdel's)
  home:ask             ask where the child lives    home:a:<area id>   that area's intake unit
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.i18n import Translator
from bot.services import usage
from bot.services.contacts import ContactCard
from bot.services.directory_index import LookupAnswer
from bot.services.lookup import EntryKind, IndexEntry, Match, Outcome, is_too_long
from handlers.cards import render_card, render_intake, render_outside
from handlers.common import Action, BotContext, reply, user_action

PICK = re.compile(r"^pick:(s|a):([a-z0-9-]{1,40})$")
HOME = re.compile(r"^home:a:([a-z0-9-]{1,40})$")
HOME_ASK = "home:ask"
ASK_CHILD_HOME = 1


def card_keyboard(card: ContactCard, tr: Translator) -> InlineKeyboardMarkup:
    # Following is how a school hears of a new contact person (the motion's demand).
    follow = f"fo:s:{card.school.id}" if card.school else f"fo:a:{card.area.id}"
    label = tr._("Följ skolan") if card.school else tr._("Följ området")
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(tr._("Barnet bor i ett annat område"), callback_data=HOME_ASK)],
            [InlineKeyboardButton(label, callback_data=follow)],
        ]
    )


def _match_label(match: Match, action: Action) -> str:
    entry = match.entry
    if entry.kind is EntryKind.SCHOOL and entry.area_id:
        return f"{entry.name} ({action.services.geography.area(entry.area_id).name})"
    if entry.kind is EntryKind.NEIGHBOURHOOD and entry.area_id:
        area = action.services.geography.area(entry.area_id).name
        return action.tr._("{place} (stadsdel i {area})").format(place=entry.name, area=area)
    return entry.name


def _pick_data(entry: IndexEntry) -> str | None:
    if entry.kind is EntryKind.SCHOOL:
        return f"pick:s:{entry.ref}"
    if entry.area_id:
        return f"pick:a:{entry.area_id}"
    return None


def choices_keyboard(
    matches: tuple[Match, ...], action: Action, prefix: str
) -> InlineKeyboardMarkup:
    rows, seen = [], set()
    for match in matches[:5]:
        data = _pick_data(match.entry)
        if prefix == "home" and match.entry.area_id:
            data = f"home:a:{match.entry.area_id}"
        if data is None or data in seen:
            continue
        seen.add(data)
        rows.append([InlineKeyboardButton(_match_label(match, action), callback_data=data)])
    return InlineKeyboardMarkup(rows)


async def send_card(
    update: Update, action: Action, card: ContactCard, *, place: str | None = None
) -> None:
    text = render_card(
        card, action.tr, office_hours=action.services.is_office_hours(), place=place
    )
    await reply(update, text, reply_markup=card_keyboard(card, action.tr))


def _no_match_text(answer: LookupAnswer, tr: Translator) -> str:
    text = tr._(
        "Jag hittade ingen skola eller plats i Stockholm med det namnet. "
        "Prova skolans namn, stadsdelen (till exempel Bagarmossen) eller stadsdelsområdet. "
        "Du kan också bläddra bland områdena med /omraden."
    )
    if answer.result.matches:
        text += "\n\n" + tr._("Menade du någon av dessa?")
    return text


async def answer_lookup(update: Update, action: Action, query: str) -> None:
    """Show the card, the choices, or a polite 'not found'; never echo what was typed."""
    if is_too_long(query):
        await reply(
            update,
            action.tr._("Det var en lång text. Skriv bara namnet på skolan eller området."),
        )
        return
    answer = await action.services.index.answer(action.session, query, action.today)
    outcome = answer.result.outcome
    if outcome is Outcome.OUTSIDE and answer.outside_municipality:
        await reply(update, render_outside(answer.outside_municipality, action.tr))
    elif outcome is Outcome.CONFIDENT and answer.card is not None:
        best = answer.result.matches[0].entry
        place = best.name if best.kind is EntryKind.NEIGHBOURHOOD else None
        await usage.count_lookup(action.session, action.today, answer.card)
        await send_card(update, action, answer.card, place=place)
    elif outcome is Outcome.AMBIGUOUS:
        await reply(
            update,
            action.tr._("Jag hittade flera. Vilken menar du?"),
            reply_markup=choices_keyboard(answer.result.matches, action, "pick"),
        )
    else:
        if outcome is Outcome.NONE:
            await usage.count_lookup(action.session, action.today, None)
        keyboard = choices_keyboard(answer.result.matches, action, "pick")
        await reply(update, _no_match_text(answer, action.tr), reply_markup=keyboard)


async def lookup_text(update: Update, context: BotContext) -> None:
    """Free text: treat it as a school or place name."""
    assert update.message is not None
    async with user_action(update, context) as action:
        await answer_lookup(update, action, update.message.text or "")


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
        await answer_lookup(update, action, query)


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
        if found and found.group(1) == "s" and found.group(2).isdigit():
            card = await action.services.contacts.card_for_school(
                action.session, int(found.group(2)), action.today
            )
        elif found and found.group(1) == "a":
            card = await action.services.contacts.card_for_area(
                action.session, found.group(2), action.today
            )
        if card is None:
            await stale_button(update, action)
            return
        await usage.count_lookup(action.session, action.today, card)  # chosen from a list
        await query.answer()
        await send_card(update, action, card)


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
            ),
        )
    return ASK_CHILD_HOME


async def child_home_text(update: Update, context: BotContext) -> int:
    """Show the intake unit of the place the user typed."""
    assert update.message is not None
    text = update.message.text or ""
    async with user_action(update, context) as action:
        if is_too_long(text):
            await reply(update, action.tr._("Skriv bara stadsdelen eller området, gärna kort."))
            return ASK_CHILD_HOME
        answer = await action.services.index.child_home(action.session, text, action.today)
        outcome = answer.result.outcome
        if outcome is Outcome.OUTSIDE and answer.outside_municipality:
            await reply(update, render_outside(answer.outside_municipality, action.tr))
            return ConversationHandler.END
        if answer.intake is not None:
            best = answer.result.matches[0].entry
            await reply(update, render_intake(answer.intake, action.tr, place=best.name))
            return ConversationHandler.END
        if answer.result.matches:
            await reply(
                update,
                action.tr._("Vilket område menar du?"),
                reply_markup=choices_keyboard(answer.result.matches, action, "home"),
            )
            return ConversationHandler.END
        await reply(
            update,
            action.tr._(
                "Jag känner inte igen den platsen. Skriv en stadsdel i Stockholm, till exempel "
                "Rinkeby, eller en annan kommun, till exempel Solna. /avbryt avbryter."
            ),
        )
        return ASK_CHILD_HOME


async def child_home_pick(update: Update, context: BotContext) -> int:
    """A chosen area for the child's home: its intake unit."""
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        found = HOME.match(query.data or "")
        intake = None
        if found:
            intake = await action.services.contacts.intake_for_area(
                action.session, found.group(1), action.today
            )
        if intake is None:
            await stale_button(update, action)
            return ConversationHandler.END
        await query.answer()
        await reply(update, render_intake(intake, action.tr))
    return ConversationHandler.END


async def cancel_child_home(update: Update, context: BotContext) -> int:
    async with user_action(update, context) as action:
        await reply(update, action.tr._("Avbrutet. Skriv namnet på en skola när du vill."))
    return ConversationHandler.END


def _child_home_conversation() -> ConversationHandler[BotContext]:
    with warnings.catch_warnings():
        # The button that opens this conversation is tracked per chat on purpose: the question
        # "where does the child live?" belongs to the chat, not to one message.
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        return ConversationHandler[BotContext](
            entry_points=[CallbackQueryHandler(ask_child_home, pattern=f"^{HOME_ASK}$")],
            states={
                ASK_CHILD_HOME: [MessageHandler(filters.TEXT & ~filters.COMMAND, child_home_text)]
            },
            fallbacks=[CommandHandler(["avbryt", "cancel"], cancel_child_home)],
            name="child_home",
            allow_reentry=True,
        )


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        _child_home_conversation(),
        CallbackQueryHandler(child_home_pick, pattern=r"^home:a:"),
        CommandHandler(["kontakt", "contact"], lookup_command),
        CommandHandler(["omraden", "areas"], list_areas),
        CallbackQueryHandler(pick, pattern=r"^pick:"),
        MessageHandler(filters.TEXT & ~filters.COMMAND, lookup_text),
    ]
