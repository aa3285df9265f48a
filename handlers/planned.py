"""/planerat (/planned): the handovers not yet in effect; correct or withdraw one.

Flow: /planerat lists each planned handover with "Ändra" and "Återkalla". "Ändra" offers the
details; picking one asks for the new value (one short conversation); "Återkalla" asks first.

Callback data: "pl:e:<id>" (which detail), "pl:f:<id>:<field>" (ask for it), "pl:clr" (empty an
optional detail), "pl:w:<id>" (withdraw?), "pl:wok:<id>" (withdraw), "pl:no" (cancel).
Every press is checked again by the service: the admin's area, and that the handover is still
planned and the last one in its scope.
"""

from __future__ import annotations

import re
from functools import partial
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import Translator
from bot.services.dates import parse_day
from bot.services.errors import InvalidDate, NotAuthorized, NotPlanned, SamePerson, UnknownTarget
from bot.services.fields import FieldError
from bot.services.parsing import digits
from bot.services.planned import (
    FIELDS,
    PlannedHandover,
    correct_handover,
    planned_handover,
    planned_handovers,
    withdraw_handover,
)
from handlers.admin_common import (
    actor_of,
    date_problem,
    field_problem,
    refuse,
    same_person_text,
    stale_button,
)
from handlers.admin_wizard import end_wizard, wizard_conversation, wizard_data
from handlers.common import Action, BotContext, reply, user_action
from handlers.notices import person_lines

PREFIX = "pl"
KEY = "planned"
VALUE = 0
MAX_SHOWN = 10
EDIT = re.compile(rf"^pl:e:({digits(1, 9)})$")
FIELD = re.compile(rf"^pl:f:({digits(1, 9)}):({'|'.join(FIELDS)})$")
WITHDRAW = re.compile(rf"^pl:w:({digits(1, 9)})$")
WITHDRAW_OK = re.compile(rf"^pl:wok:({digits(1, 9)})$")
OPTIONAL = {"title", "email", "hours", "note"}
PROBLEMS = {"name": "name", "title": "text", "phone": "phone", "email": "email"}
PROBLEMS.update(hours="text", note="note", date="date")

_wizard = partial(wizard_data, wizard_key=KEY)


def _field_label(field: str, tr: Translator) -> str:
    labels = {
        "name": tr._("Namn"),
        "title": tr._("Titel"),
        "phone": tr._("Telefon"),
        "email": tr._("E-post"),
        "hours": tr._("Tider"),
        "date": tr._("Datum"),
        "note": tr._("Notering"),
    }
    return labels[field]


def _text(shown: PlannedHandover, tr: Translator) -> str:
    lines = [
        f"<b>{escape(shown.scope.name)}</b>",
        tr._("Från {date}:").format(date=tr.date(shown.effective_on)),
        *person_lines(shown.person.as_json(), tr),
    ]
    if shown.old_name:
        lines.append(tr._("Ersätter: {name}").format(name=escape(shown.old_name)))
    if shown.note:
        lines.append(tr._("Notering: {note}").format(note=escape(shown.note)))
    return "\n".join(lines)


def _buttons(shown: PlannedHandover, tr: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr._("✏️ Ändra"), callback_data=f"pl:e:{shown.id}"),
                InlineKeyboardButton(tr._("Återkalla"), callback_data=f"pl:w:{shown.id}"),
            ]
        ]
    )


async def _problem(update: Update, action: Action, error: Exception) -> None:
    """Refusals and a handover that can no longer change, as an alert or a message."""
    tr = action.tr
    if isinstance(error, NotAuthorized):
        await refuse(update, tr)
        return
    if isinstance(error, NotPlanned) and error.later is not None:
        text = tr._(
            "En senare överlämning är planerad från {date}. Ändra eller återkalla den först."
        ).format(date=tr.date(error.later))
    elif isinstance(error, NotPlanned):
        text = tr._(
            "Den överlämningen gäller redan och kan inte ändras. Registrera en ny med "
            "/overlamning."
        )
    elif update.callback_query is not None:
        await stale_button(update, tr)
        return
    else:
        text = tr._("Den överlämningen finns inte längre. Skriv /planerat.")
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    else:
        await reply(update, text)


async def list_command(update: Update, context: BotContext) -> None:
    """/planerat: every handover not yet in effect in the admin's areas."""
    async with user_action(update, context) as action:
        tr = action.tr
        try:
            shown = await planned_handovers(
                action.session, actor_of(update, context), action.today
            )
        except NotAuthorized:
            await refuse(update, tr)
            return
        if not shown:
            await reply(update, tr._("Inga överlämningar är planerade i dina områden."))
            return
        await reply(
            update,
            tr._(
                "<b>Planerade överlämningar</b>\nIngen har fått något meddelande om dem ännu: "
                "de som följer skolan eller området får det den dag ändringen gäller."
            ),
        )
        for planned in shown[:MAX_SHOWN]:
            await reply(update, _text(planned, tr), reply_markup=_buttons(planned, tr))


async def edit_button(update: Update, context: BotContext) -> None:
    """ "Ändra": which detail to change."""
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        found = EDIT.match(query.data or "")
        try:
            if found is None:
                raise UnknownTarget(query.data or "")
            shown = await planned_handover(
                action.session, actor_of(update, context), int(found[1]), action.today
            )
        except (NotAuthorized, NotPlanned, UnknownTarget) as error:
            await _problem(update, action, error)
            return
        await query.answer()
        tr = action.tr
        buttons = [
            InlineKeyboardButton(_field_label(f, tr), callback_data=f"pl:f:{shown.id}:{f}")
            for f in FIELDS
        ]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
        await reply(
            update,
            tr._("Vad vill du ändra i överlämningen för {scope}?").format(
                scope=escape(shown.scope.name)
            ),
            reply_markup=InlineKeyboardMarkup(rows),
        )


