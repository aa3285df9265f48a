"""/overlamning (/handover): a district admin records a new contact person, with a confirm step.

Flow (one ConversationHandler; the answers live in `user_data`, the database holds the result)::

    /overlamning [name] → SCOPE → NAME → TITLE → PHONE → EMAIL → HOURS → DATE → NOTE → CONFIRM
                                   └───────────── /avbryt ends it at any step ─────────────┘

Callback data: "ho:a:<area>"/"ho:s:<school>" (scope), "ho:skip", "ho:d:0"/"ho:d:1" (today,
tomorrow), "ho:ok:<token>" (confirm), "ho:no" (cancel). The confirm token is also the
idempotency key: the same press delivered twice records one handover.
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

from bot.services.authz import require_admin
from bot.services.dates import parse_day
from bot.services.errors import ContactChangedMeanwhile, InvalidDate, NotAuthorized, UnknownTarget
from bot.services.fields import NAME_MAX_LENGTH, FieldError, normalise_email, normalise_phone
from bot.services.handovers import (
    HandoverRecorded,
    HandoverRequest,
    Person,
    ScopeSnapshot,
    check_effective_date,
    check_free_text,
    check_note,
    check_optional,
    handover_by_key,
    record_handover,
)
from bot.services.scopes import area_scopes
from handlers.admin_common import (
    Pick,
    actor_of,
    button,
    choose_scope,
    date_problem,
    field_problem,
    new_token,
    person_summary,
    refuse,
    scope_from_text,
    scope_keyboard,
    stale_button,
)
from handlers.cards import contact_lines
from handlers.common import Action, BotContext, reply, user_action

PREFIX = "ho"
KEY = "handover"
SCOPE, NAME, TITLE, PHONE, EMAIL, HOURS, DATE, NOTE, CONFIRM = range(9)
END = ConversationHandler.END
SCOPE_DATA = re.compile(r"^ho:([as]:[a-z0-9-]{1,40})$")
CONFIRM_DATA = re.compile(r"^ho:ok:([0-9a-f]{12})$")


def _wizard(context: BotContext) -> dict[str, Any]:
    assert context.user_data is not None
    data: dict[str, Any] = context.user_data.setdefault(KEY, {})
    return data


def _skip(action: Action) -> InlineKeyboardMarkup:
    return button(action.tr._("Hoppa över"), f"{PREFIX}:skip")


async def start_handover(update: Update, context: BotContext) -> int:
    """Check the admin role; ask which school or area (or use the name given)."""
    async with user_action(update, context) as action:
        actor = actor_of(update, context)
        try:
            granted = await require_admin(action.session, actor, "handover")
        except NotAuthorized:
            await refuse(update, action.tr)
            return END
        assert context.user_data is not None
        context.user_data.pop(KEY, None)
        typed = " ".join(context.args or [])
        if typed.strip():
            chosen = await scope_from_text(update, action, actor, typed, granted, PREFIX)
            return await _chosen(update, context, action, chosen)
        scopes = await area_scopes(action.session, granted.area_filter)
        await reply(
            update,
            action.tr._(
                "Överlämning: vilken skola eller vilket område får en ny kontaktperson? "
                "Välj området, eller skriv skolans namn. /avbryt avbryter."
            ),
            reply_markup=scope_keyboard(scopes, PREFIX),
        )
    return SCOPE


async def scope_text(update: Update, context: BotContext) -> int:
    """A typed school or area name."""
    assert update.message is not None
    async with user_action(update, context) as action:
        actor = actor_of(update, context)
        try:
            granted = await require_admin(action.session, actor, "handover")
        except NotAuthorized:
            await refuse(update, action.tr)
            return END
        text = update.message.text or ""
        chosen = await scope_from_text(update, action, actor, text, granted, PREFIX)
        return await _chosen(update, context, action, chosen)


async def scope_button(update: Update, context: BotContext) -> int:
    """A pressed school or area button; checked against the admin's scope every time."""
    query = update.callback_query
    assert query is not None
    found = SCOPE_DATA.match(query.data or "")
    async with user_action(update, context) as action:
        if found is None:
            await stale_button(update, action.tr)
            return END
        chosen = await choose_scope(
            update, action, actor_of(update, context), found.group(1), "handover"
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
    wizard = _wizard(context)
    wizard.clear()
    wizard.update(
        scope_key=chosen.scope.key,
        scope_name=chosen.scope.name,
        expected=chosen.open_assignment_id,
        open_from=chosen.open_from.isoformat() if chosen.open_from else None,
        old_name=(chosen.current.deputy_for or chosen.current.name) if chosen.current else None,
    )
    tr = action.tr
    lines = [tr._("<b>{scope}</b>").format(scope=escape(chosen.scope.name))]
    if chosen.current is None:
        lines.append(tr._("Ingen kontaktperson är registrerad just nu."))
    else:
        lines += [tr._("Nuvarande kontaktperson:"), *contact_lines(chosen.current, tr)]
        if chosen.scope.is_school and chosen.open_assignment_id is None:
            lines.append(
                tr._("(Skolan har områdets kontaktperson; den nya gäller bara för skolan.)")
            )
    lines += ["", tr._("Vad heter den nya kontaktpersonen?")]
    await reply(update, "\n".join(lines))
    return NAME


async def name_text(update: Update, context: BotContext) -> int:
    return await _field(update, context, "name", TITLE)


async def title_text(update: Update, context: BotContext) -> int:
    return await _field(update, context, "title", PHONE)


async def phone_text(update: Update, context: BotContext) -> int:
    return await _field(update, context, "phone", EMAIL)


async def email_text(update: Update, context: BotContext) -> int:
    return await _field(update, context, "email", HOURS)


async def hours_text(update: Update, context: BotContext) -> int:
    return await _field(update, context, "hours", DATE)


async def date_text(update: Update, context: BotContext) -> int:
    return await _field(update, context, "date", NOTE)


async def note_text(update: Update, context: BotContext) -> int:
    return await _field(update, context, "note", CONFIRM)


FIELD_STATE = {"name": NAME, "title": TITLE, "phone": PHONE, "email": EMAIL, "hours": HOURS}


def _clean(field: str, text: str, wizard: dict[str, Any], today: date) -> str | None:
    """Validate one answer (raises FieldError or InvalidDate); returns the value to keep."""
    if field == "name":
        return check_free_text(text, max_length=NAME_MAX_LENGTH, required=True)
    if field in ("title", "hours"):
        return check_optional(text)
    if field == "phone":
        return normalise_phone(text)
    if field == "email":
        return normalise_email(text)
    if field == "note":
        return check_note(text)
    day = parse_day(text, today)
    check_effective_date(day, today, _open_from(wizard))
    return day.isoformat()


def _open_from(wizard: dict[str, Any]) -> date | None:
    return date.fromisoformat(wizard["open_from"]) if wizard.get("open_from") else None


async def _field(update: Update, context: BotContext, field: str, next_state: int) -> int:
    assert update.message is not None
    wizard = _wizard(context)
    async with user_action(update, context) as action:
        if "scope_key" not in wizard:
            await reply(update, action.tr._("Börja om med /overlamning."))
            return END
        try:
            wizard[field] = _clean(field, update.message.text or "", wizard, action.today)
        except InvalidDate as error:
            await reply(update, date_problem(error, action.tr))
            return DATE
        except FieldError as error:
            kind = "text" if field in ("title", "hours") else field
            await reply(update, field_problem(error, kind, action.tr))
            return FIELD_STATE.get(field, DATE if field == "date" else NOTE)
        return await _ask(update, action, wizard, next_state)


async def skip_or_pick(update: Update, context: BotContext) -> int:
    """ "Hoppa över" for an optional field, or "today"/"tomorrow" for the date."""
    query = update.callback_query
    assert query is not None
    wizard = _wizard(context)
    async with user_action(update, context) as action:
        state = wizard.get("state")
        if "scope_key" not in wizard or state is None:
            await stale_button(update, action.tr)
            return END
        await query.answer()
        data = query.data or ""
        if data in ("ho:d:0", "ho:d:1") and state == DATE:
            day = action.today + timedelta(days=int(data[-1]))
            try:
                check_effective_date(day, action.today, _open_from(wizard))
            except InvalidDate as error:
                await reply(update, date_problem(error, action.tr))
                return DATE
            wizard["date"] = day.isoformat()
            return await _ask(update, action, wizard, NOTE)
        following = {TITLE: PHONE, EMAIL: HOURS, HOURS: DATE, NOTE: CONFIRM}
        if data != f"{PREFIX}:skip" or state not in following:
            return int(state)
        field = {TITLE: "title", EMAIL: "email", HOURS: "hours", NOTE: "note"}[state]
        wizard[field] = None
        return await _ask(update, action, wizard, following[state])


async def _ask(update: Update, action: Action, wizard: dict[str, Any], state: int) -> int:
    """Ask the question of `state`."""
    tr = action.tr
    wizard["state"] = state
    if state == TITLE:
        await reply(update, tr._("Vilken titel har hen?"), reply_markup=_skip(action))
    elif state == PHONE:
        await reply(update, tr._("Vilket telefonnummer? Till exempel 08-508 000 00."))
    elif state == EMAIL:
        await reply(update, tr._("Vilken e-postadress?"), reply_markup=_skip(action))
    elif state == HOURS:
        await reply(
            update,
            tr._("När går hen att nå? Till exempel: Vardagar 08.00–16.30."),
            reply_markup=_skip(action),
        )
    elif state == DATE:
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(tr._("Idag"), callback_data=f"{PREFIX}:d:0"),
                    InlineKeyboardButton(tr._("Imorgon"), callback_data=f"{PREFIX}:d:1"),
                ]
            ]
        )
        await reply(
            update,
            tr._("Från vilket datum gäller det? Skriv till exempel 1/12 eller 1 december."),
            reply_markup=keyboard,
        )
    elif state == NOTE:
        await reply(
            update,
            tr._(
                "Vill du skicka med en kort notering till skolorna? Skriv den, eller tryck "
                "Hoppa över. Skriv inget om enskilda barn."
            ),
            reply_markup=_skip(action),
        )
    else:
        await _summary(update, action, wizard)
    return state


