"""A virtual clock: sleeping advances time instead of waiting.

Tests and benchmarks pass it to `Services.create(settings, clock=...)` (or to the outbox worker),
so the whole bot, the database sessions included, agree on one "now" that the test controls.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.clock import utcnow


class VirtualClock:
    """Implements `bot.clock.Clock`; `monotonic()` starts at 0 and `now()` at the real now."""

    def __init__(self, start: datetime | None = None) -> None:
        self.elapsed = 0.0
        self.start = start or utcnow()
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.elapsed

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += max(seconds, 0.0)
        await asyncio.sleep(0)

    def advance(self, delta: timedelta) -> None:
        self.elapsed += delta.total_seconds()

    def set(self, moment: datetime) -> None:
        """Jump to `moment` (aware); later readings go on from there."""
        self.start, self.elapsed = moment, 0.0
