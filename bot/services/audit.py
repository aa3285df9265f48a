"""The audit log: who did what to which record, with the values before and after.

Written in the caller's transaction, so a change and its audit entry commit together. A
permission refusal is recorded before anything else is written; the handler that catches the
`NotAuthorized` lets its transaction commit, so the refusal stays in the log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import session_now
from bot.models import AuditEvent


async def record(
    session: AsyncSession,
    actor: str,
    action: str,
    target: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor=actor,
        action=action,
        target=target,
        before=before,
        after=after,
        at=session_now(session),
    )
    session.add(event)
    return event
