"""Validation of the fields admins type or import: phone numbers, e-mail, dates, lengths.

Each validator returns the clean value or raises `FieldError` with a message that a district
admin can act on (in Swedish; the CLI and the import report show it as is, the bot translates the
message id).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

from bot.services.parsing import is_ascii_digits
from bot.services.privacy import contains_personal_number

NAME_MAX_LENGTH = 120
TEXT_MAX_LENGTH = 200

_EMAIL = re.compile(r"^[^@\s<>\"',;]+@[^@\s<>\"',;]+\.[a-zA-Z]{2,}$")
_PHONE_JUNK = re.compile(r"[\s\-()/.]")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


class FieldError(ValueError):
    """A field value is not acceptable; the message says why and shows an example."""


class PersonalNumberInText(FieldError):
    """A free-text field holds a personnummer; it is refused, never stored."""


def clean_text(value: str, *, max_length: int = TEXT_MAX_LENGTH, required: bool = False) -> str:
    """Strip control and direction characters and surrounding space; enforce a length."""
    text = _CONTROL.sub("", value).strip()
    if required and not text:
        raise FieldError("får inte vara tomt")
    if len(text) > max_length:
        raise FieldError(f"är för långt ({len(text)} tecken, högst {max_length})")
    return text


def check_free_text(raw: str, *, max_length: int, required: bool = False) -> str:
    """Cleaned text (`clean_text`) that holds nothing like a personnummer.

    Whatever an admin types or imports may reach every follower; a child's personnummer must
    never be stored (nor echoed back), so the message does not repeat the value.
    """
    text = clean_text(raw, max_length=max_length, required=required)
    if contains_personal_number(text):
        raise PersonalNumberInText("innehåller något som liknar ett personnummer")
    return text


def check_name(raw: str) -> str:
    return check_free_text(raw, max_length=NAME_MAX_LENGTH, required=True)


def check_short_text(raw: str) -> str | None:
    """A short optional field (title, hours): empty means none."""
    return check_free_text(raw, max_length=NAME_MAX_LENGTH) or None


def normalise_phone(raw: str) -> str:
    """Return a Swedish phone number in national display form, e.g. "08-465 004 12".

    Accepts +46, 0046 and 0 prefixes with any spaces, hyphens or parentheses.
    """
    text = clean_text(raw, max_length=40, required=True)
    digits = _PHONE_JUNK.sub("", text)
    if digits.startswith("+46"):
        digits = "0" + digits[3:]
    elif digits.startswith("0046"):
        digits = "0" + digits[4:]
    if digits.startswith("0(0)"):
        digits = "0" + digits[4:]
    if not is_ascii_digits(digits) or not digits.startswith("0") or digits.startswith("00"):
        raise FieldError("är inget svenskt telefonnummer (exempel: 08-465 004 12)")
    national = digits[1:]
    if not 7 <= len(national) <= 9:
        raise FieldError("har fel antal siffror (exempel: 08-465 004 12 eller 070-174 06 05)")
    return _display(digits, text)


_GROUPS = {5: (3, 2), 6: (2, 2, 2), 7: (3, 2, 2), 8: (3, 3, 2)}


def _group(subscriber: str) -> str:
    # The Swedish writing standard (SS 636217) groups subscriber numbers like "465 004 12".
    sizes = _GROUPS.get(len(subscriber))
    if sizes is None:
        return subscriber
    parts, position = [], 0
    for size in sizes:
        parts.append(subscriber[position : position + size])
        position += size
    return " ".join(parts)


def _display(digits: str, typed: str) -> str:
    if digits.startswith("08"):
        area, subscriber = "08", digits[2:]
    elif digits.startswith("07"):
        area, subscriber = digits[:3], digits[3:]
    elif "-" in typed:
        # Area codes other than 08 and mobile vary in length; trust where the admin put the dash.
        area_part = _PHONE_JUNK.sub("", typed.split("-", 1)[0])
        area_part = "0" + area_part[3:] if area_part.startswith("+46") else area_part
        if digits.startswith(area_part) and 2 <= len(area_part) <= 4:
            area, subscriber = area_part, digits[len(area_part) :]
        else:
            area, subscriber = digits[:3], digits[3:]
    else:
        area, subscriber = digits[:3], digits[3:]
    return f"{area}-{_group(subscriber)}"


def normalise_email(raw: str) -> str:
    text = clean_text(raw, required=True)
    if not _EMAIL.match(text):
        raise FieldError("är ingen giltig e-postadress (exempel: namn@stockholm.se)")
    return text.lower()


# How each contact detail an admin types is checked (each raises FieldError) and cleaned: the
# handover and absence wizards check every answer with it, and `Person.checked` again on confirm.
CONTACT_DETAILS: dict[str, Callable[[str], str | None]] = {
    "name": check_name,
    "title": check_short_text,
    "phone": normalise_phone,
    "email": normalise_email,
    "hours": check_short_text,
}
REQUIRED_DETAILS = frozenset({"name", "phone"})


def check_contact_detail(field: str, raw: str | None) -> str | None:
    """One contact detail, checked and cleaned; an optional one left empty is None."""
    if not raw and field not in REQUIRED_DETAILS:
        return None
    return CONTACT_DETAILS[field](raw or "")


def parse_iso_date(raw: str) -> date:
    text = clean_text(raw, max_length=10, required=True)
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise FieldError("är inget datum på formen ÅÅÅÅ-MM-DD (exempel: 2026-12-01)") from error


def normalise_skolenhetskod(raw: str) -> str | None:
    text = clean_text(raw, max_length=20)
    if not text:
        return None
    if not is_ascii_digits(text) or len(text) != 8:
        raise FieldError("ska vara åtta siffror (exempel: 12345678)")
    return text
