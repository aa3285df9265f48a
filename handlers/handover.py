"""/overlamning (/handover): a district admin records a new contact person, with a confirm step.

Flow (one conversation; its state and answers live in `wizard_sessions`, the result in the
register)::

    /overlamning [name] → SCOPE → NAME → TITLE → PHONE → EMAIL → HOURS → DATE → NOTE → CONFIRM
                                   └───────────── /avbryt ends it at any step ─────────────┘

Callback data: "ho:a:<area>"/"ho:s:<school>" (scope), "ho:skip", "ho:d:0"/"ho:d:1" (today,
tomorrow), "ho:ok:<token>" (confirm), "ho:no" (cancel). The confirm token is also the
idempotency key: the same press delivered twice records one handover.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date
from functools import partial
from html import escape
from typing import Any

from pydantic import SecretStr
from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import Translator
from bot.services.action_keys import stored_key
from bot.services.dates import parse_day
from bot.services.errors import InvalidDate, NotAuthorized, SamePerson, UnknownTarget
from bot.services.fields import CONTACT_DETAILS, FieldError, check_contact_detail
from bot.services.handovers import (
    HandoverRecorded,
    HandoverRequest,
    Person,
    ScopeSnapshot,
    check_effective_date,
    check_new_name,
    check_note,
    handover_by_key,
    record_handover,
    replaced_contact,
    same_person,
)
from handlers.admin_common import actor_of, new_token, same_person_text, stale_button
from handlers.admin_wizard import (
    Handler,
    Outcome,
    StepCallback,
    TextStep,
    TypedAnswers,
    cancel_wizard,
    confirm_keyboard,
    confirm_token,
    day_keyboard,
    end_wizard,
    picked_day,
    record_confirmed,
    skip_keyboard,
    summary_token,
    wizard_conversation,
    wizard_data,
)
from handlers.cards import contact_lines
from handlers.common import Action, BotContext, reply, user_action
from handlers.notices import person_lines
from handlers.schedule_text import upcoming_line
from handlers.scope_step import ScopeStep

PREFIX = "ho"
KEY = "handover"
SCOPE, NAME, TITLE, PHONE, EMAIL, HOURS, DATE, NOTE, CONFIRM = range(9)
END = ConversationHandler.END
# The typed answers, in order: where each is kept, how a rejected one is explained, what follows.
STEPS = {
    NAME: TextStep("name", "name", TITLE),
    TITLE: TextStep("title", "text", PHONE),
    PHONE: TextStep("phone", "phone", EMAIL),
    EMAIL: TextStep("email", "email", HOURS),
    HOURS: TextStep("hours", "text", DATE),
    DATE: TextStep("date", "date", NOTE),
    NOTE: TextStep("note", "note", CONFIRM),
}
OPTIONAL = {TITLE, EMAIL, HOURS, NOTE}  # "Hoppa över" leaves these empty
QUESTIONS: dict[int, Callable[[Translator], str]] = {
    TITLE: lambda tr: tr._("Vilken titel har hen?"),
    PHONE: lambda tr: tr._("Vilket telefonnummer? Till exempel 08-465 004 10."),
    EMAIL: lambda tr: tr._("Vilken e-postadress?"),
    HOURS: lambda tr: tr._("När går hen att nå? Till exempel: Vardagar 08.00–16.30."),
    DATE: lambda tr: tr._(
        "Från vilket datum gäller det? Skriv till exempel 1/12 eller 1 december."
    ),
    NOTE: lambda tr: tr._(
        "Vill du skicka med en kort notering till skolorna? Skriv den, eller tryck "
        "Hoppa över. Skriv inget om enskilda barn."
    ),
}

_wizard = partial(wizard_data, wizard_key=KEY)
_end = partial(end_wizard, wizard_key=KEY)


async def _show_current(
    update: Update, context: BotContext, action: Action, chosen: ScopeSnapshot
) -> int:
    """Show the chosen scope's current contact; ask for the new one's name."""
    current = chosen.current
    replaced = chosen.upcoming.name if chosen.upcoming else None
    if replaced is None and current is not None:
        replaced = current.deputy_for or current.name
    _wizard(context).update(
        expected=chosen.open_assignment_id,
        open_from=chosen.open_from.isoformat() if chosen.open_from else None,
        replaced=replaced,
    )
    tr = action.tr
    lines = [tr._("<b>{scope}</b>").format(scope=escape(chosen.scope.name))]
    if current is None:
        lines.append(tr._("Ingen kontaktperson är registrerad just nu."))
    else:
        lines += [tr._("Nuvarande kontaktperson:"), *contact_lines(current, tr)]
        if chosen.scope.is_school and chosen.open_assignment_id is None:
            lines.append(
                tr._("(Skolan har områdets kontaktperson; den nya gäller bara för skolan.)")
            )
    if chosen.upcoming is not None:
        lines += [
            "",
            tr._("Redan planerat:") + " " + upcoming_line(chosen.upcoming, tr),
            tr._(
                "Ändra eller återkalla det med /planerat. En ny överlämning här gäller efter den."
            ),
        ]
    lines += ["", tr._("Vad heter den nya kontaktpersonen?")]
    await reply(update, "\n".join(lines))
    return NAME


SCOPE_STEP = ScopeStep(
    permission="handover",
    prefix=PREFIX,
    wizard_key=KEY,
    state=SCOPE,
    prompt=lambda tr: tr._(
        "Överlämning: vilken skola eller vilket område får en ny kontaktperson? "
        "Välj området, eller skriv skolans namn. /avbryt avbryter."
    ),
    on_chosen=_show_current,
)


def _typed(state: int) -> StepCallback:
    """The callback for an answer typed in `state`."""

    async def answer(update: Update, context: BotContext) -> int:
        assert update.message is not None
        wizard = _wizard(context)
        async with user_action(update, context) as action:
            if "scope_key" not in wizard:
                await reply(update, action.tr._("Börja om med /overlamning."))
                return END
            return await ANSWERS.take(update, action, wizard, state, update.message.text or "")

    return answer


async def skip_or_pick(update: Update, context: BotContext) -> int:
    """The "Hoppa över" button of an optional question, or "Idag"/"Imorgon" for the date."""
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
        if data in (f"{PREFIX}:d:0", f"{PREFIX}:d:1") and state == DATE:
            day = picked_day(data, action.today)
            return await ANSWERS.take(update, action, wizard, DATE, day.isoformat())
        if data != f"{PREFIX}:skip" or state not in OPTIONAL:
            return int(state)
        wizard[STEPS[state].field] = None
        return await _ask(update, action, wizard, STEPS[state].next_state)


async def _clean(action: Action, field: str, text: str, wizard: dict[str, Any]) -> str | None:
    """Check one answer (raises FieldError or InvalidDate); returns the value to keep."""
    if field == "name":
        return check_new_name(text, wizard.get("replaced"))
    if field in CONTACT_DETAILS:
        return check_contact_detail(field, text)
    if field == "note":
        return check_note(text)
    day = parse_day(text, action.today)
    open_from = date.fromisoformat(wizard["open_from"]) if wizard.get("open_from") else None
    check_effective_date(day, action.today, open_from)
    return day.isoformat()


async def _ask(update: Update, action: Action, wizard: dict[str, Any], state: int) -> int:
    """Ask the question of `state`; for CONFIRM, show the summary."""
    tr = action.tr
    if state == TITLE and wizard.pop("resume", False):
        state = CONFIRM  # a name typed again after the summary: the rest is known
    wizard["state"] = state
    if state == CONFIRM:
        return await _summary(update, action, wizard)
    if state == DATE:
        await reply(update, QUESTIONS[state](tr), reply_markup=day_keyboard(tr, PREFIX))
    elif state in OPTIONAL:
        await reply(update, QUESTIONS[state](tr), reply_markup=skip_keyboard(tr, PREFIX))
    else:
        await reply(update, QUESTIONS[state](tr))
    return state


ANSWERS = TypedAnswers(STEPS, _clean, _ask)


async def _summary(update: Update, action: Action, wizard: dict[str, Any]) -> int:
    tr = action.tr
    effective_on = date.fromisoformat(wizard["date"])
    try:
        # Whom the new contact replaces on the chosen day, which need not be today's contact.
        old_name = await replaced_contact(
            action.session, wizard["scope_key"], effective_on, action.services.contacts
        )
    except UnknownTarget:
        wizard.clear()  # the school is gone: nothing left to hand over
        await reply(update, tr._("Börja om med /overlamning."))
        return END
    if old_name is not None and same_person(wizard["name"], old_name):
        # The contact planned by then: nothing would change.
        wizard.update(state=NAME, resume=True)
        await reply(update, same_person_text(old_name, tr))
        return NAME
    wizard["token"] = new_token()
    lines = [
        tr._("<b>Stämmer det här?</b>"),
        tr._("Ny kontaktperson för {scope} från och med {date}:").format(
            scope=escape(wizard["scope_name"]), date=tr.date(effective_on)
        ),
        *person_lines(wizard, tr),
    ]
    if old_name:
        lines.append(tr._("Ersätter: {name}").format(name=escape(old_name)))
    if wizard.get("note"):
        lines.append(tr._("Notering: {note}").format(note=escape(wizard["note"])))
    if effective_on > action.today:
        lines += [
            "",
            tr._(
                "Alla som följer skolan eller området får ett meddelande den dagen. Fram till "
                "dess kan du ändra eller återkalla det med /planerat."
            ),
        ]
    else:
        lines += ["", tr._("Alla som följer skolan eller området får ett meddelande.")]
    keyboard = confirm_keyboard(tr, PREFIX, wizard["token"])
    await reply(update, "\n".join(lines), reply_markup=keyboard)
    return CONFIRM


async def confirm(update: Update, context: BotContext) -> int:
    """Record the handover (one transaction: handover, audit, one notice per follower)."""
    assert update.effective_user is not None
    wizard = _wizard(context)
    token = summary_token(update, wizard, PREFIX)
    if token is None:
        return await already_done(update, context)
    request = _request(wizard, f"ho:{update.effective_user.id}:{token}")
    await record_confirmed(
        update,
        context,
        lambda action: _record(update, context, action, request),
        lambda tr: tr._(
            "Kontaktpersonen för {scope} ändrades av någon annan medan du skrev. "
            "Inget har sparats. Börja om med /overlamning för att se den nya uppgiften."
        ).format(scope=escape(wizard["scope_name"])),
    )
    return _end(context)


def _request(wizard: dict[str, Any], idempotency_key: str) -> HandoverRequest:
    return HandoverRequest(
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
        idempotency_key=idempotency_key,
    )


async def _record(
    update: Update, context: BotContext, action: Action, request: HandoverRequest
) -> Outcome:
    """Record the handover, or say why not (a changed contact propagates)."""
    key = await stored_key(action.session, request.idempotency_key, _pseudonym_key(action))
    request = replace(request, idempotency_key=key)
    try:
        recorded = await record_handover(
            action.session,
            actor_of(update, context),
            request,
            today=action.today,
            directory=action.services.contacts,
        )
    except NotAuthorized:
        return Outcome(refused=True)
    except SamePerson as error:
        return Outcome(same_person_text(error.name, action.tr))
    except (FieldError, InvalidDate, UnknownTarget):
        return Outcome(
            action.tr._(
                "Något i uppgifterna stämmer inte längre. Inget har sparats. "
                "Börja om med /overlamning."
            )
        )
    return Outcome(_done_text(action.tr, recorded), done=True)


def _done_text(tr: Translator, recorded: HandoverRecorded) -> str:
    if recorded.duplicate:
        return tr._("Den här överlämningen är redan registrerad.")
    recipients = recorded.recipients
    text = tr._("Klart! {name} är kontaktperson från och med {date}.").format(
        name=escape(recorded.new_name), date=tr.date(recorded.effective_on)
    )
    if recorded.scheduled:
        told = tr.ngettext(
            "{count} person följer skolan eller området just nu. De som följer den får ett "
            "meddelande {date}, när ändringen gäller. Till dess kan du ändra eller återkalla "
            "den med /planerat.",
            "{count} personer följer skolan eller området just nu. De som följer den får ett "
            "meddelande {date}, när ändringen gäller. Till dess kan du ändra eller återkalla "
            "den med /planerat.",
            recipients,
        ).format(count=recipients, date=tr.date(recorded.effective_on))
        return f"{text}\n{told}"
    told = tr.ngettext(
        "{count} person som följer skolan eller området får ett meddelande.",
        "{count} personer som följer skolan eller området får ett meddelande.",
        recipients,
    ).format(count=recipients)
    return f"{text}\n{told}"


async def already_done(update: Update, context: BotContext) -> int:
    """A confirm press outside the wizard: the same update twice, or an old summary."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    token = confirm_token(query.data, PREFIX)
    async with user_action(update, context) as action:
        recorded = None
        if token is not None:
            raw = f"ho:{update.effective_user.id}:{token}"
            key = await stored_key(action.session, raw, _pseudonym_key(action))
            recorded = await handover_by_key(action.session, key)
        if recorded is not None:
            await query.answer(action.tr._("Den här överlämningen är redan registrerad."))
        else:
            await stale_button(update, action.tr)
    return END


