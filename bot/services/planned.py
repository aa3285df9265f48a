"""Handovers planned for a later day: view, correct and withdraw them until they take effect.

Nobody has been told of a planned handover yet (`bot.services.handovers`: followers hear on
its day, with the details it has then), so a correction rewrites it in place and a withdrawal
removes it: the new contact's assignment and its planned absences go, and the contact it would
have replaced is open again. The audit log keeps every version. Only the last handover planned
in a scope can change: an earlier one is what a later one replaces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Absence, Contact, ContactAssignment, Handover, Notification
from bot.services import audit
from bot.services.authz import Actor, require_admin, require_area
from bot.services.errors import (
    InvalidDate,
    InvalidDateReason,
    NotPlanned,
    SamePerson,
    UnknownTarget,
)
from bot.services.fields import check_contact_detail
from bot.services.handovers import (
    Person,
    check_effective_date,
    check_note,
    handover_scope_key,
    person_of,
    same_person,
)
from bot.services.outbox import ABSENCE
from bot.services.scopes import Scope, resolve_scope

# What a correction may change: the person's details, the day, the note.
FIELDS = ("name", "title", "phone", "email", "hours", "date", "note")


@dataclass(frozen=True)
class PlannedHandover:
    id: int
    scope: Scope
    old_name: str | None
    person: Person
    effective_on: date
    note: str | None


async def planned_handovers(
    session: AsyncSession, actor: Actor, today: date
) -> list[PlannedHandover]:
    """The handovers not yet in effect in the admin's areas (all areas for a city admin)."""
    granted = await require_admin(session, actor, "handover.planned")
    query = (
        select(Handover)
        .where(Handover.effective_on > today)
        .order_by(Handover.effective_on, Handover.id)
    )
    if granted.area_filter is not None:
        query = query.where(Handover.area_id.in_(granted.area_filter))
    return [await _view(session, handover) for handover in await session.scalars(query)]


async def planned_handover(
    session: AsyncSession, actor: Actor, handover_id: int, today: date
) -> PlannedHandover:
    """One planned handover, if the admin may change it."""
    handover, _, _ = await _changeable(session, actor, handover_id, today, "handover.view")
    return await _view(session, handover)


async def correct_handover(
    session: AsyncSession,
    actor: Actor,
    handover_id: int,
    field: str,
    raw: str | date | None,
    today: date,
) -> PlannedHandover:
    """Change one detail of a planned handover; audited with the value before and after.

    Raises `FieldError` or `InvalidDate` for a value that would be refused in the wizard.
    """
    handover, new, contact = await _changeable(
        session, actor, handover_id, today, "handover.correct"
    )
    if field not in FIELDS:
        raise UnknownTarget(field)
    before = await _view(session, handover)
    if field == "date":
        assert isinstance(raw, date)
        await _move(session, handover, new, raw, today)
    elif field == "note":
        handover.note = check_note(str(raw or "")) if raw else None
    else:
        value = check_contact_detail(field, None if raw is None else str(raw))
        if field == "name":
            assert value is not None
            if same_person(value, handover.old_name):
                raise SamePerson(handover.old_name or value)
            handover.new_name = value
        setattr(contact, field, value)
    await session.flush()
    after = await _view(session, handover)
    await audit.record(
        session,
        actor.label,
        "handover.correct",
        f"handover:{handover.id}",
        before=_json(before),
        after=_json(after),
    )
    return after


async def withdraw_handover(
    session: AsyncSession, actor: Actor, handover_id: int, today: date
) -> PlannedHandover:
    """Withdraw a planned handover; nobody was told, so nobody is told now. Audited."""
    handover, new, contact = await _changeable(
        session, actor, handover_id, today, "handover.withdraw"
    )
    shown = await _view(session, handover)
    absence_ids = list(
        await session.scalars(select(Absence.id).where(Absence.assignment_id == new.id))
    )
    for absence_id in absence_ids:  # planned leave of someone who will not start
        await session.execute(
            delete(Notification).where(Notification.dedupe_key.like(f"{ABSENCE}:{absence_id}:%"))
        )
    await session.execute(delete(Absence).where(Absence.assignment_id == new.id))
    await session.execute(delete(Notification).where(Notification.handover_id == handover.id))
    if handover.old_assignment_id is not None:
        old = await session.get(ContactAssignment, handover.old_assignment_id)
        if old is not None:
            old.valid_to = None
    await session.delete(handover)
    await session.flush()
    await session.delete(new)
    await session.flush()
    await session.delete(contact)
    await session.flush()
    await audit.record(
        session,
        actor.label,
        "handover.withdraw",
        f"handover:{handover_id}",
        before={**_json(shown), "absences_removed": absence_ids},
        after=None,
    )
    return shown


async def _changeable(
    session: AsyncSession, actor: Actor, handover_id: int, today: date, action: str
) -> tuple[Handover, ContactAssignment, Contact]:
    """The handover, its new assignment and contact, if the admin may change them now."""
    handover = await session.get(Handover, handover_id)
    if handover is None:
        await require_admin(session, actor, action)
        raise UnknownTarget(f"handover:{handover_id}")
    await require_area(session, actor, handover.area_id, action, f"handover:{handover_id}")
    new = await session.get(ContactAssignment, handover.new_assignment_id)
    contact = await session.get(Contact, new.contact_id) if new else None
    if new is None or contact is None or handover.effective_on <= today:
        raise NotPlanned()
    if new.valid_to is not None:  # a later handover replaces this one's contact
        raise NotPlanned(new.valid_to)
    return handover, new, contact


async def _move(
    session: AsyncSession, handover: Handover, new: ContactAssignment, day: date, today: date
) -> None:
    old = (
        await session.get(ContactAssignment, handover.old_assignment_id)
        if handover.old_assignment_id is not None
        else None
    )
    check_effective_date(day, today, old.valid_from if old else None)
    await _check_absences(session, old, new, day)
    if old is not None:
        old.valid_to = day
    new.valid_from = day
    handover.effective_on = day


async def _check_absences(
    session: AsyncSession, old: ContactAssignment | None, new: ContactAssignment, day: date
) -> None:
    """A new day must not leave planned leave outside its contact's time: the new contact's
    leave starting before `day`, or the old contact's running past it (`InvalidDate`)."""
    misplaced = or_(
        and_(Absence.assignment_id == new.id, Absence.starts_on < day),
        and_(Absence.assignment_id == (old.id if old else -1), Absence.back_on > day),
    )
    first = await session.scalar(select(func.min(Absence.starts_on)).where(misplaced))
    if first is not None:
        raise InvalidDate(InvalidDateReason.ABSENCE_IN_THE_WAY, first)


async def _view(session: AsyncSession, handover: Handover) -> PlannedHandover:
    scope = await resolve_scope(session, handover_scope_key(handover))
    if scope is None:  # pragma: no cover - handovers cascade with their school
        raise UnknownTarget(f"handover:{handover.id}")
    assignment = await session.get(ContactAssignment, handover.new_assignment_id)
    contact = await session.get(Contact, assignment.contact_id) if assignment else None
    person = person_of(contact) if contact else Person(handover.new_name, "")
    return PlannedHandover(
        handover.id, scope, handover.old_name, person, handover.effective_on, handover.note
    )


def _json(shown: PlannedHandover) -> dict[str, Any]:
    return {
        "scope": shown.scope.key,
        "person": shown.person.as_json(),
        "effective_on": shown.effective_on.isoformat(),
        "note": shown.note,
    }
