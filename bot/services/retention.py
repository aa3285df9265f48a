"""Delete what is no longer needed: finished notifications, abandoned guides and wizards, and
audit entries when configured.

An abandoned guide's stored path says which answers a user gave (for example that abuse in the
family is suspected) next to their Telegram id; it is kept only long enough to resume.

A notification row holds a recipient's chat id and the message's data; once it is delivered (or
has failed for good, or was cancelled) it only serves the admins' delivery overview for a while.
The audit log is the register's accountability trail and a public record (allmän handling), so
it is kept unless the controller's decision on disposal (gallringsbeslut) sets a period.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import AuditEvent, GuideSession, Notification, NotificationStatus, WizardSession


@dataclass(frozen=True)
class Purged:
    notifications: int
    audit_events: int
    guide_sessions: int
    wizard_sessions: int = 0


def affected_rows(result: object) -> int:
    """The rows an UPDATE or DELETE touched (`Session.execute` is typed without `rowcount`)."""
    return int(getattr(result, "rowcount", 0) or 0)


async def purge(
    session: AsyncSession,
    now: datetime,
    *,
    outbox_days: int,
    audit_days: int,
    guide_idle_hours: int,
) -> Purged:
    """Delete finished notifications older than `outbox_days`, audit entries older than
    `audit_days` and guides untouched for `guide_idle_hours`; 0 keeps them. Pending
    notifications are never deleted. Wizards past their expiry always go."""
    notifications = audit_events = guides = 0
    if guide_idle_hours > 0:
        result = await session.execute(
            delete(GuideSession).where(
                GuideSession.updated_at < now - timedelta(hours=guide_idle_hours)
            )
        )
        guides = affected_rows(result)
    if outbox_days > 0:
        result = await session.execute(
            delete(Notification).where(
                Notification.status != NotificationStatus.PENDING.value,
                func.coalesce(Notification.sent_at, Notification.created_at)
                < now - timedelta(days=outbox_days),
            )
        )
        notifications = affected_rows(result)
    if audit_days > 0:
        result = await session.execute(
            delete(AuditEvent).where(AuditEvent.at < now - timedelta(days=audit_days))
        )
        audit_events = affected_rows(result)
    wizards = affected_rows(
        await session.execute(delete(WizardSession).where(WizardSession.expires_at <= now))
    )
    return Purged(notifications, audit_events, guides, wizards)
