"""/franvaro (/absence): the contact is away for a while and a deputy covers.

Flow::

    /franvaro [name] → SCOPE → START → BACK → NAME → PHONE → EMAIL → CONFIRM   (/avbryt ends)

Callback data: "fr:a:<area>"/"fr:s:<school>", "fr:d:0"/"fr:d:1" (start today/tomorrow),
"fr:skip" (no e-mail), "fr:ok:<token>" (confirm; also the idempotency key), "fr:no".
"""

from __future__ import annotations

import re
import warnings
from datetime import date, timedelta
from html import escape
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

from bot.services.absences import AbsenceRequest, check_period, record_absence
from bot.services.authz import require_admin
from bot.services.dates import parse_day
from bot.services.errors import (
    ContactChangedMeanwhile,
    InvalidDate,
    NotAuthorized,
    OverlappingAbsence,
    UnknownTarget,
)
from bot.services.fields import NAME_MAX_LENGTH, FieldError, normalise_email, normalise_phone
from bot.services.handovers import Person, ScopeSnapshot, check_free_text
from bot.services.scopes import area_scopes
from handlers.admin_common import (
    Pick,
    actor_of,
    button,
    choose_scope,
    date_problem,
    field_problem,
    new_token,
    refuse,
    scope_from_text,
    scope_keyboard,
    stale_button,
)
from handlers.common import Action, BotContext, reply, user_action

PREFIX = "fr"
KEY = "absence"
SCOPE, START, BACK, NAME, PHONE, EMAIL, CONFIRM = range(7)
END = ConversationHandler.END
SCOPE_DATA = re.compile(r"^fr:([as]:[a-z0-9-]{1,40})$")
CONFIRM_DATA = re.compile(r"^fr:ok:([0-9a-f]{12})$")


