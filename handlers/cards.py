"""Render contact cards as Telegram HTML, escaping every value that comes from the directory."""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from bot.models import Operator, SchoolKind
from bot.services.contacts import ContactCard, ContactView, IntakeCard
from bot.services.phones import tappable
from handlers.schedule_text import upcoming_line


def kind_label(kind: str, tr: Translator) -> str:
    labels = {
        SchoolKind.GRUNDSKOLA.value: tr._("Grundskola"),
        SchoolKind.GYMNASIUM.value: tr._("Gymnasium"),
        SchoolKind.ANPASSAD_SKOLA.value: tr._("Anpassad skola"),
        SchoolKind.SPECIAL_GROUP.value: tr._("Särskild undervisningsgrupp (RSU/CSU)"),
    }
    return labels.get(kind, escape(kind))


def operator_label(operator: str, tr: Translator) -> str:
    if operator == Operator.INDEPENDENT.value:
        return tr._("fristående")
    if operator == Operator.STATE.value:
        return tr._("statlig")
    return tr._("kommunal")


def example_banner(tr: Translator) -> str:
    return tr._("⚠️ <b>EXEMPELDATA</b> – påhittade kontaktuppgifter. Ring inte.")


def phone_text(phone: str | None) -> str:
    """International form first, which Telegram makes tappable; the national form beside it."""
    return escape(tappable(phone) or "")


def contact_lines(view: ContactView, tr: Translator) -> list[str]:
    lines = [f"<b>{escape(view.name)}</b>"]
    if view.deputy_for and view.back_on:
        lines.append(
            tr._("Ersätter {name}, som är tillbaka {date}.").format(
                name=escape(view.deputy_for), date=tr.date(view.back_on)
            )
        )
    if view.title:
        lines.append(escape(view.title))
    if view.phone:
        lines.append(tr._("Telefon: {phone}").format(phone=phone_text(view.phone)))
    if view.email:
        lines.append(
            tr._("E-post (inte för uppgifter om barnet): {email}").format(email=escape(view.email))
        )
    if view.hours:
        lines.append(tr._("Tider: {hours}").format(hours=escape(view.hours)))
    if view.url:
        lines.append(tr._("E-tjänst: {url}").format(url=escape(view.url)))
    confirmed = tr.date(view.confirmed_on)
    if view.is_stale:
        lines.append(
            tr._(
                "⚠️ Inte bekräftad sedan {date} – kan vara inaktuell. Når du inte fram: ring "
                "stadens växel och fråga efter socialtjänsten i området. Akut fara: 112."
            ).format(date=confirmed)
        )
    else:
        lines.append(tr._("Bekräftad {date}").format(date=confirmed))
    return lines


def emergency_line(number: str, tr: Translator) -> str:
    return tr._("🚨 <b>Akut fara för barnet:</b> ring {number}.").format(number=escape(number))


def socialjour_line(jour: ContactView | None, tr: Translator) -> str:
    """The socialjour's number for after office hours; without one, never a number of our own."""
    if jour is None or not jour.phone:
        return tr._(
            "🌙 <b>Efter kontorstid:</b> socialjourens nummer saknas i registret – ring 112."
        )
    hours = f" ({escape(jour.hours)})" if jour.hours else ""
    return tr._("🌙 <b>Efter kontorstid:</b> socialjouren, {phone}{hours}.").format(
        phone=phone_text(jour.phone), hours=hours
    )


def emergency_lines(intake: IntakeCard, tr: Translator) -> list[str]:
    return [emergency_line(intake.emergency_number, tr), socialjour_line(intake.socialjour, tr)]


def phone_hours_passed_line(tr: Translator) -> str:
    """What to do when the intake unit's phone time is over for today."""
    return tr._(
        "📞 <b>Telefontiden är slut för i dag.</b> Skicka anmälan skriftligt på det sätt "
        "mottagningen anvisar, till exempel e-tjänsten, eller ring stadens växel. "
        "Kan det inte vänta: ring socialjouren. Akut fara: 112."
    )


