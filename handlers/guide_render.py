"""Render the concern-report guide's steps as Telegram HTML with inline buttons.

Step titles and texts come from the YAML, which the loader has already checked to be valid
Telegram HTML, so they are sent as they are; everything from the directory is escaped (by
`handlers.cards`). Pure functions: nothing here reads the database or talks to Telegram.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import Translator
from bot.services.contacts import ContactCard, ContactView
from bot.services.guide import (
    BACK,
    CANCEL,
    RESTART,
    GuidePosition,
    buttons,
    can_go_back,
    checklist,
    current_node,
    encode_callback,
    progress,
)
from bot.services.guide_summary import GuideSummary
from bot.services.lookup import EntryKind, IndexEntry
from handlers.cards import (
    contact_lines,
    cooperation_block,
    emergency_line,
    example_banner,
    place_block,
    socialjour_line,
)
from handlers.home_replies import pin_hint
from handlers.lookup_replies import Rows
from knowledge.directory import Geography
from knowledge.guide import (
    INTAKE_CONTACT,
    SCHOOL_CONTACT,
    SOCIALJOUR_CONTACT,
    Guide,
    GuideNode,
)

PICK_PREFIX = "gp"


def step_text(
    guide: Guide,
    position: GuidePosition,
    tr: Translator,
    *,
    extra: Sequence[str] = (),
    note: str | None = None,
) -> str:
    """The step's title and text in the user's language, `extra` blocks, then the progress."""
    node = current_node(guide, position)
    blocks = [note] if note else []
    body = node.text.get(tr.language)
    blocks.append(f"<b>{node.title.get(tr.language)}</b>\n\n{body}" if node.title else body)
    blocks.extend(extra)
    number, total = progress(guide, position)
    if total is None:
        blocks.append(tr._("<i>Steg {number}</i>").format(number=number))
    else:
        blocks.append(tr._("<i>Steg {number} av {total}</i>").format(number=number, total=total))
    return "\n\n".join(blocks)


def step_keyboard(
    guide: Guide, position: GuidePosition, tr: Translator, *, choices: Rows | None = None
) -> InlineKeyboardMarkup:
    """Choices (if any), the step's answers one per row, then Tillbaka / Börja om / Avbryt.

    The closing checklist only offers Börja om: the guide is over and its path is forgotten.
    """
    node = current_node(guide, position)
    rows: Rows = [list(row) for row in choices or []]
    if node.terminal:
        rows.append([_button(tr._("Börja om"), node, RESTART)])
        return InlineKeyboardMarkup(rows)
    for answer in buttons(guide, position):
        # A question's options carry their own labels; a plain step's one answer is "next".
        label = answer.label.get(tr.language) if answer.label else tr._("Nästa")
        rows.append([InlineKeyboardButton(label, callback_data=answer.data)])
    navigation = [_button(tr._("Tillbaka"), node, BACK)] if can_go_back(position) else []
    if len(position.path) > 1:
        navigation.append(_button(tr._("Börja om"), node, RESTART))
    navigation.append(_button(tr._("Avbryt"), node, CANCEL))
    rows.append(navigation)
    return InlineKeyboardMarkup(rows)


def restart_keyboard(guide: Guide, tr: Translator) -> InlineKeyboardMarkup:
    """One "Börja om" button, for a guide that is no longer running."""
    return InlineKeyboardMarkup([[_button(tr._("Börja om"), guide.node(guide.start), RESTART)]])


def _button(label: str, node: GuideNode, action: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=encode_callback(node.id, action))


# --- contact steps ---------------------------------------------------------------------------


def contact_prompt(node: GuideNode, tr: Translator) -> str | None:
    """What a contact step asks the user to type, if anything."""
    if node.contact == INTAKE_CONTACT:
        return (
            tr._(
                "✍️ Skriv barnets stadsdel eller område här, så visar jag mottagningen. "
                "Eller tryck Nästa."
            )
            + "\n"
            + pin_hint(tr)
        )
    if node.contact == SCHOOL_CONTACT:
        return tr._(
            "✍️ Skriv skolans namn här, så visar jag kontaktpersonen. "
            "Eller tryck Nästa för att hoppa över."
        )
    return None


def socialjour_block(view: ContactView | None, tr: Translator) -> str:
    """The socialjour entry from the directory; never a number of our own."""
    if view is None or not view.phone:
        return socialjour_line(view, tr)
    lines = [example_banner(tr)] if view.is_example else []
    return "\n".join([*lines, *contact_lines(view, tr)])


def acute_block(
    socialjour: ContactView | None, emergency_number: str, office_hours: bool, tr: Translator
) -> str:
    """Whom to call now: 112 first; the socialjour after office hours, else the child's intake.

    During office hours the intake unit of the child's area is the right number, so the step
    offers the areas as buttons (and takes a typed neighbourhood): one press shows the number.
    """
    lines = [emergency_line(emergency_number, tr)]
    if office_hours:
        lines.append(
            tr._(
                "☎️ <b>Nu, under kontorstid:</b> mottagningen i det område där barnet är "
                "folkbokfört. Tryck på området nedan, eller skriv stadsdelen, så visar jag "
                "numret."
            )
        )
        if socialjour is not None and socialjour.is_example:
            lines.append(example_banner(tr))
        lines.append(socialjour_line(socialjour, tr))
        return "\n".join(lines)
    lines.append(tr._("☎️ <b>Nu, efter kontorstid:</b> socialjouren."))
    return "\n".join(lines) + "\n\n" + socialjour_block(socialjour, tr)


def area_rows(node: GuideNode, geography: Geography) -> Rows:
    """The city's areas as buttons, two per row, for a step that needs the child's area."""
    buttons = [
        InlineKeyboardButton(area.name, callback_data=f"{PICK_PREFIX}:{node.id}:a:{area.id}")
        for area in geography.areas
    ]
    return [buttons[i : i + 2] for i in range(0, len(buttons), 2)]


def support_material_line(tr: Translator) -> str:
    """Where the city's support material for school–social services cooperation is."""
    return tr._(
        "📘 Stadens stödmaterial för samverkan mellan skolan och socialtjänsten: skriv "
        "/stodmaterial."
    )


