"""Absences: the contact is away from one day until the day they are back; a deputy covers.

The absence belongs to the assignment in force for the chosen scope (for a school without its
own contact, that is its area's), so every lookup that would show the contact shows the deputy
and the day the contact is back (`ContactDirectory` resolves it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.models import Absence, Contact
from bot.services import audit
from bot.services.authz import Actor, require_scope
from bot.services.errors import (
    ContactChangedMeanwhile,
    InvalidDate,
    InvalidDateReason,
    OverlappingAbsence,
)
from bot.services.handovers import ROLE, Person
from bot.services.scopes import Scope, assignment_on


@dataclass(frozen=True)
class AbsenceRequest:
    scope_key: str
    # The assignment the wizard showed; the absence is refused if another one is now in force.
    expected_assignment_id: int
    starts_on: date
    back_on: date
    deputy: Person
    idempotency_key: str


@dataclass(frozen=True)
class AbsenceRecorded:
    absence_id: int
    scope: Scope
    contact_name: str
    deputy_name: str
    starts_on: date
    back_on: date
    duplicate: bool = False


def check_period(starts_on: date, back_on: date | None, today: date) -> None:
    if starts_on < today:
        raise InvalidDate(InvalidDateReason.IN_THE_PAST)
    if back_on is not None and back_on <= starts_on:
        raise InvalidDate(InvalidDateReason.BACK_NOT_AFTER_START, starts_on)


async def record_absence(
    session: AsyncSession, actor: Actor, request: AbsenceRequest, *, today: date
) -> AbsenceRecorded:
    """Record an absence with its deputy; audit it."""
    scope = await require_scope(session, actor, request.scope_key, "absence")
    existing = await session.scalar(
        select(Absence).where(Absence.idempotency_key == request.idempotency_key)
    )
    if existing is not None:
        deputy = await session.get(Contact, existing.deputy_id)
        return AbsenceRecorded(
            existing.id,
            scope,
            "",
            deputy.name if deputy else "",
            existing.starts_on,
            existing.back_on,
            duplicate=True,
        )
    person = request.deputy.checked()
    check_period(request.starts_on, request.back_on, today)
    assignment = await assignment_on(session, scope, ROLE, request.starts_on)
    if assignment is None or assignment.id != request.expected_assignment_id:
        raise ContactChangedMeanwhile()
    contact = await session.get(Contact, assignment.contact_id)
    overlapping = await session.scalar(
        select(Absence.id).where(
            Absence.assignment_id == assignment.id,
            Absence.starts_on < request.back_on,
            Absence.back_on > request.starts_on,
        )
    )
    if overlapping is not None:
        raise OverlappingAbsence()
    deputy = person.new_contact()
    session.add(deputy)
    await session.flush()
    absence = Absence(
        assignment_id=assignment.id,
        deputy_id=deputy.id,
        starts_on=request.starts_on,
        back_on=request.back_on,
        idempotency_key=request.idempotency_key,
        recorded_by=actor.label,
        recorded_at=utcnow(),
    )
    session.add(absence)
    await session.flush()
    await audit.record(
        session,
        actor.label,
        "absence.record",
        scope.key,
        before=None,
        after={
            "absence_id": absence.id,
            "assignment_id": assignment.id,
            "deputy": person.as_json(),
            "starts_on": request.starts_on.isoformat(),
            "back_on": request.back_on.isoformat(),
        },
    )
    return AbsenceRecorded(
        absence.id,
        scope,
        contact.name if contact else "",
        person.name,
        request.starts_on,
        request.back_on,
    )
