"""Every admin action × every kind of actor, checked at the service level (not only handlers)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.config import Settings
from bot.models import Absence, AuditEvent, ContactAssignment, Grant, Handover, Invite
from bot.runtime import Services
from bot.services.absences import AbsenceRequest, record_absence
from bot.services.authz import Actor
from bot.services.entries import confirm_entry
from bot.services.errors import NotAuthorized
from bot.services.grants import active_grants, grant_area_admin, revoke_area_admin, revoke_grant
from bot.services.handovers import HandoverRequest, Person, record_handover, snapshot
from bot.services.invites import create_invite

CITY = 111
RIGHT = 222  # admin of Kungsholmen
OTHER = 333  # admin of Bromma
REVOKED = 444  # was admin of Kungsholmen
NOBODY = 555
SUBJECT = 999  # whose role the grant/revoke actions change

ROLES = {
    "no role": NOBODY,
    "other area's admin": OTHER,
    "revoked admin": REVOKED,
    "city admin": CITY,
    "the area's admin": RIGHT,
}


@dataclass(frozen=True)
class Case:
    run: Callable[[AsyncSession, Actor, Services], Awaitable[object]]
    # The table an allowed action adds to or changes; None: it only reads (nothing is written,
    # not even an audit entry), and `shows` checks what it read.
    writes: type | None
    city_only: bool
    shows: Callable[[Any], bool] | None = None


async def _current(session: AsyncSession) -> ContactAssignment:
    found = await session.scalar(
        select(ContactAssignment).where(
            ContactAssignment.area_id == "kungsholmen",
            ContactAssignment.role == "samverkan",
            ContactAssignment.valid_to.is_(None),
        )
    )
    assert found is not None
    return found


async def handover(session: AsyncSession, actor: Actor, services: Services) -> object:
    current = await _current(session)
    request = HandoverRequest(
        "a:kungsholmen",
        current.id,
        Person("Sara Ek", "08-465 004 20"),
        services.today() + timedelta(days=1),
        None,
        f"matrix:{actor.label}",
    )
    return await record_handover(
        session, actor, request, today=services.today(), directory=services.contacts
    )


async def absence(session: AsyncSession, actor: Actor, services: Services) -> object:
    current = await _current(session)
    request = AbsenceRequest(
        "a:kungsholmen",
        current.id,
        services.today(),
        services.today() + timedelta(days=7),
        Person("Vik Arie", "08-465 004 21"),
        f"matrix:{actor.label}",
    )
    return await record_absence(session, actor, request, today=services.today())


async def confirm(session: AsyncSession, actor: Actor, services: Services) -> object:
    current = await _current(session)
    return await confirm_entry(session, actor, current.id, services.today())


async def open_wizard(session: AsyncSession, actor: Actor, services: Services) -> object:
    return await snapshot(session, actor, "a:kungsholmen", services.today(), services.contacts)


async def grant(session: AsyncSession, actor: Actor, services: Services) -> object:
    return await grant_area_admin(session, actor, SUBJECT, "kungsholmen")


async def revoke(session: AsyncSession, actor: Actor, services: Services) -> object:
    return await revoke_area_admin(session, actor, SUBJECT, "bromma")


async def revoke_by_button(session: AsyncSession, actor: Actor, services: Services) -> object:
    grant_id = await session.scalar(
        select(Grant.id).where(Grant.user_id == SUBJECT, Grant.revoked_at.is_(None))
    )
    assert grant_id is not None
    return await revoke_grant(session, actor, grant_id)


async def list_grants(session: AsyncSession, actor: Actor, services: Services) -> object:
    return await active_grants(session, actor)


async def invite(session: AsyncSession, actor: Actor, services: Services) -> object:
    return await create_invite(session, actor, "kungsholmen", 7, utcnow())


CASES = {
    "handover": Case(handover, Handover, city_only=False),
    "absence": Case(absence, Absence, city_only=False),
    "confirm": Case(confirm, AuditEvent, city_only=False),
    "open the wizard": Case(
        open_wizard,
        None,
        city_only=False,
        shows=lambda shown: (
            shown.scope.key == "a:kungsholmen" and shown.current.name == "Fatima Noor (exempel)"
        ),
    ),
    "grant a role": Case(grant, Grant, city_only=True),
    "revoke a role": Case(revoke, AuditEvent, city_only=True),
    "revoke a role by its button": Case(revoke_by_button, AuditEvent, city_only=True),
    "list roles": Case(
        list_grants,
        None,
        city_only=True,
        shows=lambda grants: (
            {(g.user_id, g.area_id) for g in grants}
            == {(RIGHT, "kungsholmen"), (OTHER, "bromma"), (SUBJECT, "bromma")}
        ),
    ),
    # An area admin invites a colleague to her own area (issue 15).
    "create an invite": Case(invite, Invite, city_only=False),
}


@pytest.fixture
async def services(make_settings: Callable[..., Settings]) -> AsyncIterator[Services]:
    prepared = Services.create(make_settings(city_admin_ids=(CITY,)))
    await prepared.start()
    cli = Actor.cli()
    async with prepared.database.transaction() as session:
        await grant_area_admin(session, cli, RIGHT, "kungsholmen")
        await grant_area_admin(session, cli, OTHER, "bromma")
        await grant_area_admin(session, cli, REVOKED, "kungsholmen")
        await grant_area_admin(session, cli, SUBJECT, "bromma")
    async with prepared.database.transaction() as session:
        await revoke_area_admin(session, cli, REVOKED, "kungsholmen")
    yield prepared
    await prepared.stop()


async def _counts(services: Services) -> dict[str, int]:
    async with services.database.transaction() as session:
        return {
            model.__tablename__: int(
                await session.scalar(select(func.count()).select_from(model)) or 0
            )
            for model in (Handover, Absence, Grant, Invite, AuditEvent)
        }


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("action", list(CASES))
async def test_authorization_matrix(services: Services, action: str, role: str) -> None:
    case = CASES[action]
    user_id = ROLES[role]
    actor = Actor.telegram(user_id, services.settings.city_admin_ids)
    allowed = role == "city admin" or (role == "the area's admin" and not case.city_only)
    before = await _counts(services)
    if allowed:
        async with services.database.transaction() as session:
            result = await case.run(session, actor, services)
        after = await _counts(services)
        if case.writes is None:
            assert after == before  # a read: nothing written, no audit entry
            assert case.shows is not None and case.shows(result)
        else:
            table = case.writes.__tablename__  # type: ignore[attr-defined]
            assert after[table] > before[table]
        return
    with pytest.raises(NotAuthorized):
        async with services.database.transaction() as session:
            try:
                await case.run(session, actor, services)
            finally:
                await session.commit()  # what a handler does: keep the audited refusal
    after = await _counts(services)
    assert after["audit_events"] == before["audit_events"] + 1
    assert {k: v for k, v in after.items() if k != "audit_events"} == {
        k: v for k, v in before.items() if k != "audit_events"
    }
    async with services.database.transaction() as session:
        refusal = await session.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()))
    assert refusal is not None
    assert (refusal.actor, refusal.action) == (str(user_id), "refused")
