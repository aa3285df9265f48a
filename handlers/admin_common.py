"""What the admin features share: the actor, refusals, picking a school or area, field errors.

Scope buttons carry "<prefix>:a:<area id>" or "<prefix>:s:<school id>" (under 64 bytes). A press
is never trusted: the service resolves the key and checks the admin's scope every time, so a
forged or stale button gets a polite refusal, and the refusal is audited.
"""

from __future__ import annotations

import secrets
from enum import Enum
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.services.authz import Actor, Permissions
from bot.services.errors import InvalidDate, InvalidDateReason, NotAuthorized, UnknownTarget
from bot.services.fields import NAME_MAX_LENGTH, FieldError
from bot.services.handovers import PersonalNumberInText, ScopeSnapshot, snapshot
from bot.services.lookup import Outcome
from bot.services.scopes import Scope, scope_candidates
from handlers.common import Action, BotContext, reply

MAX_BUTTONS = 5


class Pick(Enum):
    """Why no scope was chosen: still waiting for the admin, or refused (ends the wizard)."""

    WAITING = "waiting"
    REFUSED = "refused"


def actor_of(update: Update, context: BotContext) -> Actor:
    user = update.effective_user
    assert user is not None
    return Actor.telegram(user.id, context.services.settings.city_admin_ids)


def new_token() -> str:
    """A short random token for a wizard's confirm button (and its idempotency key)."""
    return secrets.token_hex(6)


def not_allowed_text(tr: Translator) -> str:
    return tr._(
        "Det här kan bara administratörer för området göra. Har du fått en kod, skriv /kod "
        "följt av koden."
    )


async def refuse(update: Update, tr: Translator) -> None:
    """The permission refusal, as an alert on a button press or as a message."""
    if update.callback_query is not None:
        await update.callback_query.answer(not_allowed_text(tr), show_alert=True)
    else:
        await reply(update, not_allowed_text(tr))


async def stale_button(update: Update, tr: Translator) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(
        tr._("Den knappen fungerar inte längre. Börja om med kommandot."), show_alert=True
    )


def scope_keyboard(scopes: list[Scope], prefix: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(s.name, callback_data=f"{prefix}:{s.key}") for s in scopes]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def button(label: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


async def choose_scope(
    update: Update, action: Action, actor: Actor, key: str, what: str
) -> ScopeSnapshot | Pick:
    """Resolve and authorise a chosen scope; on a refusal, say so."""
    try:
        return await snapshot(
            action.session, actor, key, action.today, action.services.contacts, action=what
        )
    except NotAuthorized:
        await refuse(update, action.tr)
        return Pick.REFUSED
    except UnknownTarget:
        if update.callback_query is not None:
            await stale_button(update, action.tr)
            return Pick.REFUSED
        await reply(update, action.tr._("Jag hittar inte den skolan eller det området."))
        return Pick.WAITING


async def scope_from_text(
    update: Update, action: Action, actor: Actor, text: str, granted: Permissions, prefix: str
) -> ScopeSnapshot | Pick:
    """A typed school or area name: one match → that scope; several → buttons; none → say so."""
    answer = await action.services.index.answer(action.session, text, action.today)
    candidates = scope_candidates(answer.result.matches)
    if answer.result.outcome is Outcome.CONFIDENT and candidates:
        # Another area's school is refused (and audited) by the service, not filtered here.
        return await choose_scope(update, action, actor, candidates[0].key, prefix_action(prefix))
    mine = [c for c in candidates if granted.covers(c.area_id)]
    if mine:
        rows = [
            [InlineKeyboardButton(c.name, callback_data=f"{prefix}:{c.key}")]
            for c in mine[:MAX_BUTTONS]
        ]
        await reply(
            update,
            action.tr._("Vilken menar du?"),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return Pick.WAITING
    await reply(
        update,
        action.tr._(
            "Jag hittar ingen skola eller inget område med det namnet bland dem du ansvarar för. "
            "Försök igen, eller /avbryt."
        ),
    )
    return Pick.WAITING


PREFIX_ACTIONS = {"ho": "handover", "fr": "absence"}


def prefix_action(prefix: str) -> str:
    return PREFIX_ACTIONS.get(prefix, prefix)


def field_problem(error: FieldError, field: str, tr: Translator) -> str:
    """A message for a rejected value that says what to type instead."""
    if isinstance(error, PersonalNumberInText):
        return tr._(
            "Det där innehåller något som liknar ett personnummer, och det sparar jag inte. "
            "Skriv igen utan det."
        )
    messages = {
        "name": tr._("Skriv namnet, högst {max} tecken.").format(max=NAME_MAX_LENGTH),
        "text": tr._("Skriv en kortare text, högst {max} tecken.").format(max=NAME_MAX_LENGTH),
        "phone": tr._(
            "Det ser inte ut som ett svenskt telefonnummer. "
            "Skriv till exempel 08-508 000 00 eller 070-123 45 67."
        ),
        "email": tr._(
            "Det är ingen giltig e-postadress. Skriv till exempel fornamn.efternamn@stockholm.se."
        ),
        "date": tr._(
            "Det förstår jag inte som ett datum. Skriv till exempel imorgon, 1/12, "
            "2026-12-01 eller 1 december."
        ),
        "note": tr._("Noteringen är för lång. Skriv högst 500 tecken."),
    }
    return messages[field]


def date_problem(error: InvalidDate, tr: Translator) -> str:
    if error.reason is InvalidDateReason.IN_THE_PAST:
        return tr._("Det datumet har redan varit. Välj idag eller ett senare datum.")
    limit = tr.date(error.limit) if error.limit else ""
    if error.reason is InvalidDateReason.BACK_NOT_AFTER_START:
        return tr._("Dagen tillbaka måste komma efter {date}.").format(date=limit)
    return tr._(
        "Den nuvarande kontaktpersonen gäller från {date}. Den nya måste börja senare."
    ).format(date=limit)


def person_summary(data: dict[str, str | None], tr: Translator) -> list[str]:
    lines = [f"<b>{escape(data['name'] or '')}</b>"]
    if data.get("title"):
        lines.append(escape(data["title"] or ""))
    lines.append(tr._("Telefon: {phone}").format(phone=escape(data["phone"] or "")))
    if data.get("email"):
        lines.append(tr._("E-post: {email}").format(email=escape(data["email"] or "")))
    if data.get("hours"):
        lines.append(tr._("Tider: {hours}").format(hours=escape(data["hours"] or "")))
    return lines
