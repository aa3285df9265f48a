"""Handovers: a new contact person for a school or an area from a given day, and who is told.

`record_handover` does it all in the caller's one transaction: it closes the scope's current
assignment, opens the new one, writes the `Handover` row, the audit entry and, for a change
from today, one outbox notification per follower. Commit makes them all visible at once; a
rollback leaves no trace.

A change from a later day is told to the followers on that day (`announce_due_handovers`),
with the details it has then: until it takes effect it can be corrected or withdrawn
(`bot.services.planned`), so a withdrawn change is never announced and a corrected one once.
Meanwhile the contact card shows it ("Från 7 december: …").

Two admins confirming a handover on the same scope at once: exactly one wins. The wizard
remembers which assignment it showed (`expected_assignment_id`); the service compares it with
the current one (compare-and-set), and the database settles the race the comparison cannot
see: closing the old assignment bumps its `version` (a SQLAlchemy version counter, so the
loser's UPDATE matches no row) and `Handover.replaces_key` is unique per (scope, replaced
assignment or "none"). Either way the loser gets `ContactChangedMeanwhile`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.clock import session_now
from bot.models import (
    NOTE_MAX,
    Contact,
    ContactAssignment,
    ContactRole,
    Handover,
    Notification,
)
from bot.services import audit, outbox
from bot.services.announce import announce, follower_count
from bot.services.authz import Actor, require_scope
from bot.services.contacts import ContactDirectory, ContactView, Upcoming
from bot.services.errors import (
    ContactChangedMeanwhile,
    InvalidDate,
    InvalidDateReason,
    SamePerson,
    UnknownTarget,
)
from bot.services.fields import (
    CONTACT_DETAILS,
    FieldError,
    check_contact_detail,
    check_free_text,
)
from bot.services.follows import followers_of_change
from bot.services.outbox import HANDOVER, HANDOVER_DAY
from bot.services.scopes import Scope, open_assignment, resolve_scope
from bot.services.usage import count_handover

ROLE = ContactRole.COOPERATION  # the motion's named contact person for schools


def check_note(raw: str | None) -> str | None:
    if raw is None:
        return None
    return check_free_text(raw, max_length=NOTE_MAX) or None


@dataclass(frozen=True)
class Person:
    """A contact person's work details as the admin typed them (validated by `checked`)."""

    name: str
    phone: str
    title: str | None = None
    email: str | None = None
    hours: str | None = None

    def checked(self) -> Person:
        """The same person with every field validated and normalised; raises `FieldError`.

        The same checks as the wizards' questions (`CONTACT_DETAILS`), made again on confirm.
        """
        clean = {
            field: check_contact_detail(field, getattr(self, field)) for field in CONTACT_DETAILS
        }
        name, phone = clean["name"], clean["phone"]
        assert name and phone  # required details are never empty once checked
        return Person(
            name=name,
            phone=phone,
            title=clean["title"],
            email=clean["email"],
            hours=clean["hours"],
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "phone": self.phone,
            "email": self.email,
            "hours": self.hours,
        }

    def new_contact(self) -> Contact:
        return Contact(
            name=self.name, title=self.title, phone=self.phone, email=self.email, hours=self.hours
        )


@dataclass(frozen=True)
class ScopeSnapshot:
    """What the admin sees before changing a scope: who is the contact, and since when."""

    scope: Scope
    current: ContactView | None
    # The scope's own open assignment (None: a school that inherits its area's contact).
    open_assignment_id: int | None
    open_from: date | None
    # A change already planned in the scope (who, from when), if any.
    upcoming: Upcoming | None = None


@dataclass(frozen=True)
class HandoverRequest:
    scope_key: str
    expected_assignment_id: int | None
    person: Person
    effective_on: date
    note: str | None
    idempotency_key: str


@dataclass(frozen=True)
class HandoverRecorded:
    handover_id: int
    scope: Scope
    old_name: str | None
    new_name: str
    effective_on: date
    recipients: int
    duplicate: bool = False
    # A change from a later day: `recipients` follow the scope now and are told on the day.
    scheduled: bool = False


def same_person(name: str, other: str | None) -> bool:
    """Whether two typed names are the same person's (case and spaces aside)."""
    return other is not None and " ".join(name.split()).casefold() == (
        " ".join(other.split()).casefold()
    )


class SameAsReplaced(FieldError):
    """The name typed for the new contact is the contact being replaced."""

    def __init__(self, name: str) -> None:
        super().__init__("samma person som nu")
        self.name = name


