"""What the bot keeps about a Telegram user: shown by /mina_uppgifter, erased by /glom_mig.

`PERSONAL_COLUMNS` lists every column that can hold a user's Telegram id and what erasure does
with it; a test fails when a table gains such a column that is not listed here. Erasure:

* deletes what exists only for the user: the user row, follows, notifications to them, their
  place in the guide, their revoked admin grants;
* clears the id where a row is about something else: an invite they redeemed keeps `used_at`;
* replaces the id by a pseudonym where the row is someone's accountability for a change to the
  register (audit log, handovers, absences, grants and invites they made): the same keyed hash
  (HMAC-SHA256) everywhere, so one person's entries still belong together, but the Telegram id
  can only be recovered by someone who holds both the key and a candidate id.

An admin with an active role is refused: every change to the register needs a named person
responsible while the role lasts. A city admin removes the role first (/behorighet), or the
operator removes a city admin from CITY_ADMIN_IDS.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from pydantic import SecretStr
from sqlalchemy import String, cast, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import announce
from bot.models import (
    Absence,
    Area,
    AuditEvent,
    Follow,
    Grant,
    GuideCheckIn,
    GuideSession,
    Handover,
    InstallationKey,
    Invite,
    Notification,
    School,
    User,
    WizardSession,
)
from bot.services import audit
from bot.services.guide import stored_steps
from bot.services.retention import affected_rows
from bot.services.users import LanguageChanged

PSEUDONYM_PREFIX: Final = "anon:"
PSEUDONYM_KEY_NAME: Final = "pseudonym_key"
ERASE_ACTION: Final = "privacy.erase"

# table.column → what erasure does with it. `tests/test_personal_data.py` checks that every
# column of the schema that can hold a user's id is listed.
PERSONAL_COLUMNS: Final[dict[str, str]] = {
    "users.id": "delete",
    "follows.user_id": "delete",
    "notifications.chat_id": "delete",
    "guide_sessions.user_id": "delete",
    "guide_sessions.chat_id": "delete",
    "guide_sessions.message_id": "delete (with its row)",
    "guide_checkins.user_id": "delete",
    "wizard_sessions.user_id": "delete",
    "wizard_sessions.chat_id": "delete",
    "grants.user_id": "delete (only revoked grants remain; an active role refuses erasure)",
    "grants.granted_by": "pseudonymise",
    "grants.revoked_by": "pseudonymise",
    "invites.created_by": "pseudonymise",
    "invites.used_by": "clear",
    "handovers.recorded_by": "pseudonymise",
    "absences.recorded_by": "pseudonymise",
    "handovers.idempotency_key": "pseudonymise (keys before the pseudonymous form)",
    "absences.idempotency_key": "pseudonymise (keys before the pseudonymous form)",
    "audit_events.actor": "pseudonymise",
    "audit_events.target": "pseudonymise",
    "audit_events.before": "pseudonymise",
    "audit_events.after": "pseudonymise",
}


# --- Pseudonyms -------------------------------------------------------------------------------


def pseudonym(user_id: int, key: bytes) -> str:
    """A stable, keyed stand-in for a Telegram id: "anon:" and 24 hex digits (96 bits)."""
    digest = hmac.new(key, f"telegram-user:{user_id}".encode(), hashlib.sha256).hexdigest()
    return PSEUDONYM_PREFIX + digest[:24]


async def pseudonym_key(session: AsyncSession, configured: SecretStr | None) -> bytes:
    """PSEUDONYM_KEY when set; otherwise this installation's own random key (made once)."""
    if configured is not None and configured.get_secret_value().strip():
        return configured.get_secret_value().strip().encode()
    dialect = session.get_bind().dialect.name
    insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
    # Two bots erasing at once on a new installation: the first key wins, both read it back.
    await session.execute(
        insert(InstallationKey)
        .values(name=PSEUDONYM_KEY_NAME, value=secrets.token_hex(32), created_at=func.now())
        .on_conflict_do_nothing(index_elements=["name"])
    )
    value = await session.scalar(
        select(InstallationKey.value).where(InstallationKey.name == PSEUDONYM_KEY_NAME)
    )
    assert value is not None
    return value.encode()


def _id_pattern(user_id: int) -> re.Pattern[str]:
    # The id as a whole number: "4242" in "grant 4242@bromma" but not in "142420".
    return re.compile(rf"(?<!\d){user_id}(?!\d)")


