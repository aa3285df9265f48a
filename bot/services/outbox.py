"""The outbox: notifications written in the transaction that causes them, delivered later.

A change that tells people (a handover) inserts one row per recipient in its own transaction,
each with a dedupe key that is unique in the table ("handover:<id>:<chat id>"), so nothing is
lost when the bot crashes after commit and nothing is queued twice. `app.delivery` claims due
rows, sends them and marks each one sent, retried or failed.

Claiming leases rows instead of holding a lock: `lease_owner` names the worker process
("host:pid:start token", `LeaseOwner`) and `lease_expires_at` says until when. The owner renews
its leases while it works and extends them while Telegram asks it to wait (RetryAfter), so a
live worker's rows are never taken, even on another replica. A worker that dies leaves its rows
pending: they are free again when the lease expires (any replica), or at once when a process
starts on the same host and finds the owner's pid gone (`dead_owners`). Marking a row sent,
failed or retried succeeds only for the lease holder, so a worker whose lease was taken over
never overwrites the new holder's outcome.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Notification, NotificationStatus, User
from bot.services.parsing import is_ascii_digits

ERROR_MAX = 300

# The kinds of notification; `handlers.notices` renders each into a message.
HANDOVER = "handover"
HANDOVER_DAY = "handover_day"
ABSENCE = "absence"
STALE_REMINDER = "stale_reminder"
PENDING = NotificationStatus.PENDING.value


@dataclass(frozen=True)
class LeaseOwner:
    """One delivery worker process: its host, its pid and a token made when it started."""

    host: str
    pid: int
    token: str

    @property
    def label(self) -> str:
        return f"{self.host}:{self.pid}:{self.token}"

    @classmethod
    def parse(cls, label: str) -> LeaseOwner | None:
        parts = label.rsplit(":", 2)
        if len(parts) != 3:
            return None
        host, pid, token = parts
        if not host or not token or not is_ascii_digits(pid, max_digits=10):
            return None
        return cls(host, int(pid), token)


def dead_owners(
    labels: Iterable[str], me: LeaseOwner, pid_alive: Callable[[int], bool]
) -> list[str]:
    """The owners among `labels` known to be dead: on this host, their process is gone.

    Same pid as mine with another token: an earlier process that had my pid (a restarted
    container). Another host's owners are never judged here; their leases expire.
    """
    dead = []
    for label in labels:
        owner = LeaseOwner.parse(label)
        if owner is None or owner.host != me.host or owner == me:
            continue
        if owner.pid == me.pid or not pid_alive(owner.pid):
            dead.append(label)
    return dead


@dataclass(frozen=True)
class OutboxItem:
    """A claimed notification, with what the sender needs to render it."""

    id: int
    chat_id: int
    kind: str
    payload: dict[str, Any]
    attempts: int
    language: str | None
    # For the follow-up figures: which area the message is about (never who received it).
    area_id: str | None = None
    # When the cause wrote it, for the delivery latency (app/metrics.py).
    created_at: datetime | None = None


async def enqueue(
    session: AsyncSession,
    *,
    kind: str,
    payload: dict[str, Any],
    recipients: Iterable[int],
    dedupe_prefix: str,
    now: datetime,
    handover_id: int | None = None,
    area_id: str | None = None,
    not_before: datetime | None = None,
) -> int:
    """Queue one notification per recipient (one bulk insert); returns how many were offered.

    `not_before`: not delivered before then (an absence is told on its first day).

    A recipient already queued under the same dedupe key is skipped by the database
    (ON CONFLICT DO NOTHING), so enqueueing the same cause twice queues nothing new.
    """
    chat_ids = sorted(set(recipients))
    if not chat_ids:
        return 0
    rows = [
        {
            "chat_id": chat_id,
            "kind": kind,
            "payload": payload,
            "dedupe_key": f"{dedupe_prefix}:{chat_id}",
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": not_before or now,
            "handover_id": handover_id,
            "area_id": area_id,
            "created_at": now,
        }
        for chat_id in chat_ids
    ]
    await session.execute(_insert_ignoring_duplicates(session), rows)
    return len(rows)


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    # A Core insert on the table: executemany without the ORM's per-row bookkeeping, which
    # would triple the time to queue 10,000 notices (bench/fanout.py).
    table = Notification.metadata.tables[Notification.__tablename__]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    if dialect == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=["dedupe_key"])
    return insert(table)  # pragma: no cover - other databases are not supported


async def claim_due(
    session: AsyncSession,
    now: datetime,
    *,
    limit: int,
    lease: timedelta,
    owner: str = "unknown",
) -> list[OutboxItem]:
    """Lease up to `limit` due notifications to `owner`, oldest first.

    Due: pending, `next_attempt_at` reached, and not leased, or the lease has expired.
    """
    rows = (
        await session.scalars(
            select(Notification)
            .where(
                Notification.status == PENDING,
                Notification.next_attempt_at <= now,
                or_(
                    Notification.lease_expires_at.is_(None),
                    Notification.lease_expires_at <= now,
                ),
            )
            .order_by(Notification.next_attempt_at, Notification.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    ).all()
    if not rows:
        return []
    for row in rows:
        row.lease_owner = owner
        row.lease_expires_at = now + lease
    chat_ids = {row.chat_id for row in rows}
    users = await session.execute(select(User.id, User.language).where(User.id.in_(chat_ids)))
    languages = {user_id: language for user_id, language in users.tuples()}
    return [
        OutboxItem(
            row.id,
            row.chat_id,
            row.kind,
            row.payload,
            row.attempts,
            languages.get(row.chat_id),
            row.area_id,
            row.created_at,
        )
        for row in rows
    ]


async def renew_leases(session: AsyncSession, owner: str, until: datetime) -> int:
    """Extend every lease `owner` holds on pending rows to `until` (the owner is alive)."""
    result = await session.execute(
        update(Notification)
        .where(Notification.lease_owner == owner, Notification.status == PENDING)
        .values(lease_expires_at=until)
    )
    return _rowcount(result)


async def lease_owners(session: AsyncSession, now: datetime) -> list[str]:
    """The owners holding an unexpired lease on a pending row."""
    result = await session.scalars(
        select(Notification.lease_owner)
        .where(
            Notification.status == PENDING,
            Notification.lease_owner.is_not(None),
            Notification.lease_expires_at > now,
        )
        .distinct()
    )
    return [owner for owner in result if owner is not None]


async def release_leases(session: AsyncSession, owners: Collection[str]) -> int:
    """Free the pending rows leased to `owners` (dead processes): due again at once."""
    if not owners:
        return 0
    result = await session.execute(
        update(Notification)
        .where(Notification.lease_owner.in_(owners), Notification.status == PENDING)
        .values(lease_owner=None, lease_expires_at=None)
    )
    return _rowcount(result)


def _held_by(notification_id: int, owner: str) -> Any:
    """The row is still pending and still leased to `owner`."""
    return (
        (Notification.id == notification_id)
        & (Notification.status == PENDING)
        & (Notification.lease_owner == owner)
    )


def _rowcount(result: object) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


async def mark_sent(
    session: AsyncSession, notification_id: int, now: datetime, *, owner: str
) -> int:
    """Mark a notification sent; 0 unless it is pending and leased to `owner`."""
    result = await session.execute(
        update(Notification)
        .where(_held_by(notification_id, owner))
        .values(
            status=NotificationStatus.SENT.value,
            sent_at=now,
            attempts=Notification.attempts + 1,
            last_error=None,
            lease_owner=None,
            lease_expires_at=None,
        )
    )
    return _rowcount(result)


async def mark_failed(
    session: AsyncSession, notification_id: int, error: str, *, owner: str
) -> int:
    """Give up on one notification; the error stays visible to admins.

    Returns 0 when the row is no longer pending (e.g. cancelled because the chat blocked the
    bot) or no longer leased to `owner`, so the caller counts a failure only once.
    """
    result = await session.execute(
        update(Notification)
        .where(_held_by(notification_id, owner))
        .values(
            status=NotificationStatus.FAILED.value,
            attempts=Notification.attempts + 1,
            last_error=error[:ERROR_MAX],
            lease_owner=None,
            lease_expires_at=None,
        )
    )
    return _rowcount(result)


async def retry_later(
    session: AsyncSession,
    notification_id: int,
    at: datetime,
    error: str,
    *,
    owner: str,
    count: bool = True,
) -> None:
    """Try again at `at`; `count=False` for waits Telegram asked for (not a failed attempt)."""
    values: dict[str, Any] = {
        "next_attempt_at": at,
        "last_error": error[:ERROR_MAX],
        "lease_owner": None,
        "lease_expires_at": None,
    }
    if count:
        values["attempts"] = Notification.attempts + 1
    await session.execute(
        update(Notification).where(_held_by(notification_id, owner)).values(**values)
    )


async def cancel_pending_for_chat(session: AsyncSession, chat_id: int, reason: str) -> int:
    result = await session.execute(
        update(Notification)
        .where(Notification.chat_id == chat_id, Notification.status == PENDING)
        .values(status=NotificationStatus.CANCELLED.value, last_error=reason[:ERROR_MAX])
    )
    return _rowcount(result)


@dataclass(frozen=True)
class DeliveryCounts:
    pending: int = 0
    sent: int = 0
    failed: int = 0


async def counts_for_handovers(
    session: AsyncSession, handover_ids: Collection[int]
) -> dict[int, DeliveryCounts]:
    """How the notices of each handover fared, in one query (handovers without any: none)."""
    if not handover_ids:
        return {}
    rows = await session.execute(
        select(Notification.handover_id, Notification.status, func.count())
        .where(Notification.handover_id.in_(handover_ids))
        .group_by(Notification.handover_id, Notification.status)
    )
    by_handover: dict[int, dict[str, int]] = {}
    for handover_id, status, count in rows.tuples():
        if handover_id is not None:
            by_handover.setdefault(handover_id, {})[status] = int(count)
    return {
        handover_id: DeliveryCounts(
            pending=by_status.get(PENDING, 0),
            sent=by_status.get(NotificationStatus.SENT.value, 0),
            failed=by_status.get(NotificationStatus.FAILED.value, 0),
        )
        for handover_id, by_status in by_handover.items()
    }


async def failed_in_areas(
    session: AsyncSession, area_ids: frozenset[str] | None, *, limit: int = 20
) -> Sequence[Notification]:
    """The newest failed deliveries about these areas (None: all areas)."""
    query = (
        select(Notification)
        .where(Notification.status == NotificationStatus.FAILED.value)
        .order_by(Notification.id.desc())
        .limit(limit)
    )
    if area_ids is not None:
        query = query.where(Notification.area_id.in_(area_ids))
    return (await session.scalars(query)).all()


async def pending_count(session: AsyncSession, area_ids: frozenset[str] | None) -> int:
    query = select(func.count()).where(Notification.status == PENDING)
    if area_ids is not None:
        query = query.where(Notification.area_id.in_(area_ids))
    return int(await session.scalar(query) or 0)


async def counts_by_status(session: AsyncSession) -> dict[str, int]:
    """How many notifications the outbox holds in each status (for the metrics)."""
    rows = await session.execute(
        select(Notification.status, func.count()).group_by(Notification.status)
    )
    return {status: int(number) for status, number in rows.tuples()}
