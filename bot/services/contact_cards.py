"""Contact cards from memory: the read model a lookup answers from without a database call.

`ContactCards` holds a snapshot of what the cards are made of – areas, schools, every
assignment with its contact person, every absence with its deputy – and answers the same
questions as `ContactDirectory` (which reads the database each time and stays the reference,
used where an admin is about to change something): the card of a school or an area, the intake
unit of an area and the socialjour, on any day, with the deputy during an absence and the next
contact when a handover is planned. Dates are resolved at each call, so a new day needs no
rebuild; "stale" and "the phone time is over" are worked out from the day and the session's
clock as they are in the database version.

The snapshot is rebuilt when the revision counters move (`bot.services.revisions`): at once in
this process (a `Changed` fact after the commit marks it out of date, and the next card
rebuilds it in that action's transaction), and within `DIRECTORY_REFRESH_SECONDS` in every other
process (the `refresh_directory` job compares the counters and rebuilds ahead of the next card).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_date, session_now
from bot.models import Absence, Area, Contact, ContactAssignment, ContactRole, School
from bot.services import revisions
from bot.services.contacts import (
    UPCOMING_DAYS_CHECKED,
    AreaView,
    ContactCard,
    ContactView,
    IntakeCard,
    SchoolView,
    Upcoming,
)
from bot.services.phone_hours import phone_hours_passed

log = logging.getLogger(__name__)

CITY = "city"
ScopeKey = tuple[str, str]  # ("a", area id), ("s", school id) or ("city", "")


@dataclass(frozen=True)
class Person:
    name: str
    title: str | None
    phone: str | None
    email: str | None
    hours: str | None
    url: str | None
    is_example: bool


@dataclass(frozen=True)
class Away:
    """An absence: from `starts_on` until the day before `back_on`, `deputy` covers."""

    id: int
    starts_on: date
    back_on: date
    deputy: Person


@dataclass(frozen=True)
class Held:
    """One assignment: a person in a role for a scope, from a day until (not including) one."""

    id: int
    valid_from: date
    valid_to: date | None
    confirmed_on: date
    person: Person
    absences: tuple[Away, ...] = ()  # newest first, as the database version orders them

    def in_force(self, on: date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or self.valid_to > on)

    def away_on(self, on: date) -> Away | None:
        return next((a for a in self.absences if a.starts_on <= on < a.back_on), None)


@dataclass(frozen=True)
class SchoolRow:
    id: int
    name: str
    kind: str
    operator: str
    area_id: str


@dataclass
class Snapshot:
    """Everything the cards are made of, at one pair of revisions."""

    revisions: revisions.Revisions
    areas: dict[str, AreaView]
    schools: dict[int, SchoolRow]
    # Per role and scope, the assignments newest first (valid_from, then id, descending).
    held: dict[tuple[str, ScopeKey], list[Held]] = field(default_factory=dict)


def _scope_keys(assignment: ContactAssignment) -> list[ScopeKey]:
    """The scopes an assignment answers for, with the conditions `ContactDirectory` uses."""
    keys: list[ScopeKey] = []
    if assignment.school_id is not None:
        keys.append(("s", str(assignment.school_id)))
    if assignment.scope == "area" and assignment.area_id is not None:
        keys.append(("a", assignment.area_id))
    if assignment.scope == CITY:
        keys.append((CITY, ""))
    return keys


def _person(contact: Contact) -> Person:
    return Person(
        contact.name,
        contact.title,
        contact.phone,
        contact.email,
        contact.hours,
        contact.url,
        contact.is_example,
    )


async def load_snapshot(session: AsyncSession, timezone: str) -> Snapshot:
    """Read the cards' material in five queries (the counters first: a change committed while
    this reads shows as a newer revision at the next check, never as a missed one)."""
    counters = await revisions.current(session)
    areas = {
        area_id: AreaView(area_id, name, genitive)
        for area_id, name, genitive in (
            await session.execute(select(Area.id, Area.name, Area.genitive_name))
        ).tuples()
    }
    schools = {
        row[0]: SchoolRow(*row)
        for row in (
            await session.execute(
                select(School.id, School.name, School.kind, School.operator, School.area_id)
            )
        ).tuples()
    }
    absences: dict[int, list[Away]] = defaultdict(list)
    for absence, deputy in (
        await session.execute(
            select(Absence, Contact)
            .join(Contact, Contact.id == Absence.deputy_id)
            .order_by(Absence.starts_on.desc(), Absence.id.desc())
        )
    ).tuples():
        absences[absence.assignment_id].append(
            Away(absence.id, absence.starts_on, absence.back_on, _person(deputy))
        )
    snapshot = Snapshot(counters, areas, schools)
    for assignment, contact in (
        await session.execute(
            select(ContactAssignment, Contact)
            .join(Contact, Contact.id == ContactAssignment.contact_id)
            .order_by(ContactAssignment.valid_from.desc(), ContactAssignment.id.desc())
        )
    ).tuples():
        held = Held(
            assignment.id,
            assignment.valid_from,
            assignment.valid_to,
            local_date(assignment.confirmed_at, timezone),
            _person(contact),
            tuple(absences.get(assignment.id, ())),
        )
        for key in _scope_keys(assignment):
            snapshot.held.setdefault((assignment.role, key), []).append(held)
    return snapshot


class ContactCards:
    """The in-memory cards; each method takes the action's session only to rebuild when out of
    date, and for its clock. A lookup with an up-to-date snapshot sends no statement."""

    def __init__(self, emergency_number: str, stale_after_days: int, timezone: str) -> None:
        self.emergency_number = emergency_number
        self.stale_after = timedelta(days=stale_after_days)
        self.timezone = timezone
        self._snapshot: Snapshot | None = None
        self._out_of_date = True
        self._lock = asyncio.Lock()

    @property
    def built_at(self) -> revisions.Revisions | None:
        """The counters the snapshot was read at (None before the first build)."""
        return self._snapshot.revisions if self._snapshot is not None else None

    def heard(self, fact: object) -> None:
        """A database listener: a commit in this process moved the counters."""
        if isinstance(fact, revisions.Changed):
            self._out_of_date = True

    async def rebuild(self, session: AsyncSession) -> None:
        async with self._lock:
            self._out_of_date = False  # a change committed from now on marks it again
            self._snapshot = await load_snapshot(session, self.timezone)
        held = sum(len(v) for v in self._snapshot.held.values())
        log.info("Contact cards built: %d assignments, %s", held, self._snapshot.revisions)

    async def refresh_if_changed(self, session: AsyncSession, now: revisions.Revisions) -> bool:
        """Rebuild when another process moved a counter (`now`: the counters just read)."""
        if self._snapshot is not None and self._snapshot.revisions == now:
            return False
        await self.rebuild(session)
        return True

    async def snapshot(self, session: AsyncSession) -> Snapshot:
        if self._snapshot is None or self._out_of_date:
            await self.rebuild(session)
        assert self._snapshot is not None
        return self._snapshot

    async def card_for_school(
        self, session: AsyncSession, school_id: int, on: date
    ) -> ContactCard | None:
        snap = await self.snapshot(session)
        school = snap.schools.get(school_id)
        area = snap.areas.get(school.area_id) if school else None
        if school is None or area is None:
            return None
        own = ("s", str(school.id))
        cooperation = self._cooperation(snap, on, area.id, own)
        view = SchoolView(school.id, school.name, school.kind, school.operator, area)
        intake = self._intake(session, snap, area, on)
        upcoming = self._upcoming(snap, on, area.id, own, cooperation)
        return ContactCard(view, area, cooperation, intake, upcoming)

    async def card_for_area(
        self, session: AsyncSession, area_id: str, on: date
    ) -> ContactCard | None:
        snap = await self.snapshot(session)
        area = snap.areas.get(area_id)
        if area is None:
            return None
        cooperation = self._cooperation(snap, on, area.id, None)
        intake = self._intake(session, snap, area, on)
        upcoming = self._upcoming(snap, on, area.id, None, cooperation)
        return ContactCard(None, area, cooperation, intake, upcoming)

    async def intake_for_area(
        self, session: AsyncSession, area_id: str, on: date
    ) -> IntakeCard | None:
        snap = await self.snapshot(session)
        area = snap.areas.get(area_id)
        return self._intake(session, snap, area, on) if area else None

    async def socialjour(self, session: AsyncSession, on: date) -> ContactView | None:
        return self._current(await self.snapshot(session), ContactRole.SOCIALJOUR, (CITY, ""), on)

    def _intake(
        self, session: AsyncSession, snap: Snapshot, area: AreaView, on: date
    ) -> IntakeCard:
        intake = self._current(snap, ContactRole.INTAKE, ("a", area.id), on)
        now = session_now(session).astimezone(ZoneInfo(self.timezone))
        passed = intake is not None and now.date() == on and phone_hours_passed(intake.hours, now)
        return IntakeCard(
            area=area,
            intake=intake,
            socialjour=self._current(snap, ContactRole.SOCIALJOUR, (CITY, ""), on),
            emergency_number=self.emergency_number,
            phone_hours_passed=passed,
        )

    def _cooperation(
        self, snap: Snapshot, on: date, area_id: str, own: ScopeKey | None
    ) -> ContactView | None:
        """The school's own cooperation contact if it has one that day, else its area's."""
        if own is not None:
            found = self._current(snap, ContactRole.COOPERATION, own, on)
            if found is not None:
                return found
        return self._current(snap, ContactRole.COOPERATION, ("a", area_id), on)

    def _upcoming(
        self,
        snap: Snapshot,
        on: date,
        area_id: str,
        own: ScopeKey | None,
        current: ContactView | None,
    ) -> Upcoming | None:
        """The next cooperation contact after `on`: the first change day (a day an assignment
        of the school or its area begins or ends) that brings another person."""
        role = ContactRole.COOPERATION.value
        days: set[date] = set()
        for key in (own, ("a", area_id)):
            for held in snap.held.get((role, key), []) if key is not None else []:
                days.update(
                    d for d in (held.valid_from, held.valid_to) if d is not None and d > on
                )
        now_name = (current.deputy_for or current.name) if current else None
        for day in sorted(days)[:UPCOMING_DAYS_CHECKED]:
            then = self._cooperation(snap, day, area_id, own)
            name = (then.deputy_for or then.name) if then else None
            if name is not None and name != now_name:
                return Upcoming(name, day)
        return None

    def _current(
        self, snap: Snapshot, role: ContactRole, key: ScopeKey, on: date
    ) -> ContactView | None:
        held = next((h for h in snap.held.get((role.value, key), []) if h.in_force(on)), None)
        if held is None:
            return None
        person = held.person
        view = ContactView(
            name=person.name,
            title=person.title,
            phone=person.phone,
            email=person.email,
            hours=person.hours,
            url=person.url,
            confirmed_on=held.confirmed_on,
            is_example=person.is_example,
            is_stale=on - held.confirmed_on > self.stale_after,
            assignment_id=held.id,
        )
        away = held.away_on(on)
        if away is None:
            return view
        deputy = away.deputy
        return ContactView(
            name=deputy.name,
            title=deputy.title,
            phone=deputy.phone,
            email=deputy.email,
            hours=deputy.hours or view.hours,
            url=deputy.url or view.url,
            confirmed_on=view.confirmed_on,
            is_example=view.is_example,
            is_stale=view.is_stale,
            deputy_for=view.name,
            back_on=away.back_on,
            assignment_id=view.assignment_id,
        )