def _scrub(value: Any, user_id: int, alias: str, pattern: re.Pattern[str]) -> Any:
    """`value` with every occurrence of the id (number, string or inside text) replaced."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return alias if value == user_id else value
    if isinstance(value, str):
        return pattern.sub(alias, value)
    if isinstance(value, list):
        return [_scrub(item, user_id, alias, pattern) for item in value]
    if isinstance(value, dict):
        return {
            _scrub(k, user_id, alias, pattern): _scrub(v, user_id, alias, pattern)
            for k, v in value.items()
        }
    return value


# --- What is stored (/mina_uppgifter) ------------------------------------------------------------


@dataclass(frozen=True)
class FollowView:
    name: str
    active: bool


@dataclass(frozen=True)
class GrantView:
    area_name: str
    granted_at: datetime
    revoked_at: datetime | None


@dataclass(frozen=True)
class PersonalData:
    """What the database holds about one user, and what names them as the author of a change."""

    user_id: int
    first_seen_at: datetime | None
    language: str | None
    is_city_admin: bool
    follows: list[FollowView] = field(default_factory=list)
    grants: list[GrantView] = field(default_factory=list)
    guide_saved_at: datetime | None = None
    guide_steps: int = 0
    checkin_due_on: date | None = None
    notifications: dict[str, int] = field(default_factory=dict)
    invites_redeemed: int = 0
    # Changes to the register that name the user as their author.
    audit_entries: int = 0
    handovers_recorded: int = 0
    absences_recorded: int = 0
    grants_given: int = 0
    invites_created: int = 0


async def _count(session: AsyncSession, query: Any) -> int:
    return int(await session.scalar(query) or 0)


async def _guide_rows(
    session: AsyncSession, user_id: int
) -> tuple[GuideSession | None, GuideCheckIn | None]:
    return await session.get(GuideSession, user_id), await session.get(GuideCheckIn, user_id)


async def collect(
    session: AsyncSession, user_id: int, city_admin_ids: Iterable[int]
) -> PersonalData:
    """Read every table that can hold the user's id."""
    label = str(user_id)
    user = await session.get(User, user_id)
    follow_rows = await session.execute(
        select(Follow.active, Area.name, School.name)
        .outerjoin(Area, Area.id == Follow.area_id)
        .outerjoin(School, School.id == Follow.school_id)
        .where(Follow.user_id == user_id)
        .order_by(Follow.created_at, Follow.id)
    )
    follows = [
        FollowView(school_name or area_name or "?", active)
        for active, area_name, school_name in follow_rows.tuples()
    ]
    grant_rows = await session.execute(
        select(Area.name, Grant.granted_at, Grant.revoked_at)
        .join(Area, Area.id == Grant.area_id)
        .where(Grant.user_id == user_id)
        .order_by(Grant.granted_at, Grant.id)
    )
    guide, checkin = await _guide_rows(session, user_id)
    statuses = await session.execute(
        select(Notification.status, func.count())
        .where(Notification.chat_id == user_id)
        .group_by(Notification.status)
    )
    count = func.count()
    return PersonalData(
        user_id=user_id,
        first_seen_at=user.first_seen_at if user else None,
        language=user.language if user else None,
        is_city_admin=user_id in set(city_admin_ids),
        follows=follows,
        grants=[GrantView(*row) for row in grant_rows.tuples()],
        guide_saved_at=guide.updated_at if guide else None,
        guide_steps=stored_steps(guide.position) if guide else 0,
        checkin_due_on=checkin.due_on if checkin else None,
        notifications={status: int(n) for status, n in statuses.tuples()},
        invites_redeemed=await _count(
            session, select(count).select_from(Invite).where(Invite.used_by == user_id)
        ),
        audit_entries=await _count(
            session, select(count).select_from(AuditEvent).where(AuditEvent.actor == label)
        ),
        handovers_recorded=await _count(
            session, select(count).select_from(Handover).where(Handover.recorded_by == label)
        ),
        absences_recorded=await _count(
            session, select(count).select_from(Absence).where(Absence.recorded_by == label)
        ),
        grants_given=await _count(
            session, select(count).select_from(Grant).where(Grant.granted_by == label)
        ),
        invites_created=await _count(
            session, select(count).select_from(Invite).where(Invite.created_by == label)
        ),
    )


# --- Erasure (/glom_mig) -------------------------------------------------------------------------


class StillAdmin(Exception):
    """The user holds an active admin role; it must be removed before erasure."""

    def __init__(self, areas: list[str], city_admin: bool) -> None:
        super().__init__("active admin role")
        self.areas = areas
        self.city_admin = city_admin


async def require_erasable(
    session: AsyncSession, user_id: int, city_admin_ids: Iterable[int]
) -> None:
    """Raise `StillAdmin` while the user holds an admin role (an area's, or city admin)."""
    active = await session.scalars(
        select(Area.name)
        .join(Grant, Grant.area_id == Area.id)
        .where(Grant.user_id == user_id, Grant.revoked_at.is_(None))
        .order_by(Area.name)
    )
    areas = list(active)
    city_admin = user_id in set(city_admin_ids)
    if areas or city_admin:
        raise StillAdmin(areas, city_admin)


