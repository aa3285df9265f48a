"""Tell the followers of a school or an area about a change there, through the outbox.

Each follower's notice carries what they follow (`FollowerGroup.followed`), so the text can say
why it reaches them. A change that takes effect later is announced on its day, with the details
as they are then (`bot.services.handovers.announce_due_handovers`): a withdrawn change is never
announced and a corrected one once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import outbox
from bot.services.follows import follower_groups
from bot.services.scopes import Scope


async def announce(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    scope: Scope,
    on: date,
    dedupe_prefix: str,
    now: datetime,
    handover_id: int | None = None,
    deliver_at: datetime | None = None,
) -> int:
    """Queue one notice per follower of a change in `scope` from `on`; returns how many."""
    queued = 0
    for group in await follower_groups(session, scope, on):
        queued += await outbox.enqueue(
            session,
            kind=kind,
            payload={**payload, "followed": group.followed},
            recipients=group.user_ids,
            dedupe_prefix=dedupe_prefix,
            now=now,
            handover_id=handover_id,
            area_id=scope.area_id,
            not_before=deliver_at,
        )
    return queued


async def follower_count(session: AsyncSession, scope: Scope, on: date) -> int:
    """How many would be told of a change in `scope` from `on`, if it were announced now."""
    return sum(len(group.user_ids) for group in await follower_groups(session, scope, on))
