"""/franvaro (/absence): the contact is away for a while and a deputy covers.

Flow::

    /franvaro [name] → SCOPE → START → BACK → NAME → PHONE → EMAIL → CONFIRM   (/avbryt ends)

Callback data: "fr:a:<area>"/"fr:s:<school>", "fr:d:0"/"fr:d:1" (start today/tomorrow),
"fr:skip" (no e-mail), "fr:ok:<token>" (confirm; also the idempotency key), "fr:no".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from functools import partial
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, MessageHandler, filters

from bot.services.absences import AbsenceRequest, check_back, check_start, record_absence
from bot.services.action_keys import stored_key
from bot.services.dates import parse_day
from bot.services.errors import (
    InvalidDate,
    NotAuthorized,
    OverlappingAbsence,
    UnknownTarget,
)
from bot.services.fields import CONTACT_DETAILS, FieldError, check_contact_detail
from bot.services.handovers import Person, ScopeSnapshot
from handlers.admin_common import actor_of, date_problem, new_token, stale_button
from handlers.admin_wizard import (
    Outcome,
    StepCallback,
    TextStep,
    TypedAnswers,
    cancel_wizard,
    confirm_keyboard,
    day_keyboard,
    end_wizard,
    picked_day,
    record_confirmed,
    skip_keyboard,
    summary_token,
    wizard_conversation,
    wizard_data,
)
from handlers.common import Action, BotContext, reply, user_action
from handlers.schedule_text import upcoming_line
from handlers.scope_step import ScopeStep

PREFIX = "fr"
KEY = "absence"
SCOPE, START, BACK, NAME, PHONE, EMAIL, CONFIRM = range(7)
# The typed answers, in order: where each is kept, how a rejected one is explained, what follows.
STEPS = {
    START: TextStep("starts_on", "date", BACK),
    BACK: TextStep("back_on", "date", NAME),
    NAME: TextStep("name", "name", PHONE),
    PHONE: TextStep("phone", "phone", EMAIL),
    EMAIL: TextStep("email", "email", CONFIRM),
}

_wizard = partial(wizard_data, wizard_key=KEY)
_end = partial(end_wizard, wizard_key=KEY)


async def _show_contact(
    update: Update, context: BotContext, action: Action, chosen: ScopeSnapshot
) -> int:
    """Show whose contact is away; ask from which day."""
    tr = action.tr
    if chosen.current is None or chosen.current.assignment_id is None:
        await reply(update, tr._("Det finns ingen kontaktperson registrerad där just nu."))
        return _end(context)
    name = chosen.current.deputy_for or chosen.current.name
    lines = [
        tr._("Kontaktperson för {scope}: {name}.").format(
            scope=escape(chosen.scope.name), name=escape(name)
        )
    ]
    if chosen.upcoming is not None:
        lines.append(upcoming_line(chosen.upcoming, tr))
    lines.append(
        tr._(
            "Från vilket datum är kontaktpersonen borta? Frånvaron gäller den som är "
            "kontaktperson den dagen."
        )
    )
    await reply(update, "\n".join(lines), reply_markup=day_keyboard(tr, PREFIX))
    return START


SCOPE_STEP = ScopeStep(
    permission="absence",
    prefix=PREFIX,
    wizard_key=KEY,
    state=SCOPE,
    prompt=lambda tr: tr._(
        "Frånvaro: för vilken skola eller vilket område är kontaktpersonen borta? "
        "Välj området, eller skriv skolans namn. /avbryt avbryter."
    ),
    on_chosen=_show_contact,
)


def _typed(state: int) -> StepCallback:
    """The callback for an answer typed in `state`."""

    async def answer(update: Update, context: BotContext) -> int:
        assert update.message is not None
        async with user_action(update, context) as action:
            text = update.message.text or ""
            return await ANSWERS.take(update, action, _wizard(context), state, text)

    return answer


async def start_button(update: Update, context: BotContext) -> int:
    """The "Idag" or "Imorgon" button: the first day away."""
    query = update.callback_query
    assert query is not None
    async with user_action(update, context) as action:
        await query.answer()
        day = picked_day(query.data or "", action.today)
        return await ANSWERS.take(update, action, _wizard(context), START, day.isoformat())


async def skip_email(update: Update, context: BotContext) -> int:
    """The "Hoppa över" button: the deputy has no e-mail address."""
    query = update.callback_query
    assert query is not None
    wizard = _wizard(context)
    async with user_action(update, context) as action:
        await query.answer()
        wizard["email"] = None
        return await _summary(update, action, wizard)


async def _clean(action: Action, field: str, text: str, wizard: dict[str, Any]) -> str | None:
    """Check one answer (raises FieldError or InvalidDate); returns the value to keep."""
    if field in CONTACT_DETAILS:
        return check_contact_detail(field, text)
    day = parse_day(text, action.today)
    if field == "starts_on":
        # Whose leave it is: the contact that day (today's, or one already planned to start).
        away = await check_start(action.session, wizard["scope_key"], day, action.today)
        wizard.update(expected=away.assignment_id, contact=away.name)
    else:  # back_on: after the first day away, and by the day someone else takes over
        starts_on = date.fromisoformat(wizard["starts_on"])
        await check_back(
            action.session, wizard["scope_key"], wizard["expected"], starts_on, day, action.today
        )
    return day.isoformat()


async def _ask(update: Update, action: Action, wizard: dict[str, Any], state: int) -> int:
    """Ask the question of `state`; for CONFIRM, show the summary."""
    tr = action.tr
    if state == BACK:
        name = escape(wizard["contact"])
        await reply(update, tr._("Vilket datum är {name} tillbaka?").format(name=name))
    elif state == NAME:
        await reply(update, tr._("Vem ersätter under tiden? Skriv namnet."))
    elif state == PHONE:
        await reply(update, tr._("Ersättarens telefonnummer?"))
    elif state == EMAIL:
        skip = skip_keyboard(tr, PREFIX)
        await reply(update, tr._("Ersättarens e-postadress?"), reply_markup=skip)
    else:
        return await _summary(update, action, wizard)
    return state


ANSWERS = TypedAnswers(STEPS, _clean, _ask)


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
    keyboard = confirm_keyboard(tr, PREFIX, wizard["token"])
    await reply(update, "\n".join(lines), reply_markup=keyboard)
    return CONFIRM


async def confirm(update: Update, context: BotContext) -> int:
    """Record the absence and its deputy."""
    assert update.effective_user is not None
    wizard = _wizard(context)
    token = summary_token(update, wizard, PREFIX)
    if token is None:
        async with user_action(update, context) as action:
            await stale_button(update, action.tr)
        return _end(context)
    request = _request(wizard, f"fr:{update.effective_user.id}:{token}")
    await record_confirmed(
        update,
        context,
        lambda action: _record(update, context, action, request, wizard["contact"]),
        lambda tr: tr._(
            "Kontaktpersonen ändrades medan du skrev. Inget har sparats. Börja om med /franvaro."
        ),
    )
    return _end(context)


def _request(wizard: dict[str, Any], idempotency_key: str) -> AbsenceRequest:
    return AbsenceRequest(
        scope_key=wizard["scope_key"],
        expected_assignment_id=wizard["expected"],
        starts_on=date.fromisoformat(wizard["starts_on"]),
        back_on=date.fromisoformat(wizard["back_on"]),
        deputy=Person(name=wizard["name"], phone=wizard["phone"], email=wizard.get("email")),
        idempotency_key=idempotency_key,
    )


async def _record(
    update: Update, context: BotContext, action: Action, request: AbsenceRequest, contact: str
) -> Outcome:
    """Record the absence, or say why not (a changed contact propagates)."""
    tr = action.tr
    settings = action.services.settings
    key = await stored_key(action.session, request.idempotency_key, settings.pseudonym_key)
    request = replace(request, idempotency_key=key)
    try:
        recorded = await record_absence(
            action.session,
            actor_of(update, context),
            request,
            today=action.today,
            timezone=settings.timezone,
            office_start=settings.office_hours_start,
        )
    except NotAuthorized:
        return Outcome(refused=True)
    except OverlappingAbsence:
        return Outcome(tr._("En frånvaro finns redan för en del av den perioden."))
    except InvalidDate as error:
        return Outcome(
            date_problem(error, tr) + "\n" + tr._("Inget har sparats. Börja om med /franvaro.")
        )
    except (FieldError, UnknownTarget):
        return Outcome(tr._("Något stämmer inte längre. Börja om med /franvaro."))
    text = tr._("Klart! Från {start} visas {deputy} som kontakt, tills {name} är tillbaka.")
    told = tr.ngettext(
        "{count} person som följer skolan eller området får veta det {date}.",
        "{count} personer som följer skolan eller området får veta det {date}.",
        recorded.notified,
    ).format(count=recorded.notified, date=tr.date(max(recorded.starts_on, action.today)))
    text = text.format(
        start=tr.date(recorded.starts_on),
        deputy=escape(recorded.deputy_name),
        name=escape(contact),
    )
    return Outcome(f"{text}\n{told}", done=True)


async def cancel(update: Update, context: BotContext) -> int:
    """/avbryt or the cancel button: nothing is saved."""
    return await cancel_wizard(update, context, KEY)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    text = filters.TEXT & ~filters.COMMAND
    wizard = wizard_conversation(
        "absence",
        PREFIX,
        entry_points=SCOPE_STEP.entry_points(["franvaro", "absence"]),
        states={
            SCOPE: [MessageHandler(text, SCOPE_STEP.typed)],
            START: [
                MessageHandler(text, _typed(START)),
                CallbackQueryHandler(start_button, pattern=r"^fr:d:[01]$"),
            ],
            BACK: [MessageHandler(text, _typed(BACK))],
            NAME: [MessageHandler(text, _typed(NAME))],
            PHONE: [MessageHandler(text, _typed(PHONE))],
            EMAIL: [
                MessageHandler(text, _typed(EMAIL)),
                CallbackQueryHandler(skip_email, pattern=r"^fr:skip$"),
            ],
            CONFIRM: [CallbackQueryHandler(confirm, pattern=r"^fr:ok:")],
        },
        cancel=cancel,
    )
    return [wizard]
