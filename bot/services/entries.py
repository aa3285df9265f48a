"""Directory entries an admin looks after: confirm "still correct", history, stale reminders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc, local_date, session_now
from bot.models import (
    Absence,
    Area,
    Contact,
    ContactAssignment,
    ContactRole,
    Handover,
    School,
)
from bot.services import audit, outbox
from bot.services.authz import Actor, permissions, require_admin, require_area
from bot.services.errors import UnknownTarget
from bot.services.grants import admins_of_areas
from bot.services.outbox import STALE_REMINDER, DeliveryCounts, counts_for_handovers
from bot.services.scopes import Scope, assignment_in_scope, in_force, resolve_scope

ROLES = (ContactRole.COOPERATION, ContactRole.INTAKE)


@dataclass(frozen=True)
class Entry:
    """One open assignment in an area or at one of its schools."""

    assignment_id: int
    role: str
    area_id: str
    scope_name: str
    name: str
    confirmed_on: date
    is_stale: bool


async def entries_in_areas(
    session: AsyncSession,
    area_ids: frozenset[str] | None,
    today: date,
    stale_after: timedelta,
    *,
    timezone: str,
) -> list[Entry]:
    """The entries in force today (area and school scopes), stale ones first.

    `today` is the day in `timezone`; so is each entry's day of confirmation, or an entry
    confirmed just after midnight would count a day older than it is.
    """
    query = (
        select(ContactAssignment, Contact, Area, School)
        .join(Contact, Contact.id == ContactAssignment.contact_id)
        .outerjoin(School, School.id == ContactAssignment.school_id)
        .join(Area, or_(Area.id == ContactAssignment.area_id, Area.id == School.area_id))
        .where(ContactAssignment.role.in_([role.value for role in ROLES]), in_force(today))
    )
    if area_ids is not None:
        query = query.where(Area.id.in_(area_ids))
    entries = []
    for assignment, contact, area, school in (await session.execute(query)).tuples():
        confirmed_on = local_date(assignment.confirmed_at, timezone)
        entries.append(
            Entry(
                assignment.id,
                assignment.role,
                area.id,
                school.name if school is not None else area.name,
                contact.name,
                confirmed_on,
                today - confirmed_on > stale_after,
            )
        )
    return sorted(entries, key=lambda e: (not e.is_stale, e.scope_name, e.role))


async def my_entries(
    session: AsyncSession, actor: Actor, today: date, stale_after: timedelta, *, timezone: str
) -> list[Entry]:
    """The entries in the admin's areas (all of them for a city admin)."""
    granted = await require_admin(session, actor, "confirm")
    return await entries_in_areas(
        session, granted.area_filter, today, stale_after, timezone=timezone
    )


@dataclass(frozen=True)
class EntryDetail:
    """One entry in full, as the admin confirms it: where, which role, every detail."""

    entry: Entry
    title: str | None
    phone: str | None
    email: str | None
    hours: str | None
    url: str | None


async def _entry_in_force(
    session: AsyncSession, actor: Actor, assignment_id: int, today: date, action: str
) -> tuple[ContactAssignment, School | None, str]:
    """The assignment in force today, its school and area, if the admin may confirm it."""
    row = (
        (
            await session.execute(
                select(ContactAssignment, School)
                .outerjoin(School, School.id == ContactAssignment.school_id)
                .where(ContactAssignment.id == assignment_id, in_force(today))
            )
        )
        .tuples()
        .first()
    )
    assignment, school = row if row is not None else (None, None)
    area_id = None
    if assignment is not None:
        area_id = school.area_id if school is not None else assignment.area_id
    if assignment is None or area_id is None:
        await require_admin(session, actor, action)
        raise UnknownTarget(str(assignment_id))
    await require_area(session, actor, area_id, action, f"assignment:{assignment_id}")
    return assignment, school, area_id


async def entry_detail(
    session: AsyncSession,
    actor: Actor,
    assignment_id: int,
    today: date,
    stale_after: timedelta,
    *,
    timezone: str,
) -> EntryDetail:
    """One of the admin's entries in full, to check before confirming it."""
    assignment, school, area_id = await _entry_in_force(
        session, actor, assignment_id, today, "confirm"
    )
    contact = await session.get(Contact, assignment.contact_id)
    area = await session.get(Area, area_id)
    confirmed_on = local_date(assignment.confirmed_at, timezone)
    entry = Entry(
        assignment.id,
        assignment.role,
        area_id,
        school.name if school else (area.name if area else area_id),
        contact.name if contact else "",
        confirmed_on,
        today - confirmed_on > stale_after,
    )
    if contact is None:  # pragma: no cover - guarded by a foreign key
        return EntryDetail(entry, None, None, None, None, None)
    return EntryDetail(
        entry, contact.title, contact.phone, contact.email, contact.hours, contact.url
    )


