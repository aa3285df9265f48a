"""Lookup throughput through the real `Application`: real handlers, fake transport, one loop.

Run from the repository root:

    .venv/bin/python -m bench.throughput [--backend sqlite|postgresql|both] [--lookups N]
    .venv/bin/python -m bench.throughput --checkout OTHER_CHECKOUT   # the same, on another tree

For each backend (PostgreSQL needs TEST_DATABASE_URL, a server the script may create a database
on) and for the shipped directory and the shipped one plus 10,000 generated schools, it migrates
and seeds a fresh database, builds the bot with `build_application` on the emulated Bot API,
and feeds it lookup messages (school names, 100 users taking turns) one after the other, as PTB
processes them. It prints lookups per wall second and per CPU second (the machine may be shared:
CPU time is the steadier figure), and the median and p99 from update to reply.

`--checkout` runs this very file with that checkout's interpreter and code, so the before and
after figures come from one run on one machine; the script imports nothing from `bench/`.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

SEED = 20_231_101
GENERATED_SCHOOLS = 10_000
USERS = 100
WARMUP = 200


@dataclass(frozen=True)
class Figures:
    lookups: int
    wall_s: float
    cpu_s: float
    median_ms: float
    p99_ms: float


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _add_schools(url: str, count: int) -> list[str]:
    """Migrate and seed the database, add `count` generated schools; every school's name."""
    from sqlalchemy import insert, select

    from bot.config import Settings
    from bot.models import School
    from bot.runtime import Services
    from tests.support.national_directory import generate_national_entries

    settings = Settings(_env_file=None, database_url=url, telegram_bot_token=None)  # type: ignore[call-arg]
    services = Services.create(settings)
    await services.start()
    try:
        async with services.database.transaction() as session:
            if count:
                rows: list[dict[str, object]] = [
                    {"name": e.name, "kind": "grundskola", "area_id": e.area_id, "aliases": []}
                    for e in generate_national_entries(count, SEED)
                ]
                await session.execute(insert(School), rows)
            names = list(await session.scalars(select(School.name).order_by(School.id)))
    finally:
        await services.stop()
    return names


async def _measure(url: str, names: list[str], lookups: int) -> Figures:
    from app.application import build_application
    from app.transport import EmulatedBotApi, UpdateFactory
    from bot.config import Settings

    settings = Settings(_env_file=None, database_url=url, telegram_bot_token=None)  # type: ignore[call-arg]
    api = EmulatedBotApi()
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        users = [UpdateFactory(application.bot, user_id=5000 + i) for i in range(USERS)]
        step = max(1, len(names) // (lookups + WARMUP))
        queries = [names[(i * step) % len(names)] for i in range(lookups + WARMUP)]
        updates = [users[i % USERS].message(query) for i, query in enumerate(queries)]
        for update in updates[:WARMUP]:
            await application.process_update(update)
        gc.collect()
        spent: list[float] = []
        sent_before = len(api.calls)
        wall, cpu = time.perf_counter(), time.process_time()
        for update in updates[WARMUP:]:
            started = time.perf_counter()
            await application.process_update(update)
            spent.append((time.perf_counter() - started) * 1000)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        replies = sum(1 for call in api.calls[sent_before:] if call.method == "sendMessage")
        if replies != lookups:
            raise SystemExit(f"{replies} replies to {lookups} lookups")
    return Figures(lookups, wall, cpu, statistics.median(spent), _percentile(spent, 0.99))


async def _run(backend: str, schools: int, lookups: int) -> Figures:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
            names = await _add_schools(url, schools)
            return await _measure(url, names, lookups)
    from tests.support.postgres import throwaway_database

    async with throwaway_database(os.environ["TEST_DATABASE_URL"], "kl_bench") as url:
        names = await _add_schools(url, schools)
        return await _measure(url, names, lookups)


def _print(label: str, figures: Figures) -> None:
    print(
        f"{label:34} {figures.lookups / figures.wall_s:7.0f}/s wall "
        f"{figures.lookups / figures.cpu_s:7.0f}/CPU-s   "
        f"median {figures.median_ms:6.2f} ms   p99 {figures.p99_ms:6.2f} ms",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--schools", type=int, nargs="*", default=[0, GENERATED_SCHOOLS])
    parser.add_argument("--checkout", type=Path, help="run on another checkout (its .venv)")
    args = parser.parse_args(argv)
    if args.checkout is not None:
        return _in_checkout(args.checkout, [a for a in sys.argv[1:] if a != "--checkout"])
    import logging

    logging.disable(logging.WARNING)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    if "postgresql" in backends and not os.environ.get("TEST_DATABASE_URL"):
        print("PostgreSQL skipped: TEST_DATABASE_URL is not set", file=sys.stderr)
        backends.remove("postgresql")
    for backend in backends:
        for schools in args.schools:
            directory = "shipped" if not schools else f"shipped + {schools:,} schools"
            _print(f"{backend}, {directory}", asyncio.run(_run(backend, schools, args.lookups)))
    return 0


def _in_checkout(checkout: Path, argv: list[str]) -> int:
    """This file, run by the other checkout's interpreter with that checkout's code."""
    argv = [a for a in argv if Path(a).resolve() != checkout.resolve()]
    python = checkout / ".venv" / "bin" / "python"
    env = {**os.environ, "PYTHONPATH": str(checkout.resolve())}
    return subprocess.run(
        [str(python), str(Path(__file__).resolve()), *argv], cwd=checkout, env=env, check=False
    ).returncode


if __name__ == "__main__":
    sys.exit(main())