async def _summary(update: Update, action: Action, wizard: dict[str, Any]) -> None:
    tr = action.tr
    wizard["token"] = new_token()
    when = tr.date(date.fromisoformat(wizard["date"]))
    lines = [
        tr._("<b>Stämmer det här?</b>"),
        tr._("Ny kontaktperson för {scope} från och med {date}:").format(
            scope=escape(wizard["scope_name"]), date=when
        ),
        *person_summary(wizard, tr),
    ]
    if wizard.get("old_name"):
        lines.append(tr._("Ersätter: {name}").format(name=escape(wizard["old_name"])))
    if wizard.get("note"):
        lines.append(tr._("Notering: {note}").format(note=escape(wizard["note"])))
    lines += ["", tr._("Alla som följer skolan eller området får ett meddelande.")]
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("✅ Bekräfta"), callback_data=f"ho:ok:{wizard['token']}"
                ),
                InlineKeyboardButton(tr._("Avbryt"), callback_data="ho:no"),
            ]
        ]
    )
    await reply(update, "\n".join(lines), reply_markup=keyboard)


async def confirm(update: Update, context: BotContext) -> int:
    """Record the handover (one transaction: handover, audit, one notice per follower)."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    found = CONFIRM_DATA.match(query.data or "")
    wizard = _wizard(context)
    if found is None or wizard.get("token") != found.group(1):
        return await already_done(update, context)
    request = HandoverRequest(
        scope_key=wizard["scope_key"],
        expected_assignment_id=wizard["expected"],
        person=Person(
            name=wizard["name"],
            phone=wizard["phone"],
            title=wizard.get("title"),
            email=wizard.get("email"),
            hours=wizard.get("hours"),
        ),
        effective_on=date.fromisoformat(wizard["date"]),
        note=wizard.get("note"),
        idempotency_key=f"ho:{update.effective_user.id}:{found.group(1)}",
    )
    try:
        async with user_action(update, context) as action:
            await query.answer()
            try:
                recorded = await record_handover(
                    action.session,
                    actor_of(update, context),
                    request,
                    today=action.today,
                    directory=action.services.contacts,
                )
            except NotAuthorized:
                await refuse(update, action.tr)
                return _end(context)
            except (FieldError, InvalidDate, UnknownTarget):
                await reply(
                    update,
                    action.tr._(
                        "Något i uppgifterna stämmer inte längre. Inget har sparats. "
                        "Börja om med /overlamning."
                    ),
                )
                return _end(context)
            await query.edit_message_reply_markup(None)
            await reply(update, _done_text(action, recorded))
    except ContactChangedMeanwhile:
        async with user_action(update, context) as action:
            await reply(
                update,
                action.tr._(
                    "Kontaktpersonen för {scope} ändrades av någon annan medan du skrev. "
                    "Inget har sparats. Börja om med /overlamning för att se den nya uppgiften."
                ).format(scope=escape(wizard["scope_name"])),
            )
    return _end(context)


def _done_text(action: Action, recorded: HandoverRecorded) -> str:
    tr = action.tr
    if recorded.duplicate:
        return tr._("Den här överlämningen är redan registrerad.")
    recipients = recorded.recipients
    text = tr._("Klart! {name} är kontaktperson från och med {date}.").format(
        name=escape(recorded.new_name), date=tr.date(recorded.effective_on)
    )
    told = tr.ngettext(
        "{count} person som följer skolan eller området får ett meddelande.",
        "{count} personer som följer skolan eller området får ett meddelande.",
        recipients,
    ).format(count=recipients)
    return f"{text}\n{told}"


def _end(context: BotContext) -> int:
    if context.user_data is not None:
        context.user_data.pop(KEY, None)
    return END


async def already_done(update: Update, context: BotContext) -> int:
    """A confirm press outside the wizard: the same update twice, or an old summary."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    found = CONFIRM_DATA.match(query.data or "")
    async with user_action(update, context) as action:
        recorded = None
        if found is not None:
            key = f"ho:{update.effective_user.id}:{found.group(1)}"
            recorded = await handover_by_key(action.session, key)
        if recorded is not None:
            await query.answer(action.tr._("Den här överlämningen är redan registrerad."))
        else:
            await stale_button(update, action.tr)
    return END


