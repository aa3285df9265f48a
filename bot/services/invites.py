"""One-time invite codes that make the person who redeems them an area admin.

Only the SHA-256 of a code is stored. A code is used once (a compare-and-set on `used_at`, so
two people racing for one code cannot both win) and expires. Refusals are audited.
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
from bot.models import Area, Grant, GrantRole, Invite
from bot.services import audit
from bot.services.authz import Actor, require_admin, require_area
from bot.services.errors import InvalidInvite, InvalidInviteDays, InviteProblem, UnknownArea
from bot.services.grants import add_grant

# No 0/O, 1/I/L: codes are read aloud and typed on phones. 12 symbols of 32 = 60 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
MAX_DAYS = 30


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
    invite = await session.scalar(select(Invite).where(Invite.code_hash == code_hash(raw)))
    if invite is None:
        raise await _refuse(session, user_id, "invite:?", InviteProblem.UNKNOWN)
    target = f"invite:{invite.id}"
    if invite.used_at is not None:
        raise await _refuse(session, user_id, target, InviteProblem.USED)
    if as_utc(invite.expires_at) <= now:
        raise await _refuse(session, user_id, target, InviteProblem.EXPIRED)
    claimed = await session.execute(
        update(Invite)
        .where(Invite.id == invite.id, Invite.used_at.is_(None))
        .values(used_at=now, used_by=user_id)
    )
    if getattr(claimed, "rowcount", 0) != 1:  # someone redeemed it a moment ago
        raise await _refuse(session, user_id, target, InviteProblem.USED)
    await audit.record(
        session, str(user_id), "invite.redeem", target, after={"area_id": invite.area_id}
    )
    grant, _ = await add_grant(session, str(user_id), user_id, invite.area_id, granted_by=target)
    return grant


async def _refuse(
    session: AsyncSession, user_id: int, target: str, problem: InviteProblem
) -> InvalidInvite:
    await audit.record(
        session,
        str(user_id),
        "refused",
        target,
        after={"action": "invite.redeem", "problem": problem.value},
    )
    return InvalidInvite(problem)
