"""The numbers on a contact card as address-book contacts ("Spara kontakt").

Each contact on a card with a number that `phones.parse_phone` can read becomes one
`SavedContact`: the name, the number in E.164 (what Telegram's `sendContact` needs so the
contact lands in the phone's address book and works from anywhere) and a small vCard 3.0 with
the work details. Only directory data goes in: never anything about the user or a child.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.services.contacts import ContactCard, ContactView, IntakeCard
from bot.services.phones import parse_phone

NAME_MAX = 64  # Telegram shows about this much of a contact's name
VCARD_MAX = 2048  # the Bot API's limit for `vcard`


@dataclass(frozen=True)
class SavedContact:
    first_name: str
    phone_number: str  # E.164, "+46846500400"
    vcard: str
    is_example: bool


def _escape(value: str) -> str:
    """vCard 3.0 text escaping (RFC 2426 §5): backslash, comma, semicolon, newline."""
    return (
        value.replace("\\", "\\\\")
        .replace(",", "\\,")
        .replace(";", "\\;")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def vcard(view: ContactView, e164: str, note: str | None) -> str:
    lines = [
        "BEGIN:VCARD",
        "VERSION:3.0",
        f"FN:{_escape(view.name)}",
        f"N:;{_escape(view.name)};;;",
        f"TEL;TYPE=WORK,VOICE:{e164}",
    ]
    if view.title:
        lines.append(f"TITLE:{_escape(view.title)}")
    if view.email:
        lines.append(f"EMAIL;TYPE=WORK:{_escape(view.email)}")
    if view.url:
        lines.append(f"URL:{view.url}")
    if note:
        lines.append(f"NOTE:{_escape(note)}")
    lines.append("END:VCARD")
    text = "\r\n".join(lines)
    return text if len(text.encode()) <= VCARD_MAX else ""


def saved_contact(view: ContactView | None, note: str | None = None) -> SavedContact | None:
    """The contact to save, or None when it has no number that can be read safely."""
    if view is None:
        return None
    number = parse_phone(view.phone)
    if number is None:
        return None
    return SavedContact(
        first_name=view.name[:NAME_MAX],
        phone_number=number.e164,
        vcard=vcard(view, number.e164, note),
        is_example=view.is_example,
    )


def _distinct(views: Iterable[ContactView | None], note: str | None) -> list[SavedContact]:
    saved: list[SavedContact] = []
    for view in views:
        contact = saved_contact(view, note)
        if contact is not None and contact.phone_number not in {s.phone_number for s in saved}:
            saved.append(contact)
    return saved


def card_contacts(card: ContactCard, note: str | None = None) -> list[SavedContact]:
    """The card's contacts in its own order: cooperation contact, intake unit, socialjour."""
    intake = card.intake
    return _distinct((card.cooperation, intake.intake, intake.socialjour), note)


def intake_contacts(intake: IntakeCard, note: str | None = None) -> list[SavedContact]:
    """The intake unit and the socialjour (the guide's and the home-area answer's contacts)."""
    return _distinct((intake.intake, intake.socialjour), note)
