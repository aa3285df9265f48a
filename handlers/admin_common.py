"""What the admin features share: the actor, refusals, and messages for rejected answers.

The admin wizards' frame is in `handlers.admin_wizard`, and their first step (picking a school
or area) in `handlers.scope_step`.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Awaitable, Callable
from html import escape
from typing import TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.services.authz import Actor
from bot.services.errors import InvalidDate, InvalidDateReason, NotAuthorized, UnknownTarget
from bot.services.fields import NAME_MAX_LENGTH, FieldError, PersonalNumberInText
from bot.services.handovers import SameAsReplaced
from handlers.common import Action, BotContext, reply


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


T = TypeVar("T")


async def run_button(
    update: Update,
    action: Action,
    pattern: re.Pattern[str],
    run: Callable[[re.Match[str]], Awaitable[T]],
) -> T | None:
    """Run an admin button's service call on its parsed data; None when it was answered here.

    Forged or stale data and refusals get their alert here; the service has already audited a
    refusal, and it is committed with the action's transaction.
    """
    query = update.callback_query
    assert query is not None
    found = pattern.match(query.data or "")
    try:
        if found is None:
            raise UnknownTarget(query.data or "")
        result = await run(found)
    except NotAuthorized:
        await refuse(update, action.tr)
        return None
    except UnknownTarget:
        await stale_button(update, action.tr)
        return None
    await query.answer()
    return result


def button(label: str, data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


def field_problem(error: FieldError, field: str, tr: Translator) -> str:
    """A message for a rejected value that says what to type instead."""
    if isinstance(error, SameAsReplaced):
        return same_person_text(error.name, tr)
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
            "Skriv till exempel 08-465 004 10 eller 070-174 06 10."
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


def same_person_text(name: str, tr: Translator) -> str:
    return tr._(
        "{name} är redan kontaktperson där, så det blir ingen ändring. En överlämning behövs "
        "när någon annan tar över. Skriv den nya kontaktpersonens namn, eller /avbryt."
    ).format(name=escape(name))


def date_problem(error: InvalidDate, tr: Translator) -> str:
    if error.reason is InvalidDateReason.IN_THE_PAST:
        return tr._("Det datumet har redan varit. Välj idag eller ett senare datum.")
    limit = tr.date(error.limit) if error.limit else ""
    if error.reason is InvalidDateReason.BACK_NOT_AFTER_START:
        return tr._("Dagen tillbaka måste komma efter {date}.").format(date=limit)
    if error.reason is InvalidDateReason.CROSSES_CHANGE:
        return tr._(
            "Från {date} tar en annan kontaktperson över. Frånvaron gäller en kontaktperson i "
            "taget: välj en dag tillbaka senast {date}, och lägg in den nya personens frånvaro "
            "för sig."
        ).format(date=limit)
    if error.reason is InvalidDateReason.ABSENCE_IN_THE_WAY:
        return tr._(
            "Det finns frånvaro inlagd från {date} som då skulle gälla fel kontaktperson. "
            "Välj ett annat datum."
        ).format(date=limit)
    if error.reason is InvalidDateReason.NO_CONTACT:
        return tr._("Det finns ingen kontaktperson registrerad {date}.").format(date=limit)
    if error.reason is InvalidDateReason.CONTACT_REPLACED:
        return tr._(
            "Från {date} tar en ny kontaktperson över där. Frånvaron måste börja före det datumet."
        ).format(date=limit)
    return tr._(
        "Den nuvarande kontaktpersonen gäller från {date}. Den nya måste börja senare."
    ).format(date=limit)