def school_contact_text(card: ContactCard, tr: Translator) -> str:
    """The school's (or area's) cooperation contact, without the rest of the contact card."""
    blocks: list[list[str]] = []
    if card.cooperation is not None and card.cooperation.is_example:
        blocks.append([example_banner(tr)])
    blocks.append(place_block(card, tr))
    blocks.append(cooperation_block(card.cooperation, tr))
    return "\n\n".join("\n".join(block) for block in blocks)


def pick_data(node: GuideNode) -> Callable[[IndexEntry], str | None]:
    """The callback data of a choice at the contact step `node`: a school, else its area.

    The child's area is looked up among places only, so only the school step offers schools;
    another municipality has no area and no button.
    """

    def data(entry: IndexEntry) -> str | None:
        if entry.kind is EntryKind.SCHOOL:
            return f"{PICK_PREFIX}:{node.id}:s:{entry.ref}"
        return f"{PICK_PREFIX}:{node.id}:a:{entry.area_id}" if entry.area_id else None

    return data


# --- the closing checklist -------------------------------------------------------------------


def checklist_block(guide: Guide, position: GuidePosition, tr: Translator) -> str:
    """✅ for each topic covered on the path taken, ⬜ for the others."""
    lines = []
    for item in checklist(guide, position):
        label = item.topic.label.get(tr.language)
        if item.covered:
            lines.append(f"✅ {label}")
        else:
            lines.append(tr._("⬜ {topic} – inte genomgånget").format(topic=label))
    return "\n".join(lines)


def closing_contacts(
    node: GuideNode, socialjour: ContactView | None, emergency_number: str, tr: Translator
) -> str:
    """The contacts the checklist names; the child's area and school were never kept."""
    lines = [tr._("<b>Kontakter som gäller</b>"), emergency_line(emergency_number, tr)]
    for kind in node.contacts:
        if kind == SOCIALJOUR_CONTACT:
            if socialjour is not None and socialjour.is_example:
                lines.append(example_banner(tr))
            lines.append(socialjour_line(socialjour, tr))
        elif kind == INTAKE_CONTACT:
            lines.append(
                tr._(
                    "📍 <b>Orosanmälan:</b> mottagningen där barnet är folkbokfört. "
                    "Skriv /kontakt och stadsdelen, till exempel /kontakt Bagarmossen."
                )
            )
        elif kind == SCHOOL_CONTACT:
            lines.append(
                tr._(
                    "🏫 <b>Frågor om samverkan:</b> skolans kontaktperson i socialtjänsten. "
                    "Skriv /kontakt och skolans namn."
                )
            )
    return "\n".join(lines)


# --- the summary to keep ---------------------------------------------------------------------


def summary_text(
    summary: GuideSummary,
    socialjour: ContactView | None,
    emergency_number: str,
    tr: Translator,
) -> str:
    """The finished guide as plain lines to copy into the school's own system; nothing about
    the child, and no area: the child's area was never kept."""
    when = f"{tr.date(summary.finished_at.date())} {summary.finished_at:%H:%M}"
    lines = [tr._("Orosanmälan – genomgång i Kontaktlotsen {when}").format(when=when), ""]
    lines.append(tr._("Steg:"))
    lines += [f"- {step}" for step in summary.steps]
    lines += ["", tr._("Genomgånget:")]
    lines += [f"- {topic}" for topic in summary.covered]
    if summary.missed:
        lines += ["", tr._("Inte genomgånget:")]
        lines += [f"- {topic}" for topic in summary.missed]
    lines += ["", tr._("Kontakter:")]
    lines.append(tr._("- Akut fara: {number}").format(number=emergency_number))
    if socialjour is not None and socialjour.phone:
        example = tr._(" (exempeldata)") if socialjour.is_example else ""
        lines.append(
            tr._("- Socialjouren: {name}, {phone}{example}").format(
                name=socialjour.name, phone=socialjour.phone, example=example
            )
        )
    lines.append(tr._("- Mottagningen som tog emot anmälan: ______"))
    lines.append(tr._("- Anmälan skickad (datum, tid, hur): ______"))
    lines.append(tr._("- Pratat med (vem, när): ______"))
    intro = tr._(
        "📋 <b>Sammanfattning att spara</b> – kopiera den till skolans eget system och fyll i "
        "luckorna där. Skriv inget om barnet här i chatten."
    )
    return intro + "\n\n<pre>" + escape("\n".join(lines)) + "</pre>"