def _wizard(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    data: dict[str, Any] = context.user_data.setdefault(KEY, {})
    return data


def _end(context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(KEY, None)
    return END


async def start_absence(update: Update, context: BotContext) -> int:
    """Check the admin role; ask whose contact is away."""
    async with user_action(update, context) as action:
        actor = actor_of(update, context)
        try:
            granted = await require_admin(action.session, actor, "absence")
        except NotAuthorized:
            await refuse(update, action.tr)
            return _end(context)
        _end(context)
        typed = " ".join(context.args or [])
        if typed.strip():
            chosen = await scope_from_text(update, action, actor, typed, granted, PREFIX)
            return await _chosen(update, context, action, chosen)
        scopes = await area_scopes(action.session, granted.area_filter)
        await reply(
            update,
            action.tr._(
                "Frånvaro: för vilken skola eller vilket område är kontaktpersonen borta? "
                "Välj området, eller skriv skolans namn. /avbryt avbryter."
            ),
            reply_markup=scope_keyboard(scopes, PREFIX),
        )
    return SCOPE


async def scope_text(update: Update, context: BotContext) -> int:
    assert update.message is not None
    async with user_action(update, context) as action:
        actor = actor_of(update, context)
        try:
            granted = await require_admin(action.session, actor, "absence")
        except NotAuthorized:
            await refuse(update, action.tr)
            return _end(context)
        chosen = await scope_from_text(
            update, action, actor, update.message.text or "", granted, PREFIX
        )
        return await _chosen(update, context, action, chosen)


async def scope_button(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    found = SCOPE_DATA.match(query.data or "")
    async with user_action(update, context) as action:
        if found is None:
            await stale_button(update, action.tr)
            return _end(context)
        chosen = await choose_scope(
            update, action, actor_of(update, context), found.group(1), "absence"
        )
        if isinstance(chosen, ScopeSnapshot):
            await query.answer()
        return await _chosen(update, context, action, chosen)


async def _chosen(
    update: Update, context: BotContext, action: Action, chosen: ScopeSnapshot | Pick
) -> int:
    if chosen is Pick.REFUSED:
        return _end(context)
    if chosen is Pick.WAITING:
        return SCOPE
    tr = action.tr
    if chosen.current is None or chosen.current.assignment_id is None:
        await reply(update, tr._("Det finns ingen kontaktperson registrerad där just nu."))
        return _end(context)
    wizard = _wizard(context)
    wizard.clear()
    name = chosen.current.deputy_for or chosen.current.name
    wizard.update(
        scope_key=chosen.scope.key,
        scope_name=chosen.scope.name,
        expected=chosen.current.assignment_id,
        contact=name,
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(tr._("Idag"), callback_data="fr:d:0"),
                InlineKeyboardButton(tr._("Imorgon"), callback_data="fr:d:1"),
            ]
        ]
    )
    await reply(
        update,
        tr._("Kontaktperson för {scope}: {name}. Från vilket datum är hen borta?").format(
            scope=escape(chosen.scope.name), name=escape(name)
        ),
        reply_markup=keyboard,
    )
    return START


async def start_text(update: Update, context: BotContext) -> int:
    assert update.message is not None
    async with user_action(update, context) as action:
        return await _set_start(update, context, action, update.message.text or "")


async def start_button(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        await query.answer()
        offset = 1 if query.data == "fr:d:1" else 0
        day = action.today + timedelta(days=offset)
        return await _set_start(update, context, action, day.isoformat())


async def _set_start(update: Update, context: BotContext, action: Action, text: str) -> int:
    wizard = _wizard(context)
    try:
        day = parse_day(text, action.today)
        check_period(day, None, action.today)
    except InvalidDate as error:
        await reply(update, date_problem(error, action.tr))
        return START
    except FieldError as error:
        await reply(update, field_problem(error, "date", action.tr))
        return START
    wizard["starts_on"] = day.isoformat()
    await reply(
        update,
        action.tr._("Vilket datum är {name} tillbaka?").format(name=escape(wizard["contact"])),
    )
    return BACK


async def back_text(update: Update, context: BotContext) -> int:
    assert update.message is not None
    wizard = _wizard(context)
    async with user_action(update, context) as action:
        starts_on = date.fromisoformat(wizard["starts_on"])
        try:
            day = parse_day(update.message.text or "", action.today)
            check_period(starts_on, day, action.today)
        except InvalidDate as error:
            await reply(update, date_problem(error, action.tr))
            return BACK
        except FieldError as error:
            await reply(update, field_problem(error, "date", action.tr))
            return BACK
        wizard["back_on"] = day.isoformat()
        await reply(update, action.tr._("Vem ersätter under tiden? Skriv namnet."))
    return NAME


async def name_text(update: Update, context: BotContext) -> int:
    assert update.message is not None
    wizard = _wizard(context)
    async with user_action(update, context) as action:
        try:
            wizard["name"] = check_free_text(
                update.message.text or "", max_length=NAME_MAX_LENGTH, required=True
            )
        except FieldError as error:
            await reply(update, field_problem(error, "name", action.tr))
            return NAME
        await reply(update, action.tr._("Ersättarens telefonnummer?"))
    return PHONE


async def phone_text(update: Update, context: BotContext) -> int:
    assert update.message is not None
    wizard = _wizard(context)
    async with user_action(update, context) as action:
        try:
            wizard["phone"] = normalise_phone(update.message.text or "")
        except FieldError as error:
            await reply(update, field_problem(error, "phone", action.tr))
            return PHONE
        await reply(
            update,
            action.tr._("Ersättarens e-postadress?"),
            reply_markup=button(action.tr._("Hoppa över"), "fr:skip"),
        )
    return EMAIL


async def email_text(update: Update, context: BotContext) -> int:
    assert update.message is not None
    wizard = _wizard(context)
    async with user_action(update, context) as action:
        try:
            wizard["email"] = normalise_email(update.message.text or "")
        except FieldError as error:
            await reply(update, field_problem(error, "email", action.tr))
            return EMAIL
        return await _summary(update, action, wizard)


async def skip_email(update: Update, context: BotContext) -> int:
    query = update.callback_query
    assert query is not None
    wizard = _wizard(context)
    async with user_action(update, context) as action:
        await query.answer()
        wizard["email"] = None
        return await _summary(update, action, wizard)


async def _summary(update: Update, action: Action, wizard: dict[str, Any]) -> int:
    tr = action.tr
    wizard["token"] = new_token()
    lines = [
        tr._("<b>Stämmer det här?</b>"),
        tr._("{name} ({scope}) är borta från {start} och tillbaka {back}.").format(
            name=escape(wizard["contact"]),
            scope=escape(wizard["scope_name"]),
            start=tr.date(date.fromisoformat(wizard["starts_on"])),
            back=tr.date(date.fromisoformat(wizard["back_on"])),
        ),
        tr._("Ersättare: {name}, {phone}").format(
            name=escape(wizard["name"]), phone=escape(wizard["phone"])
        ),
    ]
    if wizard.get("email"):
        lines.append(tr._("E-post: {email}").format(email=escape(wizard["email"])))
    ok = InlineKeyboardButton(tr._("✅ Bekräfta"), callback_data=f"fr:ok:{wizard['token']}")
    no = InlineKeyboardButton(tr._("Avbryt"), callback_data="fr:no")
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup([[ok, no]]))
    return CONFIRM


async def confirm(update: Update, context: BotContext) -> int:
    """Record the absence and its deputy."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    found = CONFIRM_DATA.match(query.data or "")
    wizard = _wizard(context)
    if found is None or wizard.get("token") != found.group(1):
        async with user_action(update, context) as action:
            await stale_button(update, action.tr)
        return _end(context)
    request = AbsenceRequest(
        scope_key=wizard["scope_key"],
        expected_assignment_id=wizard["expected"],
        starts_on=date.fromisoformat(wizard["starts_on"]),
        back_on=date.fromisoformat(wizard["back_on"]),
        deputy=Person(name=wizard["name"], phone=wizard["phone"], email=wizard.get("email")),
        idempotency_key=f"fr:{update.effective_user.id}:{found.group(1)}",
    )
    try:
        async with user_action(update, context) as action:
            await query.answer()
            tr = action.tr
            try:
                recorded = await record_absence(
                    action.session, actor_of(update, context), request, today=action.today
                )
            except NotAuthorized:
                await refuse(update, tr)
                return _end(context)
            except OverlappingAbsence:
                await reply(update, tr._("En frånvaro finns redan för en del av den perioden."))
                return _end(context)
            except (FieldError, InvalidDate, UnknownTarget):
                await reply(update, tr._("Något stämmer inte längre. Börja om med /franvaro."))
                return _end(context)
            await query.edit_message_reply_markup(None)
            await reply(
                update,
                tr._(
                    "Klart! Från {start} visas {deputy} som kontakt, tills {name} är tillbaka."
                ).format(
                    start=tr.date(recorded.starts_on),
                    deputy=escape(recorded.deputy_name),
                    name=escape(wizard["contact"]),
                ),
            )
    except ContactChangedMeanwhile:
        async with user_action(update, context) as action:
            await reply(
                update,
                action.tr._(
                    "Kontaktpersonen ändrades medan du skrev. Inget har sparats. "
                    "Börja om med /franvaro."
                ),
            )
    return _end(context)


async def cancel(update: Update, context: BotContext) -> int:
    async with user_action(update, context) as action:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, action.tr._("Avbrutet. Inget har sparats."))
    return _end(context)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    text = filters.TEXT & ~filters.COMMAND
    with warnings.catch_warnings():
        # Per chat and user on purpose, like the handover wizard (see handlers/handover.py).
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        wizard = ConversationHandler[BotContext](
            entry_points=[
                CommandHandler(["franvaro", "absence"], start_absence),
                CallbackQueryHandler(scope_button, pattern=r"^fr:[as]:"),
            ],
            states={
                SCOPE: [MessageHandler(text, scope_text)],
                START: [
                    MessageHandler(text, start_text),
                    CallbackQueryHandler(start_button, pattern=r"^fr:d:[01]$"),
                ],
                BACK: [MessageHandler(text, back_text)],
                NAME: [MessageHandler(text, name_text)],
                PHONE: [MessageHandler(text, phone_text)],
                EMAIL: [
                    MessageHandler(text, email_text),
                    CallbackQueryHandler(skip_email, pattern=r"^fr:skip$"),
                ],
                CONFIRM: [CallbackQueryHandler(confirm, pattern=r"^fr:ok:")],
            },
            fallbacks=[
                CommandHandler(["avbryt", "cancel"], cancel),
                CallbackQueryHandler(cancel, pattern=r"^fr:no$"),
            ],
            name="absence",
            allow_reentry=True,
        )
    return [wizard]
