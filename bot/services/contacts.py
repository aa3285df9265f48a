"""Who to contact: the current entries for a school or an area on a given day.

A school-scoped assignment overrides its area's; the intake unit always belongs to the area where
the child is registered, which may not be the school's; the socialjour is city-wide.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.clock import local_date, session_now
from bot.models import Absence, Area, Contact, ContactAssignment, ContactRole, School
from bot.services.phone_hours import phone_hours_passed
from bot.services.scopes import Scope, change_days, in_force

# How many change days ahead a card looks for the next contact (usually the first is it).
UPCOMING_DAYS_CHECKED = 3


@dataclass(frozen=True)
class ContactView:
    name: str
    title: str | None
    phone: str | None
    email: str | None
    hours: str | None
    url: str | None
    confirmed_on: date
    is_example: bool
    is_stale: bool
    # While the contact is away (an `Absence`), the view shows the deputy: these say for whom,
    # and the day the contact is back.
    deputy_for: str | None = None
    back_on: date | None = None
    assignment_id: int | None = None


@dataclass(frozen=True)
class Upcoming:
    """A change of contact already planned: who takes over, and from which day."""

    name: str
    on: date


@dataclass(frozen=True)
class AreaView:
    id: str
    name: str
    genitive_name: str


@dataclass(frozen=True)
class SchoolView:
    id: int
    name: str
    kind: str
    operator: str
    area: AreaView


@dataclass(frozen=True)
class IntakeCard:
    """Where a concern report goes for a child registered in `area`, plus the emergency routes."""

    area: AreaView
    intake: ContactView | None
    socialjour: ContactView | None
    emergency_number: str
    # The intake unit's phone time (read from its hours) is over for today: say what to do now.
    phone_hours_passed: bool = False


@dataclass(frozen=True)
class ContactCard:
    """Everything a worried teacher needs for one school or area, in one answer."""

    school: SchoolView | None
    area: AreaView
    cooperation: ContactView | None
    intake: IntakeCard
    # The next cooperation contact, when a handover is planned ("Från 7 december: …").
    upcoming: Upcoming | None = None

    @property
    def shows_example_data(self) -> bool:
        entries = (self.cooperation, self.intake.intake, self.intake.socialjour)
        return any(e is not None and e.is_example for e in entries)


class ContactDirectory:
    """Resolves current contacts; knows nothing of Telegram."""

    def __init__(self, emergency_number: str, stale_after_days: int, timezone: str) -> None:
        self.emergency_number = emergency_number
        self.stale_after = timedelta(days=stale_after_days)
        # Where the users are: a confirmation stored at 00:30 there is that day, not the last.
        self.timezone = timezone

    async def area_view(self, session: AsyncSession, area_id: str) -> AreaView | None:
        area = await session.get(Area, area_id)
        return AreaView(area.id, area.name, area.genitive_name) if area else None

    async def card_for_school(
        self, session: AsyncSession, school_id: int, on: date
    ) -> ContactCard | None:
        school = await session.get(School, school_id)
        if school is None:
            return None
        area = await self.area_view(session, school.area_id)
        if area is None:  # pragma: no cover - guarded by a foreign key
            return None
        cooperation = await self.cooperation(session, on, area_id=area.id, school_id=school.id)
        view = SchoolView(school.id, school.name, school.kind, school.operator, area)
        intake = await self._intake(session, area, on)
        scope = Scope(area.id, area.name, school.id, school.name)
        upcoming = await self.upcoming(session, scope, on, cooperation)
        return ContactCard(view, area, cooperation, intake, upcoming)

    async def card_for_area(
        self, session: AsyncSession, area_id: str, on: date
    ) -> ContactCard | None:
        area = await self.area_view(session, area_id)
        if area is None:
            return None
        cooperation = await self.cooperation(session, on, area_id=area.id)
        intake = await self._intake(session, area, on)
        upcoming = await self.upcoming(session, Scope(area.id, area.name), on, cooperation)
        return ContactCard(None, area, cooperation, intake, upcoming)

    async def cooperation(
        self, session: AsyncSession, on: date, *, area_id: str, school_id: int | None = None
    ) -> ContactView | None:
        """The cooperation contact on `on`: the school's own if it has one, else its area's."""
        if school_id is not None:
            own = await self._current(session, ContactRole.COOPERATION, on, school_id=school_id)
            if own is not None:
                return own
        return await self._current(session, ContactRole.COOPERATION, on, area_id=area_id)

    async def upcoming(
        self, session: AsyncSession, scope: Scope, on: date, current: ContactView | None
    ) -> Upcoming | None:
        """The next cooperation contact after `on`, if a change is planned; one query when
        none is (the days an assignment in the scope begins or ends)."""
        days = await change_days(session, scope, ContactRole.COOPERATION, on, date.max)
        now_name = (current.deputy_for or current.name) if current else None
        for day in days[:UPCOMING_DAYS_CHECKED]:
            then = await self.cooperation(
                session, day, area_id=scope.area_id, school_id=scope.school_id
            )
            name = (then.deputy_for or then.name) if then else None
            if name is not None and name != now_name:
                return Upcoming(name, day)
        return None

    async def intake_for_area(
        self, session: AsyncSession, area_id: str, on: date
    ) -> IntakeCard | None:
        area = await self.area_view(session, area_id)
        return await self._intake(session, area, on) if area else None

    async def socialjour(self, session: AsyncSession, on: date) -> ContactView | None:
        return await self._current(session, ContactRole.SOCIALJOUR, on)

    async def _intake(self, session: AsyncSession, area: AreaView, on: date) -> IntakeCard:
        intake = await self._current(session, ContactRole.INTAKE, on, area_id=area.id)
        now = session_now(session).astimezone(ZoneInfo(self.timezone))
        passed = intake is not None and now.date() == on and phone_hours_passed(intake.hours, now)
        return IntakeCard(
            area=area,
            intake=intake,
            socialjour=await self.socialjour(session, on),
            emergency_number=self.emergency_number,
            phone_hours_passed=passed,
        )

    async def _current(
        self,
        session: AsyncSession,
        role: ContactRole,
        on: date,
        *,
        area_id: str | None = None,
        school_id: int | None = None,
    ) -> ContactView | None:
        # One query per role: the assignment in force and, joined, an absence covering `on`
        # with its deputy. Lookups resolve up to four roles, so a second query each would
        # double the round trips on the hot path.
        deputy = aliased(Contact)
        query = (
            select(ContactAssignment, Contact, Absence, deputy)
            .join(Contact, Contact.id == ContactAssignment.contact_id)
            .outerjoin(
                Absence,
                and_(
                    Absence.assignment_id == ContactAssignment.id,
                    Absence.starts_on <= on,
                    Absence.back_on > on,
                ),
            )
            .outerjoin(deputy, deputy.id == Absence.deputy_id)
            .where(ContactAssignment.role == role.value, in_force(on))
            # The newest assignment first; among overlapping absences, the newest one.
            .order_by(
                ContactAssignment.valid_from.desc(),
                ContactAssignment.id.desc(),
                Absence.starts_on.desc(),
                Absence.id.desc(),
            )
            .limit(1)
        )
        if school_id is not None:
            query = query.where(ContactAssignment.school_id == school_id)
        elif area_id is not None:
            query = query.where(
                ContactAssignment.scope == "area", ContactAssignment.area_id == area_id
            )
        else:
            query = query.where(ContactAssignment.scope == "city")
        row = (await session.execute(query)).first()
        if row is None:
            return None
        assignment, contact, absence, stand_in = row
        confirmed_on = local_date(assignment.confirmed_at, self.timezone)
        view = ContactView(
            name=contact.name,
            title=contact.title,
            phone=contact.phone,
            email=contact.email,
            hours=contact.hours,
            url=contact.url,
            confirmed_on=confirmed_on,
            is_example=contact.is_example,
            is_stale=on - confirmed_on > self.stale_after,
            assignment_id=assignment.id,
        )
        if absence is None or stand_in is None:
            return view
        # During an absence: the deputy's details, saying whom they cover and until when.
        return replace(
            view,
            name=stand_in.name,
            title=stand_in.title,
            phone=stand_in.phone,
            email=stand_in.email,
            hours=stand_in.hours or view.hours,
            url=stand_in.url or view.url,
            deputy_for=view.name,
            back_on=absence.back_on,
        )
