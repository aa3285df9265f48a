"""A handover to 10,000 followers: time to record it, and delivery pacing. `python -m bench.fanout`

1. Record: a fresh SQLite file with the example directory and 10,000 users following
   Kungsholmen; `record_handover` in one transaction (assignments, handover, 10,000 outbox rows,
   audit entry) is timed from the first statement to the commit. Target: under one second.
2. Deliver: the real Application from `build_application` on an in-memory fake Bot API, running
   the production `OutboxWorker` and its `Pacer`, on a virtual clock: the pacer's sleeps
   advance the clock instead of waiting, so 10,000 messages at 30/s (5½ minutes of real
   pacing) take seconds. The fake records each message with the virtual time it was sent;
   the figures are computed from those records. The bench's SQLite file runs in WAL mode
   (see `fast_sqlite`); the recording is timed first.

Not measured: in production every Bot API call also passes PTB's AIORateLimiter (default
AIORateLimiter(): 30 calls/s overall), and that budget is shared with the replies to people
using the bot at the same time. The bench builds the application with `rate_limit=False` (the
limiter would sleep in real time), so the delivery times here are a lower bound: a busy bot
delivers the outbox more slowly than this.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import itertools
import tempfile
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, insert, select

from app.application import build_application
from app.delivery import outbox_worker
from app.transport import ApiCall, EmulatedBotApi
from bot.clock import utcnow
from bot.config import Settings
from bot.models import ContactAssignment, Follow, User
from bot.services import outbox
from bot.services.authz import Actor
from bot.services.handovers import HandoverRequest, Person, record_handover
from tests.support.clocks import VirtualClock

AREA = "kungsholmen"
EXTRA_RECIPIENTS = 20


class PacedApi(EmulatedBotApi):
    """The fake Bot API, noting the virtual time and chat of every message."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self.sent: list[tuple[float, int]] = []

    def on_call(self, call: ApiCall) -> None:
        if call.method == "sendMessage":
            self.sent.append((self.clock.monotonic(), int(call.params["chat_id"])))


def max_in_window(times: list[float], window: float = 1.0) -> int:
    """The most messages inside any half-open window [t, t + window)."""
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


async def fast_sqlite(application: Any) -> None:
    """Bench only: WAL and synchronous=NORMAL, so a commit per message costs no fsync each.

    The delivery marks every message sent in its own transaction (crash safety); on a SQLite
    file in the default journal mode that is an fsync per message, which would make this run
    take minutes while measuring the disk rather than the pacing.
    """
    engine = application.bot_data.services.database.engine

    def pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    event.listen(engine.sync_engine, "connect", pragmas)
    await engine.dispose()  # reconnect with the pragmas


async def add_followers(application: Any, count: int) -> list[int]:
    users = list(range(5_000_000, 5_000_000 + count))
    async with application.bot_data.services.database.transaction() as session:
        await session.execute(insert(User), [{"id": u} for u in users])
        await session.execute(
            insert(Follow), [{"user_id": u, "target": f"a:{AREA}", "area_id": AREA} for u in users]
        )
    return users


async def record(application: Any) -> tuple[float, int]:
    services = application.bot_data.services
    async with services.database.transaction() as session:
        current = await session.scalar(
            select(ContactAssignment.id).where(
                ContactAssignment.area_id == AREA,
                ContactAssignment.role == "samverkan",
                ContactAssignment.valid_to.is_(None),
            )
        )
    request = HandoverRequest(
        scope_key=f"a:{AREA}",
        expected_assignment_id=current,
        person=Person("Sara Ek", "08-465 004 50", "Socialsekreterare", "sara.ek@example.com"),
        # From today: a change from a later day is announced on its day, not when recorded.
        effective_on=services.today(),
        note="Benchmark",
        idempotency_key="bench",
    )
    started = time.perf_counter()
    async with services.database.transaction() as session:
        recorded = await record_handover(
            session, Actor.cli(), request, today=services.today(), directory=services.contacts
        )
    return time.perf_counter() - started, recorded.recipients


async def extra_messages(application: Any, users: list[int]) -> int:
    """Two more messages for a few recipients, due at once, to exercise the per-chat limit."""
    payload = {"scope": {"area_name": "Kungsholmen"}, "new_name": "Sara Ek", "old_name": None}
    async with application.bot_data.services.database.transaction() as session:
        for prefix in ("bench-extra-1", "bench-extra-2"):
            await outbox.enqueue(
                session,
                kind="handover_day",
                payload=payload,
                recipients=users[:EXTRA_RECIPIENTS],
                dedupe_prefix=prefix,
                now=utcnow(),
            )
    return 2 * EXTRA_RECIPIENTS


def same_chat_gaps(sent: list[tuple[float, int]]) -> list[float]:
    by_chat: dict[int, list[float]] = {}
    for moment, chat in sent:
        by_chat.setdefault(chat, []).append(moment)
    return [b - a for times in by_chat.values() for a, b in itertools.pairwise(sorted(times))]


async def main(followers: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'fanout.sqlite3'}"
        settings = Settings(_env_file=None, database_url=url, telegram_bot_token=None)  # type: ignore[call-arg]
        clock = VirtualClock()
        api = PacedApi(clock)
        application = build_application(settings, request=api, rate_limit=False)
        async with application:
            await fast_sqlite(application)
            users = await add_followers(application, followers)
            seconds, queued = await record(application)
            extra = await extra_messages(application, users)
            assert application.job_queue is not None
            (job,) = application.job_queue.get_jobs_by_name("deliver_outbox")
            worker = outbox_worker(job.data)
            clock.start = utcnow() + timedelta(seconds=1)  # everything queued is due
            worker.use_clock(clock)
            started = time.perf_counter()
            report = await worker.run(application.bot)
            wall = time.perf_counter() - started

    times = [moment for moment, _ in api.sent]
    per_chat = Counter(chat for _, chat in api.sent)
    expected = Counter(users) + Counter(users[:EXTRA_RECIPIENTS] * 2)
    gaps = same_chat_gaps(api.sent)
    rows = [
        ("followers", f"{followers:,}"),
        (
            "record handover",
            f"{seconds * 1000:.0f} ms for {queued:,} outbox rows, one transaction",
        ),
        ("messages due", f"{queued + extra:,} ({extra} extra to {EXTRA_RECIPIENTS} chats)"),
        ("delivered", f"{report.sent:,} (failed {report.failed}, retried {report.retried})"),
        ("lost", f"{sum((expected - per_chat).values()):,}"),
        ("duplicated", f"{sum((per_chat - expected).values()):,}"),
        ("max in any 1 s window", f"{max_in_window(times)} (limit 30)"),
        ("min gap, same chat", f"{min(gaps):.2f} s (limit 1.00)"),
        ("virtual delivery time", f"{max(times):.1f} s ({(queued + extra) / 30:.1f} s at 30/s)"),
        ("real time of the run", f"{wall:.1f} s (a commit per message; SQLite in WAL mode)"),
    ]
    for label, value in rows:
        print(f"{label + ':':24}{value}")
    print(
        "\nNot measured: production also sends every API call through PTB's AIORateLimiter "
        "(30/s overall,\nshared with replies to users); this run has rate_limit=False, so the "
        "delivery time is a lower bound."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10_000)
    asyncio.run(main(parser.parse_args().followers))