def check_new_name(raw: str, replaced: str | None) -> str:
    """The new contact's name, checked; `SameAsReplaced` when it names `replaced`."""
    name = check_contact_detail("name", raw)
    assert name is not None  # a required detail
    if replaced is not None and same_person(name, replaced):
        raise SameAsReplaced(replaced)
    return name


def person_of(contact: Contact) -> Person:
    return Person(
        name=contact.name,
        phone=contact.phone or "",
        title=contact.title,
        email=contact.email,
        hours=contact.hours,
    )


async def snapshot(
    session: AsyncSession,
    actor: Actor,
    key: str,
    today: date,
    directory: ContactDirectory,
    *,
    action: str = "handover",
) -> ScopeSnapshot:
    """Check the admin may change this scope and show its current contact."""
    scope = await require_scope(session, actor, key, action)
    current = await _view(session, scope, today, directory)
    own = await open_assignment(session, scope, ROLE)
    upcoming = await directory.upcoming(session, scope, today, current)
    return ScopeSnapshot(
        scope, current, own.id if own else None, own.valid_from if own else None, upcoming
    )


async def _view(
    session: AsyncSession, scope: Scope, on: date, directory: ContactDirectory
) -> ContactView | None:
    return await directory.cooperation(
        session, on, area_id=scope.area_id, school_id=scope.school_id
    )


async def _replaced_name(
    session: AsyncSession, scope: Scope, on: date, directory: ContactDirectory
) -> str | None:
    # The contact in force that day; during an absence, the absent contact, not the deputy.
    before = await _view(session, scope, on, directory)
    return (before.deputy_for or before.name) if before else None


async def replaced_contact(
    session: AsyncSession, key: str, on: date, directory: ContactDirectory
) -> str | None:
    """Whom a handover in the scope taking effect on `on` replaces (what `record_handover`
    stores as `old_name`): on a later day than today that may be a contact not yet in force,
    from a handover already planned."""
    scope = await resolve_scope(session, key)
    if scope is None:
        raise UnknownTarget(key)
    return await _replaced_name(session, scope, on, directory)


def check_effective_date(effective_on: date, today: date, open_from: date | None) -> None:
    if effective_on < today:
        raise InvalidDate(InvalidDateReason.IN_THE_PAST)
    if open_from is not None and effective_on <= open_from:
        raise InvalidDate(InvalidDateReason.NOT_AFTER_CURRENT, open_from)


async def record_handover(
    session: AsyncSession,
    actor: Actor,
    request: HandoverRequest,
    *,
    today: date,
    directory: ContactDirectory,
) -> HandoverRecorded:
    """Record the handover, queue one notice per follower, audit it; all or nothing."""
    scope = await require_scope(session, actor, request.scope_key, "handover")
    existing = await session.scalar(
        select(Handover).where(Handover.idempotency_key == request.idempotency_key)
    )
    if existing is not None:
        return HandoverRecorded(
            existing.id,
            scope,
            existing.old_name,
            existing.new_name,
            existing.effective_on,
            0,
            duplicate=True,
        )
    person = request.person.checked()
    note = check_note(request.note)
    current = await open_assignment(session, scope, ROLE)
    if (current.id if current else None) != request.expected_assignment_id:
        raise ContactChangedMeanwhile()
    check_effective_date(request.effective_on, today, current.valid_from if current else None)
    old_name = await _replaced_name(session, scope, request.effective_on, directory)
    if old_name is not None and same_person(person.name, old_name):
        raise SamePerson(old_name)
    try:
        handover = await _write(session, actor, scope, current, person, note, request, old_name)
    except (StaleDataError, IntegrityError) as error:
        raise ContactChangedMeanwhile() from error
    scheduled = request.effective_on > today
    handover.remind_on_day = scheduled  # announced on its day (`announce_due_handovers`)
    if scheduled:
        queued = await follower_count(session, scope, request.effective_on)
    else:
        queued = await _announce(session, handover, scope, person)
        handover.reminded_at = session_now(session)
    await audit.record(
        session,
        actor.label,
        "handover.record",
        scope.key,
        before={"assignment_id": current.id if current else None, "name": old_name},
        after={
            "assignment_id": handover.new_assignment_id,
            "handover_id": handover.id,
            "person": person.as_json(),
            "effective_on": request.effective_on.isoformat(),
            "note": note,
            "notified": 0 if scheduled else queued,
        },
    )
    await count_handover(session, today, scope.area_id)  # the follow-up figures (issue 5)
    return HandoverRecorded(
        handover.id,
        scope,
        old_name,
        person.name,
        request.effective_on,
        queued,
        scheduled=scheduled,
    )


