"""Handovers: a new contact person for a school or an area from a given day, and who is told.

`record_handover` does it all in the caller's one transaction: it closes the scope's current
assignment, opens the new one, writes the `Handover` row, one outbox notification per follower
and the audit entry. Commit makes them all visible at once; a rollback leaves no trace.

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

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from bot.clock import session_now
from bot.models import NOTE_MAX, Contact, ContactAssignment, ContactRole, Handover
from bot.services import audit, outbox
from bot.services.authz import Actor, require_scope
from bot.services.contacts import ContactDirectory, ContactView
from bot.services.errors import (
    ContactChangedMeanwhile,
    InvalidDate,
    InvalidDateReason,
    UnknownTarget,
)
from bot.services.fields import CONTACT_DETAILS, check_contact_detail, check_free_text
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
    return ScopeSnapshot(scope, current, own.id if own else None, own.valid_from if own else None)


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
    try:
        handover = await _write(session, actor, scope, current, person, note, request, old_name)
    except (StaleDataError, IntegrityError) as error:
        raise ContactChangedMeanwhile() from error
    now = session_now(session)
    handover.remind_on_day = request.effective_on > today
    payload = {
        "handover_id": handover.id,
        "scope": scope.as_json(),
        "old_name": old_name,
        "new": person.as_json(),
        "effective_on": request.effective_on.isoformat(),
        "note": note,
    }
    recipients = await followers_of_change(session, scope, request.effective_on, ROLE)
    queued = await outbox.enqueue(
        session,
        kind=HANDOVER,
        payload=payload,
        recipients=recipients,
        dedupe_prefix=f"{HANDOVER}:{handover.id}",
        now=now,
        handover_id=handover.id,
        area_id=scope.area_id,
    )
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
            "notified": queued,
        },
    )
    await count_handover(session, today, scope.area_id)  # the follow-up figures (issue 5)
    return HandoverRecorded(
        handover.id, scope, old_name, person.name, request.effective_on, queued
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


async def enqueue_day_reminders(session: AsyncSession, today: date) -> int:
    """On its day, remind the followers of a handover that was announced in advance.

    Idempotent: the dedupe key is per handover and recipient, and the handover is stamped.
    """
    due = await session.scalars(
        select(Handover).where(
            Handover.remind_on_day.is_(True),
            Handover.reminded_at.is_(None),
            Handover.effective_on <= today,
        )
    )
    queued = 0
    now = session_now(session)
    for handover in due:
        handover.reminded_at = now
        if handover.effective_on < today:
            continue  # the bot was down on the day; the announcement has been made
        scope = await resolve_scope(
            session,
            f"s:{handover.school_id}" if handover.school_id else f"a:{handover.area_id}",
        )
        if scope is None:  # pragma: no cover - handovers cascade with their school
            continue
        recipients = await followers_of_change(session, scope, handover.effective_on, ROLE)
        queued += await outbox.enqueue(
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
            now=now,
            handover_id=handover.id,
            area_id=scope.area_id,
        )
    return queued