async def erase(
    session: AsyncSession,
    user_id: int,
    *,
    city_admin_ids: Iterable[int],
    configured_key: SecretStr | None,
) -> None:
    """Erase the user in the caller's transaction; raises `StillAdmin` before touching anything.

    `configured_key` is PSEUDONYM_KEY (see `pseudonym_key`). What was deleted, cleared and
    pseudonymised, per table, is recorded in the audit log under the pseudonym.
    """
    await require_erasable(session, user_id, city_admin_ids)
    key = await pseudonym_key(session, configured_key)
    alias = pseudonym(user_id, key)
    deleted = await _delete_rows(session, user_id)
    announce(session, LanguageChanged(user_id))  # the language cache forgets them
    cleared = {
        "invites": affected_rows(
            await session.execute(
                update(Invite).where(Invite.used_by == user_id).values(used_by=None)
            )
        )
    }
    pseudonymised = await _pseudonymise(session, user_id, alias)
    await audit.record(
        session,
        alias,
        ERASE_ACTION,
        f"user:{alias}",
        after={"deleted": deleted, "cleared": cleared, "pseudonymised": pseudonymised},
    )


async def _pseudonymise(session: AsyncSession, user_id: int, alias: str) -> dict[str, int]:
    """Replace the id by `alias` where the user answers for a change; rows per column."""
    label = str(user_id)
    pseudonymised: dict[str, int] = {}
    for model, column in (
        (Grant, Grant.granted_by),
        (Grant, Grant.revoked_by),
        (Invite, Invite.created_by),
        (Handover, Handover.recorded_by),
        (Absence, Absence.recorded_by),
    ):
        result = await session.execute(
            update(model).where(column == label).values({column: alias})
        )
        name = f"{model.__tablename__}.{column.key}"
        pseudonymised[name] = affected_rows(result)
    pseudonymised["audit_events"] = await _pseudonymise_audit(session, user_id, alias)
    # Keys that older versions wrote with the id in clear (bot.services.action_keys).
    pseudonymised["idempotency_keys"] = await pseudonymise_legacy_keys(session, user_id, alias)
    return pseudonymised


async def _delete_rows(session: AsyncSession, user_id: int) -> dict[str, int]:
    """Delete every row that is the user's own; how many per table."""
    return {
        "follows": affected_rows(
            await session.execute(delete(Follow).where(Follow.user_id == user_id))
        ),
        "notifications": affected_rows(
            await session.execute(delete(Notification).where(Notification.chat_id == user_id))
        ),
        "guide_sessions": affected_rows(
            await session.execute(
                delete(GuideSession).where(
                    or_(GuideSession.user_id == user_id, GuideSession.chat_id == user_id)
                )
            )
        ),
        "grants": affected_rows(
            await session.execute(delete(Grant).where(Grant.user_id == user_id))
        ),
        "wizard_sessions": affected_rows(
            await session.execute(
                delete(WizardSession).where(
                    or_(WizardSession.user_id == user_id, WizardSession.chat_id == user_id)
                )
            )
        ),
        "guide_checkins": affected_rows(
            await session.execute(delete(GuideCheckIn).where(GuideCheckIn.user_id == user_id))
        ),
        "users": affected_rows(await session.execute(delete(User).where(User.id == user_id))),
    }


async def pseudonymise_legacy_keys(session: AsyncSession, user_id: int, alias: str) -> int:
    """Rewrite keys written with the id in clear ("ho:<id>:…") to carry the pseudonym."""
    changed = 0
    for prefix, model in (("ho", Handover), ("fr", Absence)):
        old = f"{prefix}:{user_id}:"
        result = await session.execute(
            update(model)
            .where(model.idempotency_key.startswith(old, autoescape=True))
            .values(
                idempotency_key=f"{prefix}:{alias}:"
                + func.substr(model.idempotency_key, len(old) + 1)
            )
        )
        changed += affected_rows(result)
    return changed


async def _pseudonymise_audit(session: AsyncSession, user_id: int, alias: str) -> int:
    label = str(user_id)
    like = f"%{label}%"
    candidates = await session.scalars(
        select(AuditEvent).where(
            or_(
                AuditEvent.actor == label,
                AuditEvent.target.like(like),
                cast(AuditEvent.before, String).like(like),
                cast(AuditEvent.after, String).like(like),
            )
        )
    )
    pattern = _id_pattern(user_id)
    changed = 0
    for event in candidates:
        before = (event.actor, event.target, event.before, event.after)
        event.actor = alias if event.actor == label else event.actor
        event.target = pattern.sub(alias, event.target)[: AuditEvent.target.type.length]
        # New objects, not changes in place: the ORM only sees reassigned JSON values.
        event.before = _scrub(event.before, user_id, alias, pattern)
        event.after = _scrub(event.after, user_id, alias, pattern)
        if (event.actor, event.target, event.before, event.after) != before:
            changed += 1
    await session.flush()
    return changed
