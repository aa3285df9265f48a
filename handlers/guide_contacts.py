"""What the guide's steps show from the directory: the socialjour, the child's area, the school.

The text the user types at a contact step is matched in memory by the lookup index and answered
here; it is never stored or logged. Every entry comes from the directory: no number is invented,
and a missing socialjour says "ring 112".
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup

from bot.services.directory_index import LookupAnswer
from bot.services.guide import GuidePosition, current_node
from bot.services.lookup import Outcome
from handlers.cards import render_intake, render_outside
from handlers.common import Action
from handlers.guide_render import (
    INTAKE,
    SCHOOL,
    SOCIALJOUR,
    Rows,
    checklist_block,
    choice_rows,
    closing_contacts,
    contact_prompt,
    school_contact_text,
    socialjour_block,
    step_keyboard,
    step_text,
)
from knowledge.guide import Guide, GuideNode


async def render(
    action: Action, guide: Guide, position: GuidePosition, *, note: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The current step's message and buttons, with directory entries where the step says."""
    node = current_node(guide, position)
    tr, services = action.tr, action.services
    extra: list[str] = []
    if node.kind == "contact" and node.contact == SOCIALJOUR:
        view = await services.contacts.socialjour(action.session, action.today)
        extra.append(socialjour_block(view, tr))
    elif node.kind == "contact":
        extra += [prompt] if (prompt := contact_prompt(node, tr)) else []
    elif node.kind == "checklist":
        view = await services.contacts.socialjour(action.session, action.today)
        extra.append(checklist_block(guide, position, tr))
        extra.append(closing_contacts(node, view, services.contacts.emergency_number, tr))
    text = step_text(guide, position, tr, extra=extra, note=note)
    return text, step_keyboard(guide, position, tr)


async def intake_answer(action: Action, node: GuideNode, text: str) -> tuple[str, Rows]:
    """Where the child is registered → that area's intake unit (or another municipality)."""
    tr = action.tr
    answer = await action.services.index.child_home(action.session, text, action.today)
    if answer.result.outcome is Outcome.OUTSIDE and answer.outside_municipality:
        return render_outside(answer.outside_municipality, tr), []
    if answer.intake is not None:
        place = answer.result.matches[0].entry.name
        return render_intake(answer.intake, tr, place=place), []
    if answer.result.matches:
        rows = choice_rows(
            node, answer.result.matches, action.services.geography, tr, schools=False
        )
        return tr._("Vilket område menar du?"), rows
    return (
        tr._(
            "Jag känner inte igen den platsen. Skriv en stadsdel i Stockholm, till exempel "
            "Rinkeby, eller en annan kommun, till exempel Solna. /avbryt avbryter."
        ),
        [],
    )


async def school_answer(action: Action, node: GuideNode, text: str) -> tuple[str, Rows]:
    """A school (or area) name → its cooperation contact in social services."""
    tr = action.tr
    answer: LookupAnswer = await action.services.index.answer(action.session, text, action.today)
    outcome = answer.result.outcome
    rows = choice_rows(node, answer.result.matches, action.services.geography, tr, schools=True)
    if outcome is Outcome.OUTSIDE and answer.outside_municipality:
        return render_outside(answer.outside_municipality, tr), []
    if outcome is Outcome.CONFIDENT and answer.card is not None:
        return school_contact_text(answer.card, tr), []
    if outcome is Outcome.AMBIGUOUS and rows:
        return tr._("Jag hittade flera. Vilken menar du?"), rows
    text = tr._(
        "Jag hittade ingen skola med det namnet. Skriv skolans namn igen, eller tryck Nästa."
    )
    if rows:
        text += "\n\n" + tr._("Menade du någon av dessa?")
    return text, rows


async def picked_text(action: Action, node: GuideNode, kind: str, ref: str) -> str | None:
    """The directory entry for a chosen area or school; None if the data cannot be right."""
    contacts, session, today = action.services.contacts, action.session, action.today
    if node.contact == INTAKE and kind == "a":
        intake = await contacts.intake_for_area(session, ref, today)
        return render_intake(intake, action.tr) if intake else None
    if node.contact == SCHOOL and kind == "a":
        card = await contacts.card_for_area(session, ref, today)
        return school_contact_text(card, action.tr) if card else None
    if node.contact == SCHOOL and kind == "s" and ref.isdigit():
        card = await contacts.card_for_school(session, int(ref), today)
        return school_contact_text(card, action.tr) if card else None
    return None
