"""Area-admin roles: a city admin grants and revokes them; every change is audited."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import utcnow
from bot.models import Area, Grant, GrantRole
from bot.services import audit
from bot.services.authz import Actor, require_city_admin
from bot.services.errors import UnknownTarget


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
        granted_at=utcnow(),
    )
    session.add(grant)
    await session.flush()
    await audit.record(
        session, actor_label, "grant.add", f"grant:{grant.id}", after=_grant_json(grant)
    )
    return grant, True


async def grant_area_admin(
    session: AsyncSession, actor: Actor, user_id: int, area_id: str
) -> tuple[Grant, bool]:
    """A city admin makes `user_id` an admin of `area_id`; returns the grant and if it is new."""
    await require_city_admin(session, actor, "grant.add", f"a:{area_id}")
    if await session.get(Area, area_id) is None:
        raise UnknownTarget(area_id)
    return await add_grant(session, actor.label, user_id, area_id)


async def revoke_area_admin(
    session: AsyncSession, actor: Actor, user_id: int, area_id: str
) -> Grant:
    """A city admin takes the role away; the grant row stays, stamped `revoked_at`."""
    await require_city_admin(session, actor, "grant.revoke", f"a:{area_id}")
    grant = await active_grant(session, user_id, area_id)
    if grant is None:
        raise UnknownTarget(f"{user_id}@{area_id}")
    before = {**_grant_json(grant), "revoked_at": None}
    grant.revoked_at, grant.revoked_by = utcnow(), actor.label
    await audit.record(
        session,
        actor.label,
        "grant.revoke",
        f"grant:{grant.id}",
        before=before,
        after={**_grant_json(grant), "revoked_at": grant.revoked_at.isoformat()},
    )
    return grant


async def active_grants(
    session: AsyncSession, actor: Actor, area_ids: frozenset[str] | None = None
) -> Sequence[Grant]:
    """Every active area-admin grant (city admins only)."""
    await require_city_admin(session, actor, "grant.list", "-")
    query = select(Grant).where(Grant.revoked_at.is_(None)).order_by(Grant.area_id, Grant.id)
    if area_ids is not None:
        query = query.where(Grant.area_id.in_(area_ids))
    return (await session.scalars(query)).all()


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
