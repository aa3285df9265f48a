"""A virtual clock for the outbox pacer: sleeping advances time instead of waiting.

The benchmark (`bench.fanout`) and the tests both run the delivery on it, so it lives here,
outside the tests.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from bot.clock import utcnow


class VirtualClock:
    """Implements `app.delivery.Clock`; `monotonic()` starts at 0 and `now()` at the real now."""

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
