"""Staff follow schools and areas, and hear when the contact person there is replaced.

A follow is inactive while its user has blocked the bot (Telegram answered 403); `/start`
reactivates it. Unfollowing deletes the row: the bot keeps no more than it needs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, delete, exists, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import session_now
from bot.models import Area, ContactAssignment, ContactRole, Follow, School
from bot.services.errors import UnknownTarget
from bot.services.scopes import Scope, in_force, resolve_scope
from bot.services.users import remember


@dataclass(frozen=True)
class FollowView:
    id: int
    scope: Scope
    active: bool


async def follow(session: AsyncSession, user_id: int, key: str) -> tuple[Scope, bool]:
    """Follow a school or area; returns the scope and whether the follow is new."""
    scope = await resolve_scope(session, key)
    if scope is None:
        raise UnknownTarget(key)
    await remember(session, user_id)
    existing = await session.scalar(
        select(Follow).where(Follow.user_id == user_id, Follow.target == scope.key)
    )
    if existing is not None:
        existing.active, existing.deactivated_at = True, None
        return scope, False
    session.add(
        Follow(
            user_id=user_id,
            target=scope.key,
            area_id=None if scope.is_school else scope.area_id,
            school_id=scope.school_id,
        )
    )
    await session.flush()
    return scope, True


async def unfollow(session: AsyncSession, user_id: int, follow_id: int) -> Scope:
    """Stop one follow of this user; a follow of someone else is unknown here."""
    row = await session.get(Follow, follow_id)
    if row is None or row.user_id != user_id:
        raise UnknownTarget(str(follow_id))
    scope = await resolve_scope(session, row.target)
    await session.execute(delete(Follow).where(Follow.id == follow_id))
    if scope is None:  # pragma: no cover - follows cascade with their school
        raise UnknownTarget(row.target)
    return scope


async def follows_of(session: AsyncSession, user_id: int) -> list[FollowView]:
    rows = await session.scalars(
        select(Follow).where(Follow.user_id == user_id).order_by(Follow.created_at, Follow.id)
    )
    views = []
    for row in rows:
        scope = await resolve_scope(session, row.target)
        if scope is not None:
            views.append(FollowView(row.id, scope, row.active))
    return sorted(views, key=lambda view: view.scope.name.casefold())


async def deactivate_for_chat(session: AsyncSession, chat_id: int) -> int:
    """The user blocked the bot: stop sending until they come back with /start."""
    result = await session.execute(
        update(Follow)
        .where(Follow.user_id == chat_id, Follow.active.is_(True))
        .values(active=False, deactivated_at=session_now(session))
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def reactivate_for_user(session: AsyncSession, user_id: int) -> int:
    result = await session.execute(
        update(Follow)
        .where(Follow.user_id == user_id, Follow.active.is_(False))
        .values(active=True, deactivated_at=None)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def followers_of_change(
    session: AsyncSession, scope: Scope, on: date, role: ContactRole = ContactRole.COOPERATION
) -> list[int]:
    """Who hears about a new contact in `scope` from `on`.

    A school's followers, and its area's. For an area: the area's followers, and the followers
    of its schools that have no contact of their own on that day (they inherit the area's).
    """
    condition = _change_condition(scope, on, role)
    rows = await session.scalars(
        select(Follow.user_id).where(Follow.active.is_(True), condition).distinct()
    )
    return sorted(rows)


def _change_condition(scope: Scope, on: date, role: ContactRole) -> ColumnElement[bool]:
    if scope.is_school:
        return Follow.target.in_([scope.key, f"a:{scope.area_id}"])
    own_contact = exists().where(
        ContactAssignment.school_id == Follow.school_id,
        ContactAssignment.role == role.value,
        in_force(on),
    )
    in_area = exists().where(School.id == Follow.school_id, School.area_id == scope.area_id)
    return or_(Follow.area_id == scope.area_id, and_(in_area, ~own_contact))


@dataclass(frozen=True)
class FollowerGroup:
    """The followers who hear of a change through one followed school or area.

    `followed` goes into the notice's payload, so the notice names what the recipient follows
    ("Eriksdalsskolan", not the area whose contact the school inherits) and why it reaches them.
    """

    followed: dict[str, str | bool]
    user_ids: list[int]


async def _target_names(session: AsyncSession, targets: set[str]) -> dict[str, str]:
    """The name of each followed school ("s:<id>") and area ("a:<id>"); two small queries."""
    school_ids = [int(t[2:]) for t in targets if t.startswith("s:")]
    area_ids = [t[2:] for t in targets if t.startswith("a:")]
    names: dict[str, str] = {}
    if school_ids:
        rows = await session.execute(
            select(School.id, School.name).where(School.id.in_(school_ids))
        )
        names.update((f"s:{school_id}", name) for school_id, name in rows.tuples())
    if area_ids:
        rows = await session.execute(select(Area.id, Area.name).where(Area.id.in_(area_ids)))
        names.update((f"a:{area_id}", name) for area_id, name in rows.tuples())
    return names


async def follower_groups(
    session: AsyncSession, scope: Scope, on: date, role: ContactRole = ContactRole.COOPERATION
) -> list[FollowerGroup]:
    """`followers_of_change`, grouped by what each follower follows; one group per user.

    A user who follows both the school and its area is counted once, under the school (the
    more specific reason).
    """
    rows = await session.execute(
        select(Follow.user_id, Follow.target).where(
            Follow.active.is_(True), _change_condition(scope, on, role)
        )
    )
    by_user: dict[int, str] = {}
    for user_id, target in rows.tuples():
        if not by_user.get(user_id, "").startswith("s:"):  # a followed school wins
            by_user[user_id] = target
    names = await _target_names(session, set(by_user.values()))
    groups: dict[str, FollowerGroup] = {}
    for user_id, target in sorted(by_user.items()):
        followed: dict[str, str | bool] = {
            "key": target,
            "name": names.get(target, ""),
            "is_school": target.startswith("s:"),
        }
        groups.setdefault(target, FollowerGroup(followed, [])).user_ids.append(user_id)
    return list(groups.values())