def intake_block(intake: IntakeCard, tr: Translator) -> list[str]:
    title = tr._("<b>Orosanmälan – mottagningen i {area}</b>").format(
        area=escape(intake.area.name)
    )
    if intake.intake is None:
        return [title, tr._("Uppgift saknas i registret just nu. Vid fara för barnet: ring 112.")]
    after = [phone_hours_passed_line(tr)] if intake.phone_hours_passed else []
    return [title, *contact_lines(intake.intake, tr), *after]


def place_block(card: ContactCard, tr: Translator, place: str | None = None) -> list[str]:
    """The school with its kind and area, else the `place` asked about, else just the area."""
    area = escape(card.area.name)
    if card.school is not None:
        return [
            f"🏫 <b>{escape(card.school.name)}</b>",
            tr._("{kind}, {operator} · stadsdelsområde {area}").format(
                kind=kind_label(card.school.kind, tr),
                operator=operator_label(card.school.operator, tr),
                area=area,
            ),
        ]
    if place is not None and place != card.area.name:
        return [
            f"📍 <b>{escape(place)}</b>",
            tr._("ingår i stadsdelsområde {area}").format(area=area),
        ]
    return [tr._("📍 <b>Stadsdelsområde {area}</b>").format(area=area)]


def cooperation_block(cooperation: ContactView | None, tr: Translator) -> list[str]:
    """The school's (or area's) cooperation contact in social services."""
    lines = [tr._("<b>Kontaktperson i socialtjänsten för skolor</b>")]
    if cooperation is None:
        return [*lines, tr._("Ingen kontaktperson är registrerad just nu.")]
    return [*lines, *contact_lines(cooperation, tr)]


def render_card(
    card: ContactCard, tr: Translator, *, office_hours: bool, place: str | None = None
) -> str:
    """The contact card: school and area, cooperation contact, intake unit, emergency lines."""
    blocks: list[list[str]] = []
    if card.shows_example_data:
        blocks.append([example_banner(tr)])
    if not office_hours:
        blocks.append(
            [tr._("🌙 Det är utanför kontorstid. Kan det inte vänta: ring socialjouren.")]
        )
    blocks.append(place_block(card, tr, place))
    blocks.append(cooperation_block(card.cooperation, tr))
    if card.upcoming is not None:  # a planned handover: "Från 7 december: …"
        blocks[-1].append(upcoming_line(card.upcoming, tr))
    intake = intake_block(card.intake, tr)
    intake.insert(
        1,
        tr._(
            "Anmälan görs där barnet är <b>folkbokfört</b> – det behöver inte vara skolans område."
        ),
    )
    blocks.append(intake)
    blocks.append(emergency_lines(card.intake, tr))
    return "\n\n".join("\n".join(block) for block in blocks)


def render_intake(intake: IntakeCard, tr: Translator, *, place: str | None = None) -> str:
    """The intake unit for the child's home area, on its own."""
    blocks: list[list[str]] = []
    if (intake.intake and intake.intake.is_example) or (
        intake.socialjour and intake.socialjour.is_example
    ):
        blocks.append([example_banner(tr)])
    if place is not None and place != intake.area.name:
        blocks.append(
            [
                tr._("{place} ingår i stadsdelsområde {area}.").format(
                    place=escape(place), area=escape(intake.area.name)
                )
            ]
        )
    blocks.append(intake_block(intake, tr))
    blocks.append(emergency_lines(intake, tr))
    return "\n\n".join("\n".join(block) for block in blocks)


def render_outside(municipality: str, tr: Translator) -> str:
    return tr._(
        "{name} är en annan kommun än Stockholm. Kontakta socialtjänsten i {name} – "
        "orosanmälan görs i den kommun där barnet är folkbokfört.\n\n"
        "🚨 Akut fara för barnet: ring 112."
    ).format(name=escape(municipality))