async def cancel(update: Update, context: BotContext) -> int:
    """/avbryt or the cancel button: nothing is saved."""
    async with user_action(update, context) as action:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, action.tr._("Avbrutet. Inget har sparats."))
    return _end(context)


def _wizard_handler() -> ConversationHandler[BotContext]:
    text = filters.TEXT & ~filters.COMMAND
    skip: BaseHandler[Update, BotContext, object] = CallbackQueryHandler(
        skip_or_pick, pattern=r"^ho:(skip|d:[01])$"
    )
    with warnings.catch_warnings():
        # Tracked per chat and user on purpose: the wizard's buttons and typed answers are one
        # conversation; every button is validated against the wizard's state anyway.
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        return ConversationHandler[BotContext](
            entry_points=[
                CommandHandler(["overlamning", "handover"], start_handover),
                CallbackQueryHandler(scope_button, pattern=r"^ho:[as]:"),
            ],
            states={
                SCOPE: [MessageHandler(text, scope_text)],
                NAME: [MessageHandler(text, name_text)],
                TITLE: [MessageHandler(text, title_text), skip],
                PHONE: [MessageHandler(text, phone_text)],
                EMAIL: [MessageHandler(text, email_text), skip],
                HOURS: [MessageHandler(text, hours_text), skip],
                DATE: [MessageHandler(text, date_text), skip],
                NOTE: [MessageHandler(text, note_text), skip],
                CONFIRM: [CallbackQueryHandler(confirm, pattern=r"^ho:ok:")],
            },
            fallbacks=[
                CommandHandler(["avbryt", "cancel"], cancel),
                CallbackQueryHandler(cancel, pattern=r"^ho:no$"),
            ],
            name="handover",
            allow_reentry=True,
        )


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        _wizard_handler(),
        # Outside the wizard: the same confirm delivered twice, or an old summary's buttons.
        CallbackQueryHandler(already_done, pattern=r"^ho:ok:"),
        CallbackQueryHandler(cancel, pattern=r"^ho:no$"),
    ]
