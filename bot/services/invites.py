"""One-time invite codes that make the person who redeems them an area admin.

Only the SHA-256 of a code is stored. A code is used once (a compare-and-set on `used_at`, so
two people racing for one code cannot both win) and expires.

Attempts are limited: after `MAX_REFUSALS` refused codes within `REFUSAL_WINDOW`, a user's next
codes are refused unread until the window has passed. Refusals are audited as one counted
event per user and window (the row's `after["count"]`), not one row per attempt, so a script
trying codes cannot fill the audit log.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from bot.models import Area, AuditEvent, Grant, GrantRole, Invite
from bot.services import audit
from bot.services.authz import Actor, require_admin, require_area
from bot.services.errors import InvalidInvite, InvalidInviteDays, InviteProblem, UnknownArea
from bot.services.grants import add_grant

# No 0/O, 1/I/L: codes are read aloud and typed on phones. 12 symbols of 32 = 60 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
MAX_DAYS = 30
MAX_REFUSALS = 5
REFUSAL_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class CreatedInvite:
    code: str
    area_id: str
    expires_at: datetime


def normalise_code(raw: str) -> str:
    return re.sub(r"[\s\-]", "", raw).upper()


def code_hash(raw: str) -> str:
    return hashlib.sha256(normalise_code(raw).encode()).hexdigest()


def _new_code() -> str:
    symbols = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    return "-".join(symbols[i : i + 4] for i in range(0, CODE_LENGTH, 4))


async def create_invite(
    session: AsyncSession, actor: Actor, area_id: str | None, days: int, now: datetime
) -> CreatedInvite:
    """An admin of `area_id` (a colleague to invite) or a city admin (or the CLI) creates a
    code for the area-admin role there.

    The permission comes first: an admin learns of an unknown area (`UnknownArea`; None: the
    text named no area), anyone else is refused; then `InvalidInviteDays`.
    """
    if area_id is None or await session.get(Area, area_id) is None:
        await require_admin(session, actor, "invite.create")
        raise UnknownArea(area_id or "?")
    await require_area(session, actor, area_id, "invite.create", f"a:{area_id}")
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInviteDays(days, MAX_DAYS)
    code = _new_code()
    invite = Invite(
        code_hash=code_hash(code),
        role=GrantRole.AREA_ADMIN.value,
        area_id=area_id,
        created_by=actor.label,
        created_at=now,
        expires_at=now + timedelta(days=days),
    )
    session.add(invite)
    await session.flush()
    await audit.record(
        session,
        actor.label,
        "invite.create",
        f"invite:{invite.id}",
        after={"area_id": area_id, "expires_at": invite.expires_at.isoformat()},
    )
    return CreatedInvite(code, area_id, invite.expires_at)


async def redeem_invite(session: AsyncSession, user_id: int, raw: str, now: datetime) -> Grant:
    """Turn a valid code into an area-admin grant for `user_id`; raise `InvalidInvite`."""
    refusals = await _recent_refusals(session, user_id, now)
    if refusals is not None and _count(refusals) >= MAX_REFUSALS:
        raise await _refuse(session, user_id, "invite:?", InviteProblem.TOO_MANY, now)
    invite = await session.scalar(select(Invite).where(Invite.code_hash == code_hash(raw)))
    if invite is None:
        raise await _refuse(session, user_id, "invite:?", InviteProblem.UNKNOWN, now)
    target = f"invite:{invite.id}"
    if invite.used_at is not None:
        raise await _refuse(session, user_id, target, InviteProblem.USED, now)
    if as_utc(invite.expires_at) <= now:
        raise await _refuse(session, user_id, target, InviteProblem.EXPIRED, now)
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now, used_by=user_id)
    )
    if getattr(claimed, "rowcount", 0) != 1:  # someone redeemed it a moment ago
        raise await _refuse(session, user_id, target, InviteProblem.USED, now)
    await audit.record(
        session, str(user_id), "invite.redeem", target, after={"area_id": invite.area_id}
    )
    grant, _ = await add_grant(session, str(user_id), user_id, invite.area_id, granted_by=target)
    return grant


async def _recent_refusals(
    session: AsyncSession, user_id: int, now: datetime
) -> AuditEvent | None:
    """The user's counted refusal event of the current window, if any."""
    found: AuditEvent | None = await session.scalar(
        select(AuditEvent)
        .where(
            AuditEvent.actor == str(user_id),
            AuditEvent.action == "refused",
            AuditEvent.target.like("invite:%"),
            AuditEvent.at >= now - REFUSAL_WINDOW,
        )
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(1)
    )
    return found


def _count(event: AuditEvent) -> int:
    count = (event.after or {}).get("count", 1)
    return count if isinstance(count, int) else 1


async def _refuse(
    session: AsyncSession, user_id: int, target: str, problem: InviteProblem, now: datetime
) -> InvalidInvite:
    """Audit the refusal: the window's one event counts up, or a new window starts."""
    details = {"action": "invite.redeem", "problem": problem.value}
    event = await _recent_refusals(session, user_id, now)
    if event is None:
        session.add(
            AuditEvent(
                actor=str(user_id),
                action="refused",
                target=target,
                after={**details, "count": 1},
                at=now,
            )
        )
    else:
        event.target = target
        event.after = {**details, "count": _count(event) + 1}
    return InvalidInvite(problem)
