"""Outbox leases have owners: only the holder marks a row, a live worker's rows are never
taken (not even by another replica), a dead process's rows on this host are taken at once,
and a RetryAfter wait keeps the leases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.delivery import LEASE
from bot.models import Notification
from bot.runtime import Services
from bot.services import outbox
from bot.services.outbox import LeaseOwner, dead_owners
from tests.admin_support import deliver, worker_of
from tests.fakes import RecordingBotApi, retry_after
from tests.support.clocks import VirtualClock

CHATS = range(7_200_000_000, 7_200_000_005)


async def queue(services: Services, clock: VirtualClock, chats: range = CHATS) -> None:
    async with services.database.transaction() as session:
        await outbox.enqueue(
            session,
            kind=outbox.STALE_REMINDER,
            payload={"days": 90, "entries": []},
            recipients=chats,
            dedupe_prefix="lease",
            now=clock.now(),
        )


async def claim(services: Services, clock: VirtualClock, owner: LeaseOwner) -> int:
    async with services.database.transaction() as session:
        items = await outbox.claim_due(
            session, clock.now(), limit=100, lease=LEASE, owner=owner.label
        )
    return len(items)


def test_owners_are_judged_dead_only_on_this_host() -> None:
    me = LeaseOwner("web-1", 40, "new")
    labels = ["web-1:40:old", "web-1:41:t", "web-1:42:t", "web-2:41:t", "web-1:40:new", "x"]
    alive = {42}.__contains__
    assert dead_owners(labels, me, alive) == ["web-1:40:old", "web-1:41:t"]
    assert LeaseOwner.parse("host:with:colons:12:tok") == LeaseOwner("host:with:colons", 12, "tok")
    assert LeaseOwner.parse("host:²:tok") is None


async def test_only_the_lease_holder_marks_a_row(services: Services) -> None:
    clock = VirtualClock()
    await queue(services, clock)
    holder, other = LeaseOwner("a", 1, "x"), LeaseOwner("b", 2, "y")
    assert await claim(services, clock, holder) == len(CHATS)
    async with services.database.transaction() as session:
        first = await session.scalar(select(Notification.id).order_by(Notification.id))
        assert first is not None
        assert await outbox.mark_sent(session, first, clock.now(), owner=other.label) == 0
        assert await outbox.mark_failed(session, first, "x", owner=other.label) == 0
        assert await outbox.mark_sent(session, first, clock.now(), owner=holder.label) == 1


async def test_a_dead_process_on_this_host_is_taken_over_at_once(
    app: Any, api: RecordingBotApi
) -> None:
    clock = VirtualClock()
    services = app.bot_data.services
    await queue(services, clock)
    worker = worker_of(app)
    me = worker.owner
    crashed = LeaseOwner(me.host, 999_999, "before")
    assert await claim(services, clock, crashed) == len(CHATS)
    worker.is_alive = lambda pid: pid != crashed.pid
    assert (await deliver(app, clock)).sent == len(CHATS)  # no clock advance: at once


async def test_an_earlier_process_with_my_pid_is_dead(app: Any, api: RecordingBotApi) -> None:
    """A restarted container: same host, same pid (often 1), a new start token."""
    clock = VirtualClock()
    services = app.bot_data.services
    await queue(services, clock)
    me = worker_of(app).owner
    assert await claim(services, clock, LeaseOwner(me.host, me.pid, "previous")) > 0
    assert (await deliver(app, clock)).sent == len(CHATS)


async def test_a_live_workers_rows_are_not_taken(app: Any, api: RecordingBotApi) -> None:
    clock = VirtualClock()
    services = app.bot_data.services
    await queue(services, clock)
    worker = worker_of(app)
    neighbour = LeaseOwner(worker.owner.host, 4242, "alive")  # same host, still running
    assert await claim(services, clock, neighbour) == len(CHATS)
    worker.is_alive = lambda pid: True
    assert (await deliver(app, clock)).sent == 0
    other_replica = LeaseOwner("web-9", 1, "alive")
    async with services.database.transaction() as session:  # it renews; its rows stay
        await outbox.renew_leases(session, neighbour.label, clock.now() + LEASE)
    clock.advance(LEASE - timedelta(seconds=1))
    assert await claim(services, clock, other_replica) == 0
    clock.advance(timedelta(seconds=2))  # the neighbour died without renewing: free
    assert (await deliver(app, clock)).sent == len(CHATS)


class ProbingClock(VirtualClock):
    """After each long wait, another replica tries to claim: it must find nothing."""

    def __init__(self, services: Services, long_wait: float = 30) -> None:
        super().__init__()
        self.services = services
        self.long_wait = long_wait
        self.taken_by_other: list[int] = []

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds)
        if seconds >= self.long_wait:
            other = LeaseOwner("web-9", 1, "other")
            self.taken_by_other.append(await claim(self.services, self, other))


async def test_a_retry_after_wait_keeps_the_leases(
    app: Any, api: RecordingBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    services = app.bot_data.services
    clock = ProbingClock(services)
    await queue(services, clock)
    waits = iter([True])
    api.failure = lambda call: (
        retry_after(int(LEASE.total_seconds() * 5))
        if call.method == "sendMessage" and next(waits, False)
        else None
    )
    assert (await deliver(app, clock)).sent == len(CHATS)
    assert clock.taken_by_other == [0]  # five leases long, and still ours