async def confirm_entry(
    session: AsyncSession, actor: Actor, assignment_id: int, today: date
) -> Entry:
    """Stamp an entry in force today as confirmed now ("still correct"); audit it."""
    assignment, school, area_id = await _entry_in_force(
        session, actor, assignment_id, today, "confirm"
    )
    before = as_utc(assignment.confirmed_at).isoformat()
    assignment.confirmed_at = session_now(session)
    await session.flush()
    await audit.record(
        session,
        actor.label,
        "assignment.confirm",
        f"assignment:{assignment_id}",
        before={"confirmed_at": before},
        after={"confirmed_at": as_utc(assignment.confirmed_at).isoformat()},
    )
    contact = await session.get(Contact, assignment.contact_id)
    area = await session.get(Area, area_id)
    return Entry(
        assignment.id,
        assignment.role,
        area_id,
        school.name if school else (area.name if area else area_id),
        contact.name if contact else "",
        today,
        False,
    )


@dataclass(frozen=True)
class HistoryLine:
    name: str
    valid_from: date
    valid_to: date | None
    absences: tuple[tuple[date, date, str], ...]
    handover_id: int | None
    note: str | None
    deliveries: DeliveryCounts | None


@dataclass(frozen=True)
class ScopeHistory:
    """The contacts a scope has had. `inherited`: a school without contacts of its own, shown
    its area's. Delivery figures only for admins of the area (`HistoryLine.deliveries`)."""

    scope: Scope
    inherited: bool
    lines: list[HistoryLine]


async def scope_history(session: AsyncSession, actor: Actor, key: str) -> ScopeHistory:
    """Anyone may read who the contacts were; how the notices fared is for the area's admins."""
    scope = await resolve_scope(session, key)
    if scope is None:
        raise UnknownTarget(key)
    with_deliveries = (await permissions(session, actor)).covers(scope.area_id)
    lines = await _history(session, scope, with_deliveries=with_deliveries)
    if lines or not scope.is_school:
        return ScopeHistory(scope, False, lines)
    area = Scope(scope.area_id, scope.area_name)
    return ScopeHistory(
        scope, True, await _history(session, area, with_deliveries=with_deliveries)
    )


async def _history(
    session: AsyncSession, scope: Scope, *, with_deliveries: bool
) -> list[HistoryLine]:
    """Every cooperation contact the scope has had, newest first, with absences and handovers.

    Four queries whatever the length of the history (assignments, absences, handovers,
    delivery figures), not three per contact person.
    """
    rows = (
        (
            await session.execute(
                select(ContactAssignment, Contact)
                .join(Contact, Contact.id == ContactAssignment.contact_id)
                .where(*assignment_in_scope(scope, ContactRole.COOPERATION))
                .order_by(ContactAssignment.valid_from.desc(), ContactAssignment.id.desc())
            )
        )
        .tuples()
        .all()
    )
    if not rows:
        return []
    ids = [assignment.id for assignment, _ in rows]
    absences = await _absences_of(session, ids)
    handovers = {
        handover.new_assignment_id: handover
        for handover in await session.scalars(
            select(Handover).where(Handover.new_assignment_id.in_(ids))
        )
    }
    counts = (
        await counts_for_handovers(session, [h.id for h in handovers.values()])
        if with_deliveries
        else {}
    )
    lines = []
    for assignment, contact in rows:
        handover = handovers.get(assignment.id)
        lines.append(
            HistoryLine(
                contact.name,
                assignment.valid_from,
                assignment.valid_to,
                tuple(absences.get(assignment.id, ())),
                handover.id if handover else None,
                handover.note if handover else None,
                counts.get(handover.id, DeliveryCounts())
                if handover is not None and with_deliveries
                else None,
            )
        )
    return lines


async def _absences_of(
    session: AsyncSession, assignment_ids: list[int]
) -> dict[int, list[tuple[date, date, str]]]:
    """Each assignment's absences (from, back, deputy's name), in date order, in one query."""
    absences: dict[int, list[tuple[date, date, str]]] = {}
    for absence, deputy in (
        await session.execute(
            select(Absence, Contact)
            .join(Contact, Contact.id == Absence.deputy_id)
            .where(Absence.assignment_id.in_(assignment_ids))
            .order_by(Absence.starts_on, Absence.id)
        )
    ).tuples():
        absences.setdefault(absence.assignment_id, []).append(
            (absence.starts_on, absence.back_on, deputy.name)
        )
    return absences


async def enqueue_stale_reminders(
    session: AsyncSession, today: date, stale_after: timedelta, *, timezone: str
) -> int:
    """Tell each area admin which of their entries are stale; once per admin and ISO week."""
    admins = await admins_of_areas(session)
    if not admins:
        return 0
    entries = await entries_in_areas(
        session, frozenset(admins), today, stale_after, timezone=timezone
    )
    per_admin: dict[int, list[Entry]] = {}
    for entry in entries:
        if entry.is_stale:
            for admin in admins.get(entry.area_id, []):
                per_admin.setdefault(admin, []).append(entry)
    year, week, _ = today.isocalendar()
    queued = 0
    now = session_now(session)
    for admin, stale in per_admin.items():
        queued += await outbox.enqueue(
            session,
            kind=STALE_REMINDER,
            payload={
                "entries": [
                    {
                        "scope_name": e.scope_name,
                        "role": e.role,
                        "name": e.name,
                        "confirmed_on": e.confirmed_on.isoformat(),
                    }
                    for e in stale
                ],
                "days": stale_after.days,
            },
            recipients=[admin],
            dedupe_prefix=f"{STALE_REMINDER}:{year}-W{week:02d}",
            now=now,
            area_id=stale[0].area_id if len({e.area_id for e in stale}) == 1 else None,
        )
    return queued