def _pseudonym_key(action: Action) -> SecretStr | None:
    return action.services.settings.pseudonym_key


async def cancel(update: Update, context: BotContext) -> int:
    """/avbryt or the cancel button: nothing is saved."""
    return await cancel_wizard(update, context, KEY)


def _wizard_handler() -> ConversationHandler[BotContext]:
    text = filters.TEXT & ~filters.COMMAND
    skip: Handler = CallbackQueryHandler(skip_or_pick, pattern=r"^ho:(skip|d:[01])$")
    return wizard_conversation(
        "handover",
        PREFIX,
        entry_points=SCOPE_STEP.entry_points(["overlamning", "handover"]),
        states={
            SCOPE: [MessageHandler(text, SCOPE_STEP.typed)],
            NAME: [MessageHandler(text, _typed(NAME))],
            TITLE: [MessageHandler(text, _typed(TITLE)), skip],
            PHONE: [MessageHandler(text, _typed(PHONE))],
            EMAIL: [MessageHandler(text, _typed(EMAIL)), skip],
            HOURS: [MessageHandler(text, _typed(HOURS)), skip],
            DATE: [MessageHandler(text, _typed(DATE)), skip],
            NOTE: [MessageHandler(text, _typed(NOTE)), skip],
            CONFIRM: [CallbackQueryHandler(confirm, pattern=r"^ho:ok:")],
        },
        cancel=cancel,
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        _wizard_handler(),
        # Outside the wizard: the same confirm delivered twice, or an old summary's buttons.
        CallbackQueryHandler(already_done, pattern=r"^ho:ok:"),
        CallbackQueryHandler(cancel, pattern=r"^ho:no$"),
    ]
