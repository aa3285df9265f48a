"""Benchmark what the live metrics add to a lookup: the same lookup with and without them.

Run from the repository root:

    .venv/bin/python -m bench.metrics_overhead

A lookup as the handler does it (one transaction: answer from the index, count it for the
follow-up figures) on a fresh SQLite copy of the shipped directory, first with no database
listener, then with `app.metrics.Metrics` listening; then the listener's own cost per event.
The two sides alternate lookup by lookup, so that a busy machine hurts both alike. Prints
medians.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from app.metrics import Metrics
from bot.config import Settings
from bot.models import UsageEvent
from bot.runtime import Services
from bot.services.usage import Counted

QUERIES = ("Eriksdalsskolan", "bagarmossen", "Kungsholmen", "Hogwarts", "rinkeby", "Solna")
LOOKUPS = 600


async def lookup(services: Services, query: str) -> float:
    start = time.perf_counter()
    async with services.database.transaction() as session:
        answer = await services.index.answer(session, query, services.today())
        services.usage.count_lookup(services.today(), answer.card)
    return time.perf_counter() - start


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        services = Services.create(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
        await services.start()
        metrics = Metrics()
        for query in QUERIES * 10:  # warm up
            await lookup(services, query)
        without: list[float] = []
        with_metrics: list[float] = []
        for i in range(LOOKUPS):
            query = QUERIES[i % len(QUERIES)]
            services.database.listeners.clear()
            without.append(await lookup(services, query))
            services.database.listeners.append(metrics.hear)
            with_metrics.append(await lookup(services, query))
        await services.stop()
    fact = Counted(UsageEvent.LOOKUP_ANSWERED)
    start = time.perf_counter()
    for _ in range(100_000):
        metrics.hear(fact)
    per_event = (time.perf_counter() - start) / 100_000
    median_without = statistics.median(without) * 1e3
    median_with = statistics.median(with_metrics) * 1e3
    print(f"lookups per side: {len(without)}")
    print(f"median lookup without metrics: {median_without:.3f} ms")
    print(f"median lookup with metrics:    {median_with:.3f} ms")
    print(f"ratio with/without:            {median_with / median_without:.3f}")
    print(f"metrics listener per event:    {per_event * 1e6:.2f} µs")


if __name__ == "__main__":
    asyncio.run(main())
