"""What the guide's steps show from the directory: the socialjour, the child's area, the school.

The text the user types at a contact step is matched in memory by the lookup index and answered
here; it is never stored or logged. Every entry comes from the directory: no number is invented,
and a missing socialjour says "ring 112".
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.services.guide import GuidePosition, current_node
from bot.services.parsing import parse_row_id
from handlers.cards import render_intake
from handlers.common import Action
from handlers.guide_render import (
    acute_block,
    area_rows,
    checklist_block,
    closing_contacts,
    contact_prompt,
    pick_data,
    school_contact_text,
    socialjour_block,
    step_keyboard,
    step_text,
    support_material_line,
)
from handlers.lookup_replies import Reply, Rows, choice_rows, home_reply, lookup_reply
from knowledge.guide import (
    ACUTE_CONTACT,
    INTAKE_CONTACT,
    SCHOOL_CONTACT,
    SOCIALJOUR_CONTACT,
    Guide,
    GuideNode,
)

# Contact steps whose typed text (or pressed area) is the child's area: they show its intake.
AREA_STEPS = frozenset({INTAKE_CONTACT, ACUTE_CONTACT})


async def render(
    action: Action, guide: Guide, position: GuidePosition, *, note: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The current step's message and buttons, with directory entries where the step says."""
    node = current_node(guide, position)
    tr, services = action.tr, action.services
    extra: list[str] = []
    choices: Rows = []
    if node.kind == "contact" and node.contact == SOCIALJOUR_CONTACT:
        view = await services.cards.socialjour(action.session, action.today)
        extra.append(socialjour_block(view, tr))
    elif node.kind == "contact" and node.contact == ACUTE_CONTACT:
        view = await services.cards.socialjour(action.session, action.today)
        office_hours = services.is_office_hours()
        extra.append(acute_block(view, services.cards.emergency_number, office_hours, tr))
        choices = area_rows(node, services.geography) if office_hours else []
    elif node.kind == "contact":
        extra += [prompt] if (prompt := contact_prompt(node, tr)) else []
    elif node.kind == "checklist":
        view = await services.cards.socialjour(action.session, action.today)
        extra.append(checklist_block(guide, position, tr))
        extra.append(closing_contacts(node, view, services.cards.emergency_number, tr))
        extra.append(support_material_line(tr))
    text = step_text(guide, position, tr, extra=extra, note=note)
    return text, step_keyboard(guide, position, tr, choices=choices)


async def contact_answer(action: Action, node: GuideNode, text: str) -> tuple[str, Rows]:
    """Text typed at a contact step → the directory entry, or choices to press.

    At the child's-area step: that area's intake unit (as "the child lives elsewhere" answers).
    At the school step: the school's (or area's) cooperation contact, not the whole card.
    """
    tr, index = action.tr, action.services.index
    found: Reply
    if node.contact in AREA_STEPS:
        found = home_reply(await index.child_home(action.session, text, action.today), tr)
    else:
        not_found = tr._(
            "Jag hittade ingen skola med det namnet. Skriv skolans namn igen, eller tryck Nästa."
        )
        found = lookup_reply(
            await index.answer(action.session, text, action.today),
            tr,
            card_text=lambda card, _place: school_contact_text(card, tr),
            not_found=not_found,
        )
    rows = choice_rows(found.choices, action.services.geography, tr, pick_data(node))
    return found.text, rows


async def picked_text(action: Action, node: GuideNode, kind: str, ref: str) -> str | None:
    """The directory entry for a chosen area or school; None if the data cannot be right."""
    contacts, session, today = action.services.cards, action.session, action.today
    if node.contact in AREA_STEPS and kind == "a":
        intake = await contacts.intake_for_area(session, ref, today)
        return render_intake(intake, action.tr) if intake else None
    if node.contact == SCHOOL_CONTACT and kind == "a":
        card = await contacts.card_for_area(session, ref, today)
        return school_contact_text(card, action.tr) if card else None
    school_id = parse_row_id(ref) if kind == "s" else None
    if node.contact == SCHOOL_CONTACT and school_id is not None:
        card = await contacts.card_for_school(session, school_id, today)
        return school_contact_text(card, action.tr) if card else None
    return None
