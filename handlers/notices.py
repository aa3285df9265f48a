"""Render outbox notifications as Telegram HTML in the recipient's language.

The outbox stores data, not text, so each message is written in the language the recipient has
when it is sent. Every value an admin typed is escaped.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from html import escape
from typing import Any

from bot.i18n import Translator
from bot.services.outbox import ABSENCE, HANDOVER, HANDOVER_DAY, STALE_REMINDER
from bot.services.register_import import SCHOOL_CLOSED


def _scope_label(scope: dict[str, Any], tr: Translator) -> str:
    if scope.get("school_name"):
        return tr._("{school} (stadsdelsområde {area})").format(
            school=escape(scope["school_name"]), area=escape(scope["area_name"])
        )
    return tr._("stadsdelsområde {area}").format(area=escape(scope["area_name"]))


def _followed_label(payload: dict[str, Any], tr: Translator) -> str:
    """What the recipient follows: the school they follow, or the area."""
    followed = payload.get("followed")
    if not followed:  # queued before notices named it
        return _scope_label(payload["scope"], tr)
    if followed.get("is_school"):
        return escape(str(followed["name"]))
    return tr._("stadsdelsområde {area}").format(area=escape(str(followed["name"])))


def _headline_scope(payload: dict[str, Any], tr: Translator) -> str:
    """Whose contact changes, as the recipient sees it: their school when it has the area's."""
    followed = payload.get("followed") or {}
    if followed.get("is_school") and not payload["scope"].get("school_name"):
        return escape(str(followed["name"]))
    return _scope_label(payload["scope"], tr)


def reason_line(payload: dict[str, Any], tr: Translator) -> str:
    """Why the notice reaches the recipient: what they follow, and how it is concerned."""
    followed = payload.get("followed") or {}
    scope = payload["scope"]
    label = _followed_label(payload, tr)
    if followed.get("is_school") and not scope.get("school_name"):
        text = tr._(
            "Du får det här för att du följer {followed}. Skolan har ingen egen "
            "kontaktperson, så den i stadsdelsområde {area} gäller. /sluta_folja"
        )
        return text.format(followed=label, area=escape(scope["area_name"]))
    if followed and not followed.get("is_school") and scope.get("school_name"):
        text = tr._(
            "Du får det här för att du följer {followed}, där {school} ligger. /sluta_folja"
        )
        return text.format(followed=label, school=escape(scope["school_name"]))
    return tr._("Du får det här för att du följer {scope}. /sluta_folja").format(scope=label)


def person_lines(person: Mapping[str, Any], tr: Translator) -> list[str]:
    """A contact person's details (name, title, phone, e-mail, hours), escaped; the handover
    notice and the handover wizard's summary show them alike."""
    lines = [f"<b>{escape(person['name'])}</b>"]
    if person.get("title"):
        lines.append(escape(person["title"]))
    if person.get("phone"):
        lines.append(tr._("Telefon: {phone}").format(phone=escape(person["phone"])))
    if person.get("email"):
        lines.append(tr._("E-post: {email}").format(email=escape(person["email"])))
    if person.get("hours"):
        lines.append(tr._("Tider: {hours}").format(hours=escape(person["hours"])))
    return lines


def render_handover(payload: dict[str, Any], tr: Translator) -> str:
    scope = _headline_scope(payload, tr)
    new = payload["new"]
    when = tr.date(date.fromisoformat(payload["effective_on"]))
    title = tr._("🔔 <b>Ny kontaktperson i socialtjänsten för {scope}</b>").format(scope=scope)
    if payload.get("old_name"):
        change = tr._("{new} ersätter {old} från och med {date}.").format(
            new=escape(new["name"]), old=escape(payload["old_name"]), date=when
        )
    else:
        change = tr._("{new} är kontaktperson från och med {date}.").format(
            new=escape(new["name"]), date=when
        )
    blocks = [[title, change], person_lines(new, tr)]
    if payload.get("note"):
        blocks.append([tr._("Notering: {note}").format(note=escape(payload["note"]))])
    blocks.append([reason_line(payload, tr)])
    return "\n\n".join("\n".join(block) for block in blocks)


def render_absence(payload: dict[str, Any], tr: Translator) -> str:
    """A deputy covers while the contact is away: who, from when, until when."""
    scope = _headline_scope(payload, tr)
    title = tr._("🔔 <b>Ersättare för kontaktpersonen för {scope}</b>").format(scope=scope)
    period = tr._(
        "{name} är borta från {start} och tillbaka {back}. Under tiden ersätter:"
    ).format(
        name=escape(payload["name"]),
        start=tr.date(date.fromisoformat(payload["starts_on"])),
        back=tr.date(date.fromisoformat(payload["back_on"])),
    )
    blocks = [[title, period], person_lines(payload["deputy"], tr), [reason_line(payload, tr)]]
    return "\n\n".join("\n".join(block) for block in blocks)


def render_handover_day(payload: dict[str, Any], tr: Translator) -> str:
    scope = _headline_scope(payload, tr)
    new = escape(payload["new_name"])
    if payload.get("old_name"):
        text = tr._("📅 Från och med idag är {new} kontaktperson för {scope} i stället för {old}.")
        text = text.format(new=new, scope=scope, old=escape(payload["old_name"]))
    else:
        text = tr._("📅 Från och med idag är {new} kontaktperson för {scope}.")
        text = text.format(new=new, scope=scope)
    return text + "\n\n" + tr._("Skriv skolans namn för att se alla kontaktuppgifter.")


def render_stale_reminder(payload: dict[str, Any], tr: Translator) -> str:
    lines = [
        tr._("⏰ <b>Uppgifter som inte har bekräftats på {days} dagar</b>").format(
            days=payload["days"]
        )
    ]
    for entry in payload["entries"]:
        lines.append(
            tr._("• {scope}: {name} (bekräftad {date})").format(
                scope=escape(entry["scope_name"]),
                name=escape(entry["name"]),
                date=tr.date(date.fromisoformat(entry["confirmed_on"])),
            )
        )
    lines.append("")
    lines.append(tr._("Stämmer de fortfarande? Bekräfta dem med /bekrafta."))
    return "\n".join(lines)


def render_school_closed(payload: dict[str, Any], tr: Translator) -> str:
    """A followed school left Skolverket's register or is no longer active there."""
    return tr._(
        "🏫 <b>{school}</b> ({area}) finns inte längre som aktiv skolenhet i Skolverkets "
        "skolenhetsregister. Jag visar den inte längre i sökningen.\n\n"
        "Du följde skolan. Följ en annan skola eller området med /folj."
    ).format(school=escape(payload["school_name"]), area=escape(payload["area_name"]))


RENDERERS = {
    HANDOVER: render_handover,
    HANDOVER_DAY: render_handover_day,
    ABSENCE: render_absence,
    STALE_REMINDER: render_stale_reminder,
    SCHOOL_CLOSED: render_school_closed,
}


def render_notification(kind: str, payload: dict[str, Any], tr: Translator) -> str:
    """The message text for one notification; KeyError for an unknown kind or payload."""
    return RENDERERS[kind](payload, tr)