async def _announce(
    session: AsyncSession, handover: Handover, scope: Scope, person: Person
) -> int:
    """Queue the handover notice to every follower, with the handover as it is now."""
    payload = {
        "handover_id": handover.id,
        "scope": scope.as_json(),
        "old_name": handover.old_name,
        "new": person.as_json(),
        "effective_on": handover.effective_on.isoformat(),
        "note": handover.note,
    }
    return await announce(
        session,
        kind=HANDOVER,
        payload=payload,
        scope=scope,
        on=handover.effective_on,
        dedupe_prefix=f"{HANDOVER}:{handover.id}",
        now=session_now(session),
        handover_id=handover.id,
    )


async def _write(
    session: AsyncSession,
    actor: Actor,
    scope: Scope,
    current: ContactAssignment | None,
    person: Person,
    note: str | None,
    request: HandoverRequest,
    old_name: str | None,
) -> Handover:
    contact = person.new_contact()
    session.add(contact)
    if current is not None:
        current.valid_to = request.effective_on
    await session.flush()
    assignment = ContactAssignment(
        contact_id=contact.id,
        role=ROLE.value,
        scope="school" if scope.is_school else "area",
        area_id=None if scope.is_school else scope.area_id,
        school_id=scope.school_id,
        valid_from=request.effective_on,
        confirmed_at=session_now(session),
    )
    session.add(assignment)
    await session.flush()
    handover = Handover(
        role=ROLE.value,
        area_id=scope.area_id,
        school_id=scope.school_id,
        old_assignment_id=current.id if current else None,
        new_assignment_id=assignment.id,
        old_name=old_name,
        new_name=person.name,
        effective_on=request.effective_on,
        note=note,
        recorded_by=actor.label,
        recorded_at=session_now(session),
        replaces_key=f"{ROLE.value}:{scope.key}:{current.id if current else 'none'}",
        idempotency_key=request.idempotency_key,
    )
    session.add(handover)
    await session.flush()
    return handover


async def handover_by_key(session: AsyncSession, idempotency_key: str) -> Handover | None:
    found: Handover | None = await session.scalar(
        select(Handover).where(Handover.idempotency_key == idempotency_key)
    )
    return found


def handover_scope_key(handover: Handover) -> str:
    return f"s:{handover.school_id}" if handover.school_id else f"a:{handover.area_id}"


async def announce_due_handovers(session: AsyncSession, today: date) -> int:
    """On its day, tell the followers of a handover recorded in advance; returns how many.

    The notice has the details as they are on the day (corrections included). A handover
    recorded before notices waited for their day was announced then; it gets the short
    on-the-day reminder instead. Idempotent: the dedupe key is per handover and recipient,
    and the handover is stamped.
    """
    due = await session.scalars(
        select(Handover).where(
            Handover.remind_on_day.is_(True),
            Handover.reminded_at.is_(None),
            Handover.effective_on <= today,
        )
    )
    queued = 0
    for handover in due:
        handover.reminded_at = session_now(session)
        scope = await resolve_scope(session, handover_scope_key(handover))
        if scope is None:  # pragma: no cover - handovers cascade with their school
            continue
        announced = await session.scalar(
            select(
                exists().where(
                    Notification.handover_id == handover.id, Notification.kind == HANDOVER
                )
            )
        )
        if not announced:
            queued += await _announce_on_the_day(session, handover, scope)
        elif handover.effective_on == today:
            queued += await _remind(session, handover, scope)
    return queued


# The JobQueue job's name for it (app.jobs), from when it only sent reminders.
enqueue_day_reminders = announce_due_handovers


async def _announce_on_the_day(session: AsyncSession, handover: Handover, scope: Scope) -> int:
    assignment = await session.get(ContactAssignment, handover.new_assignment_id)
    contact = await session.get(Contact, assignment.contact_id) if assignment else None
    if contact is None:  # pragma: no cover - guarded by foreign keys
        return 0
    return await _announce(session, handover, scope, person_of(contact))


async def _remind(session: AsyncSession, handover: Handover, scope: Scope) -> int:
    recipients = await followers_of_change(session, scope, handover.effective_on, ROLE)
    return await outbox.enqueue(
        session,
        kind=HANDOVER_DAY,
        payload={
            "handover_id": handover.id,
            "scope": scope.as_json(),
            "old_name": handover.old_name,
            "new_name": handover.new_name,
            "effective_on": handover.effective_on.isoformat(),
        },
        recipients=recipients,
        dedupe_prefix=f"{HANDOVER_DAY}:{handover.id}",
        now=session_now(session),
        handover_id=handover.id,
        area_id=scope.area_id,
    )
