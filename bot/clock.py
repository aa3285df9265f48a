"""Time in one place, so tests and services agree on "now" and on the day in Stockholm.

The composition root builds one `Clock` and hands it to `Services`, which hands it to the
`Database`: every session carries it, so a service asks `session_now(session)` and a test or a
benchmark passes a virtual clock instead of patching anything.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

CLOCK_KEY = "clock"


class Clock(Protocol):
    """What the bot asks of time: the moment (UTC), a monotonic reading, and a pause."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return utcnow()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


SYSTEM_CLOCK = SystemClock()


def utcnow() -> datetime:
    """The real moment; only `SystemClock` and column defaults use it, everything else a Clock."""
    return datetime.now(UTC)


def session_now(session: AsyncSession) -> datetime:
    """Now, by the clock of the database this session belongs to (see `bot.db.Database`)."""
    clock: Clock = session.info.get(CLOCK_KEY, SYSTEM_CLOCK)
    return clock.now()


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes even for timezone-aware columns; they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day a stored moment falls on where the users are (e.g. Europe/Stockholm).

    A moment stored at 00:30 in Stockholm is the previous day in UTC; showing or comparing
    `.date()` of the UTC value would be a day off.
    """
    return as_utc(moment).astimezone(ZoneInfo(timezone)).date()
