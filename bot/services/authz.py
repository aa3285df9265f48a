"""Who may do what: city admins (from the settings) and area admins (from grants).

Every admin service calls one of the `require_*` functions before it writes anything. A refusal
is written to the audit log and raised as `NotAuthorized`; the handlers only render it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Grant, GrantRole
from bot.services import audit
from bot.services.errors import NotAuthorized, UnknownTarget
from bot.services.scopes import Scope, resolve_scope

CLI_ACTOR = "cli"


@dataclass(frozen=True)
class Actor:
    """Who acts: a Telegram user, or the command line (`user_id` None), which may do anything."""

    user_id: int | None
    city_admin_ids: frozenset[int] = frozenset()

    @classmethod
    def telegram(cls, user_id: int, city_admin_ids: Iterable[int]) -> Actor:
        return cls(user_id, frozenset(city_admin_ids))

    @classmethod
    def cli(cls) -> Actor:
        return cls(None)

    @property
    def label(self) -> str:
        return CLI_ACTOR if self.user_id is None else str(self.user_id)

    @property
    def is_city_admin(self) -> bool:
        return self.user_id is None or self.user_id in self.city_admin_ids


@dataclass(frozen=True)
class Permissions:
    city_admin: bool
    areas: frozenset[str]

    @property
    def is_admin(self) -> bool:
        return self.city_admin or bool(self.areas)

    def covers(self, area_id: str) -> bool:
        return self.city_admin or area_id in self.areas

    @property
    def area_filter(self) -> frozenset[str] | None:
        """The areas to list for this admin; None means every area."""
        return None if self.city_admin else self.areas


async def active_grant_areas(session: AsyncSession, user_id: int) -> frozenset[str]:
    rows = await session.scalars(
        select(Grant.area_id).where(
            Grant.user_id == user_id,
            Grant.role == GrantRole.AREA_ADMIN.value,
            Grant.revoked_at.is_(None),
        )
    )
    return frozenset(rows)


async def permissions(session: AsyncSession, actor: Actor) -> Permissions:
    if actor.is_city_admin:
        return Permissions(True, frozenset())
    assert actor.user_id is not None
    return Permissions(False, await active_grant_areas(session, actor.user_id))


async def refuse(session: AsyncSession, actor: Actor, action: str, target: str) -> NotAuthorized:
    """Audit a refusal and return the error to raise."""
    await audit.record(session, actor.label, "refused", target, after={"action": action})
    return NotAuthorized(action, target)


async def require_admin(session: AsyncSession, actor: Actor, action: str) -> Permissions:
    """Any admin role at all (to start a wizard); the scope is checked when it is chosen."""
    granted = await permissions(session, actor)
    if not granted.is_admin:
        raise await refuse(session, actor, action, "-")
    return granted


async def require_area(
    session: AsyncSession, actor: Actor, area_id: str, action: str, target: str
) -> Permissions:
    """Admin of this area, or city admin."""
    granted = await permissions(session, actor)
    if not granted.covers(area_id):
        raise await refuse(session, actor, action, target)
    return granted


async def require_scope(session: AsyncSession, actor: Actor, key: str, action: str) -> Scope:
    """The scope behind `key`, if the actor may change it (admin of its area, or city admin).

    An unknown key is refused to a non-admin before it is reported as unknown, so only admins
    learn which keys exist.
    """
    scope = await resolve_scope(session, key)
    if scope is None:
        await require_admin(session, actor, action)
        raise UnknownTarget(key)
    await require_area(session, actor, scope.area_id, action, scope.key)
    return scope


async def require_city_admin(
    session: AsyncSession, actor: Actor, action: str, target: str
) -> None:
    if not actor.is_city_admin:
        raise await refuse(session, actor, action, target)
