"""Area-admin roles: a city admin grants and revokes them; every change is audited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import session_now
from bot.models import Area, AuditEvent, Grant, GrantRole, User
from bot.services import audit
from bot.services.authz import Actor, require_admin, require_city_admin
from bot.services.errors import NotStarted, UnknownArea, UnknownTarget


def _grant_json(grant: Grant) -> dict[str, object]:
    return {"user_id": grant.user_id, "role": grant.role, "area_id": grant.area_id}


async def active_grant(session: AsyncSession, user_id: int, area_id: str) -> Grant | None:
    grant: Grant | None = await session.scalar(
        select(Grant).where(
            Grant.user_id == user_id,
            Grant.area_id == area_id,
            Grant.role == GrantRole.AREA_ADMIN.value,
            Grant.revoked_at.is_(None),
        )
    )
    return grant


async def add_grant(
    session: AsyncSession,
    actor_label: str,
    user_id: int,
    area_id: str,
    *,
    granted_by: str | None = None,
) -> tuple[Grant, bool]:
    """Give the area-admin role (no permission check: callers have made it). New → True."""
    existing = await active_grant(session, user_id, area_id)
    if existing is not None:
        return existing, False
    grant = Grant(
        user_id=user_id,
        role=GrantRole.AREA_ADMIN.value,
        area_id=area_id,
        granted_by=granted_by or actor_label,
        granted_at=session_now(session),
    )
    session.add(grant)
    await session.flush()
    await audit.record(
        session, actor_label, "grant.add", f"grant:{grant.id}", after=_grant_json(grant)
    )
    return grant, True


async def _require_area(session: AsyncSession, area_id: str | None) -> str:
    if area_id is None or await session.get(Area, area_id) is None:
        raise UnknownArea(area_id or "?")
    return area_id


async def grant_area_admin(
    session: AsyncSession, actor: Actor, user_id: int, area_id: str | None
) -> tuple[Grant, bool]:
    """A city admin makes `user_id` an admin of `area_id`; returns the grant and if it is new.

    `area_id` None: the admin typed no known area (`UnknownArea`, after the permission check,
    so only city admins learn what is unknown).
    """
    await require_city_admin(session, actor, "grant.add", f"a:{area_id or '?'}")
    return await add_grant(session, actor.label, user_id, await _require_area(session, area_id))


async def grant_picked_user(
    session: AsyncSession, actor: Actor, user_id: int, area_id: str | None
) -> tuple[Grant, bool]:
    """A city admin makes a user picked in Telegram (never a typed id) an admin of an area.

    Only someone who has started the bot can get a role (`NotStarted`): they can be told, and
    their menu can show the admin commands.
    """
    await require_city_admin(session, actor, "grant.add", f"a:{area_id or '?'}")
    area_id = await _require_area(session, area_id)
    if await session.get(User, user_id) is None:
        raise NotStarted()
    return await add_grant(session, actor.label, user_id, area_id)


async def grant_to_revoke(session: AsyncSession, actor: Actor, grant_id: int) -> Grant:
    """The active grant a city admin is about to revoke (to ask first)."""
    await require_city_admin(session, actor, "grant.revoke", f"grant:{grant_id}")
    grant = await session.get(Grant, grant_id)
    if grant is None or grant.revoked_at is not None:
        raise UnknownTarget(f"grant:{grant_id}")
    return grant


async def revoke_area_admin(
    session: AsyncSession, actor: Actor, user_id: int, area_id: str | None
) -> Grant:
    """A city admin takes the role away; the grant row stays, stamped `revoked_at`."""
    await require_city_admin(session, actor, "grant.revoke", f"a:{area_id or '?'}")
    area_id = await _require_area(session, area_id)
    grant = await active_grant(session, user_id, area_id)
    if grant is None:
        raise UnknownTarget(f"{user_id}@{area_id}")
    return await _revoke(session, actor, grant)


async def revoke_grant(session: AsyncSession, actor: Actor, grant_id: int) -> Grant:
    """A city admin revokes one grant by its id (the buttons under the list of grants).

    The permission comes first: anyone else is refused (and audited) whether or not the id
    exists, so a forged button tells them nothing.
    """
    await require_city_admin(session, actor, "grant.revoke", f"grant:{grant_id}")
    grant = await session.get(Grant, grant_id)
    if grant is None or grant.revoked_at is not None:
        raise UnknownTarget(f"grant:{grant_id}")
    return await _revoke(session, actor, grant)


async def _revoke(session: AsyncSession, actor: Actor, grant: Grant) -> Grant:
    before = {**_grant_json(grant), "revoked_at": None}
    grant.revoked_at, grant.revoked_by = session_now(session), actor.label
    await audit.record(
        session,
        actor.label,
        "grant.revoke",
        f"grant:{grant.id}",
        before=before,
        after={**_grant_json(grant), "revoked_at": grant.revoked_at.isoformat()},
    )
    return grant


async def active_grants(session: AsyncSession, actor: Actor) -> Sequence[Grant]:
    """Every active area-admin grant (city admins only)."""
    await require_city_admin(session, actor, "grant.list", "-")
    return (
        await session.scalars(
            select(Grant).where(Grant.revoked_at.is_(None)).order_by(Grant.area_id, Grant.id)
        )
    ).all()


async def visible_grants(session: AsyncSession, actor: Actor) -> Sequence[Grant]:
    """The active grants an admin may see: every one for a city admin, their areas' otherwise."""
    granted = await require_admin(session, actor, "grant.list")
    query = select(Grant).where(Grant.revoked_at.is_(None)).order_by(Grant.area_id, Grant.id)
    if granted.area_filter is not None:
        query = query.where(Grant.area_id.in_(granted.area_filter))
    return (await session.scalars(query)).all()


ROLE_ACTIONS = ("grant.add", "grant.revoke", "invite.create", "invite.redeem")


async def role_changes(
    session: AsyncSession, actor: Actor, *, limit: int = 10
) -> list[AuditEvent]:
    """The latest audited changes of roles and codes in the admin's areas, newest first."""
    granted = await require_admin(session, actor, "grant.list")
    events = await session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_(ROLE_ACTIONS))
        .order_by(AuditEvent.id.desc())
        .limit(limit * 5)
    )
    shown = []
    for event in events:
        area_id = (event.after or event.before or {}).get("area_id")
        if granted.area_filter is None or area_id in granted.area_filter:
            shown.append(event)
    return shown[:limit]


async def admins_of_areas(session: AsyncSession) -> dict[str, list[int]]:
    """area id → user ids with an active area-admin grant there."""
    rows = await session.execute(
        select(Grant.area_id, Grant.user_id).where(
            Grant.revoked_at.is_(None), Grant.role == GrantRole.AREA_ADMIN.value
        )
    )
    admins: dict[str, list[int]] = {}
    for area_id, user_id in rows.tuples():
        admins.setdefault(area_id, []).append(user_id)
    return admins


async def admin_user_ids(session: AsyncSession) -> tuple[set[int], set[int]]:
    """(users with an active area-admin grant, users whose grants are all revoked)."""
    active = set(await session.scalars(select(Grant.user_id).where(Grant.revoked_at.is_(None))))
    revoked = await session.scalars(select(Grant.user_id).where(Grant.revoked_at.is_not(None)))
    return active, set(revoked) - active
