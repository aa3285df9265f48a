"""Absences: the contact is away from one day until the day they are back; a deputy covers.

The absence belongs to the assignment in force on its first day, for the chosen scope (for a
school without its own contact, that is its area's): today's contact, or one whose handover is
planned (an admin plans the new contact's leave before they start). Every lookup that would
show the contact shows the deputy and the day the contact is back (`ContactDirectory`). An
absence covers one contact: it must end by the day another one takes over
(`InvalidDate`, `CROSSES_CHANGE`).

The followers are told through the outbox, on the first day away (or at once when that is
today), like a handover: who is away, until when, and who covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import session_now
from bot.models import Absence, Contact, ContactAssignment
from bot.services import audit
from bot.services.announce import announce
from bot.services.authz import Actor, require_scope
from bot.services.errors import (
    ContactChangedMeanwhile,
    InvalidDate,
    InvalidDateReason,
    OverlappingAbsence,
    UnknownTarget,
)
from bot.services.handovers import ROLE, Person
from bot.services.outbox import ABSENCE
from bot.services.scopes import Scope, assignment_on, change_days, resolve_scope


@dataclass(frozen=True)
class AwayContact:
    """The contact in force on an absence's first day: whose absence it is."""

    assignment_id: int
    name: str


@dataclass(frozen=True)
class AbsenceRequest:
    scope_key: str
    # The assignment in force on the first day as the wizard showed it; the absence is refused
    # if another one is in force then by now.
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
    # Followers told (on the first day away, or now when that is today).
    notified: int = 0


def check_period(starts_on: date, back_on: date | None, today: date) -> None:
    if starts_on < today:
        raise InvalidDate(InvalidDateReason.IN_THE_PAST)
    if back_on is not None and back_on <= starts_on:
        raise InvalidDate(InvalidDateReason.BACK_NOT_AFTER_START, starts_on)


async def check_start(
    session: AsyncSession, key: str, starts_on: date, today: date
) -> AwayContact:
    """The wizard's first-day question: not in the past, and whose contact it is that day
    (today's, or one whose handover is planned by then); `record_absence` checks it again."""
    check_period(starts_on, None, today)
    scope = await resolve_scope(session, key)
    if scope is None:
        raise UnknownTarget(key)
    assignment = await assignment_on(session, scope, ROLE, starts_on)
    if assignment is None:
        raise InvalidDate(InvalidDateReason.NO_CONTACT, starts_on)
    contact = await session.get(Contact, assignment.contact_id)
    return AwayContact(assignment.id, contact.name if contact else "")


async def check_back(
    session: AsyncSession,
    key: str,
    expected_assignment_id: int,
    starts_on: date,
    back_on: date,
    today: date,
) -> None:
    """The wizard's day-back question: after the first day, and by the day another contact
    takes over (`InvalidDate`); `record_absence` checks it again."""
    check_period(starts_on, back_on, today)
    scope = await resolve_scope(session, key)
    if scope is None:
        raise UnknownTarget(key)
    await _assignment_away(session, scope, expected_assignment_id, starts_on, back_on)


async def _assignment_away(
    session: AsyncSession, scope: Scope, expected_id: int, starts_on: date, back_on: date
) -> ContactAssignment:
    """The assignment whose contact is away, if still the one in force the whole period."""
    on_start = await assignment_on(session, scope, ROLE, starts_on)
    if on_start is None or on_start.id != expected_id:
        raise ContactChangedMeanwhile()  # not what the wizard showed: someone changed it
    last_day = back_on - timedelta(days=1)
    for day in await change_days(session, scope, ROLE, starts_on, last_day):
        current = await assignment_on(session, scope, ROLE, day)
        if current is None or current.id != expected_id:
            raise InvalidDate(InvalidDateReason.CROSSES_CHANGE, day)
    return on_start


def announce_at(
    starts_on: date, today: date, timezone: str, office_start: time
) -> datetime | None:
    """When followers hear of an absence: at once if it starts today, else on its first day."""
    if starts_on <= today:
        return None
    return datetime.combine(starts_on, office_start, tzinfo=ZoneInfo(timezone))


async def record_absence(
    session: AsyncSession,
    actor: Actor,
    request: AbsenceRequest,
    *,
    today: date,
    timezone: str = "Europe/Stockholm",
    office_start: time = time(8, 0),
) -> AbsenceRecorded:
    """Record an absence with its deputy; audit it; queue the followers' notices."""
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
        session, scope, request.expected_assignment_id, request.starts_on, request.back_on
    )
    absence = await _write(session, actor, scope, assignment, person, request)
    notified = await announce(
        session,
        kind=ABSENCE,
        payload=await _payload(session, absence, scope, assignment, person),
        scope=_own_scope(scope, assignment),
        on=request.starts_on,
        dedupe_prefix=f"{ABSENCE}:{absence.id}",
        now=session_now(session),
        deliver_at=announce_at(request.starts_on, today, timezone, office_start),
    )
    return AbsenceRecorded(
        absence.id, scope, person.name, request.starts_on, request.back_on, notified=notified
    )


async def _write(
    session: AsyncSession,
    actor: Actor,
    scope: Scope,
    assignment: ContactAssignment,
    person: Person,
    request: AbsenceRequest,
) -> Absence:
    """The absence and its deputy, unless another absence overlaps; audited."""
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
    return absence


def _own_scope(scope: Scope, assignment: ContactAssignment) -> Scope:
    """Where the absent contact's assignment belongs: the school's own, or its area."""
    return scope if assignment.school_id is not None else Scope(scope.area_id, scope.area_name)


async def _payload(
    session: AsyncSession,
    absence: Absence,
    scope: Scope,
    assignment: ContactAssignment,
    person: Person,
) -> dict[str, Any]:
    contact = await session.get(Contact, assignment.contact_id)
    return {
        "absence_id": absence.id,
        "scope": _own_scope(scope, assignment).as_json(),
        "name": contact.name if contact else "",
        "deputy": person.as_json(),
        "starts_on": absence.starts_on.isoformat(),
        "back_on": absence.back_on.isoformat(),
    }
