"""Absences: the contact is away from one day until the day they are back; a deputy covers.

The absence belongs to the assignment in force for the chosen scope (for a school without its
own contact, that is its area's), so every lookup that would show the contact shows the deputy
and the day the contact is back (`ContactDirectory` resolves it).

The wizard shows today's contact. When a handover is already planned, that contact is only the
contact until its day: an absence starting on or after it is refused with the day
(`InvalidDate`, `CONTACT_REPLACED`), so the admin can pick an earlier day, or record the
absence of the new contact once they are in force.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import session_now
from bot.models import Absence, Contact, ContactAssignment
from bot.services import audit
from bot.services.authz import Actor, require_scope
from bot.services.errors import (
    ContactChangedMeanwhile,
    InvalidDate,
    InvalidDateReason,
    OverlappingAbsence,
    UnknownTarget,
)
from bot.services.handovers import ROLE, Person
from bot.services.scopes import Scope, assignment_on, change_days, resolve_scope


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
    deputy_name: str
    starts_on: date
    back_on: date
    duplicate: bool = False


def check_period(starts_on: date, back_on: date | None, today: date) -> None:
    if starts_on < today:
        raise InvalidDate(InvalidDateReason.IN_THE_PAST)
    if back_on is not None and back_on <= starts_on:
        raise InvalidDate(InvalidDateReason.BACK_NOT_AFTER_START, starts_on)


async def check_start(
    session: AsyncSession, key: str, expected_assignment_id: int, starts_on: date, today: date
) -> None:
    """The wizard's first-day question: not in the past, and the contact shown today is still
    the contact that day (`InvalidDate`); `record_absence` checks it all again."""
    check_period(starts_on, None, today)
    scope = await resolve_scope(session, key)
    if scope is None:
        raise UnknownTarget(key)
    await _assignment_away(session, scope, expected_assignment_id, starts_on, today)


async def _assignment_away(
    session: AsyncSession, scope: Scope, expected_id: int, starts_on: date, today: date
) -> ContactAssignment:
    """The assignment whose contact is away: the one shown today, if still in force then."""
    on_start = await assignment_on(session, scope, ROLE, starts_on)
    if on_start is not None and on_start.id == expected_id:
        return on_start
    shown = await assignment_on(session, scope, ROLE, today)
    if shown is None or shown.id != expected_id:
        raise ContactChangedMeanwhile()  # not what the wizard showed: someone changed it
    # A planned change: find its day (usually one candidate, so one more query or two).
    for day in await change_days(session, scope, ROLE, today, starts_on):
        current = await assignment_on(session, scope, ROLE, day)
        if current is None or current.id != expected_id:
            raise InvalidDate(InvalidDateReason.CONTACT_REPLACED, day)
    raise InvalidDate(InvalidDateReason.CONTACT_REPLACED, starts_on)  # pragma: no cover


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
            deputy.name if deputy else "",
            existing.starts_on,
            existing.back_on,
            duplicate=True,
        )
    person = request.deputy.checked()
    check_period(request.starts_on, request.back_on, today)
    assignment = await _assignment_away(
        session, scope, request.expected_assignment_id, request.starts_on, today
    )
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
        recorded_at=session_now(session),
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
        person.name,
        request.starts_on,
        request.back_on,
    )