async def ask_value(update: Update, context: BotContext) -> int:
    """A detail picked: ask for its new value."""
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        found = FIELD.match(query.data or "")
        try:
            if found is None:
                raise UnknownTarget(query.data or "")
            await planned_handover(
                action.session, actor_of(update, context), int(found[1]), action.today
            )
        except (NotAuthorized, NotPlanned, UnknownTarget) as error:
            await _problem(update, action, error)
            return end_wizard(context, KEY)
        await query.answer()
        field = found[2]
        _wizard(context).update(handover_id=int(found[1]), field=field)
        tr = action.tr
        text = tr._("Skriv det nya värdet för {field}. /avbryt avbryter.").format(
            field=_field_label(field, tr).lower()
        )
        markup = None
        if field in OPTIONAL:
            markup = InlineKeyboardMarkup(
                [[InlineKeyboardButton(tr._("Ta bort uppgiften"), callback_data="pl:clr")]]
            )
        await reply(update, text, reply_markup=markup)
        return VALUE


async def take_value(update: Update, context: BotContext) -> int:
    """The new value typed: correct the handover, or say what to type instead."""
    assert update.message is not None
    return await _correct(update, context, update.message.text or "")


async def clear_value(update: Update, context: BotContext) -> int:
    """ "Ta bort uppgiften": an optional detail left empty."""
    assert update.callback_query is not None
    await update.callback_query.answer()
    return await _correct(update, context, None)


async def _correct(update: Update, context: BotContext, text: str | None) -> int:
    wizard = _wizard(context)
    if "handover_id" not in wizard:
        return end_wizard(context, KEY)
    field = str(wizard["field"])
    async with user_action(update, context) as action:
        tr = action.tr
        try:
            value: Any = text
            if field == "date":
                value = parse_day(text or "", action.today)
            shown = await correct_handover(
                action.session,
                actor_of(update, context),
                int(wizard["handover_id"]),
                field,
                value,
                action.today,
            )
        except InvalidDate as error:
            await reply(update, date_problem(error, tr))
            return VALUE
        except SamePerson as error:
            await reply(update, same_person_text(error.name, tr))
            return VALUE
        except FieldError as error:
            await reply(update, field_problem(error, PROBLEMS[field], tr))
            return VALUE
        except (NotAuthorized, NotPlanned, UnknownTarget) as error:
            await _problem(update, action, error)
            return end_wizard(context, KEY)
        await reply(
            update,
            tr._("Ändrat. Så här ser överlämningen ut nu:") + "\n\n" + _text(shown, tr),
            reply_markup=_buttons(shown, tr),
        )
    return end_wizard(context, KEY)


async def withdraw_button(update: Update, context: BotContext) -> None:
    """ "Återkalla": ask before anything is removed."""
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        found = WITHDRAW.match(query.data or "")
        try:
            if found is None:
                raise UnknownTarget(query.data or "")
            shown = await planned_handover(
                action.session, actor_of(update, context), int(found[1]), action.today
            )
        except (NotAuthorized, NotPlanned, UnknownTarget) as error:
            await _problem(update, action, error)
            return
        await query.answer()
        tr = action.tr
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        tr._("Ja, återkalla"), callback_data=f"pl:wok:{shown.id}"
                    ),
                    InlineKeyboardButton(tr._("Nej"), callback_data="pl:no"),
                ]
            ]
        )
        await reply(
            update,
            tr._(
                "Återkalla överlämningen till {name} för {scope} från {date}? Ingen har fått "
                "något meddelande om den, och ingen får det."
            ).format(
                name=escape(shown.person.name),
                scope=escape(shown.scope.name),
                date=tr.date(shown.effective_on),
            ),
            reply_markup=keyboard,
        )


async def withdraw_confirmed(update: Update, context: BotContext) -> None:
    """ "Ja, återkalla": withdraw it (audited)."""
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        found = WITHDRAW_OK.match(query.data or "")
        try:
            if found is None:
                raise UnknownTarget(query.data or "")
            shown = await withdraw_handover(
                action.session, actor_of(update, context), int(found[1]), action.today
            )
        except (NotAuthorized, NotPlanned, UnknownTarget) as error:
            await _problem(update, action, error)
            return
        await query.answer()
        await query.edit_message_reply_markup(None)
        tr = action.tr
        text = tr._("Återkallad. {name} tar inte över för {scope}.").format(
            name=escape(shown.person.name), scope=escape(shown.scope.name)
        )
        if shown.old_name:
            text += "\n" + tr._("{name} är fortfarande kontaktperson.").format(
                name=escape(shown.old_name)
            )
        await reply(update, text)


async def cancel(update: Update, context: BotContext) -> int:
    """/avbryt or "Nej": nothing changes."""
    async with user_action(update, context) as action:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, action.tr._("Avbrutet. Inget har ändrats."))
    return end_wizard(context, KEY)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    text = filters.TEXT & ~filters.COMMAND
    correction = wizard_conversation(
        "planned",
        PREFIX,
        entry_points=[CallbackQueryHandler(ask_value, pattern=r"^pl:f:")],
        states={
            VALUE: [
                MessageHandler(text, take_value),
                CallbackQueryHandler(clear_value, pattern=r"^pl:clr$"),
            ]
        },
        cancel=cancel,
    )
    return [
        CommandHandler(["planerat", "planned"], list_command),
        correction,
        CallbackQueryHandler(edit_button, pattern=r"^pl:e:"),
        CallbackQueryHandler(withdraw_button, pattern=r"^pl:w:"),
        CallbackQueryHandler(withdraw_confirmed, pattern=r"^pl:wok:"),
        CallbackQueryHandler(cancel, pattern=r"^pl:no$"),
    ]
