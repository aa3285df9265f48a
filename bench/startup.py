"""Start-up, memory and the cold command-line lookup, each in a fresh process.

Run from the repository root:

    .venv/bin/python -m bench.startup [--runs 5]
    .venv/bin/python -m bench.startup --checkout OTHER_CHECKOUT   # the same, on another tree

On a migrated and seeded SQLite file with the shipped directory it prints, as the median of
`--runs` fresh processes (wall time and the process's CPU time, since the machine may be
shared):

- the time from process start to the first answered update: a new Python process that builds
  the bot with `build_application` on the emulated Bot API, initialises it (as the service
  does: migrations checked, directory indexed) and answers one lookup message;
- the peak RSS of that process after 1,000 further lookups (100 users taking turns);
- `kontaktlotsen lookup fridhemskolan`, cold: the installed command, start to exit.

`--checkout` runs this very file with that checkout's interpreter and code, so the before and
after figures come from one run on one machine; the script imports nothing from `bench/`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QUERY = "fridhemskolan"
LOOKUPS = 1000
USERS = 100


async def _child(url: str, started_ns: int) -> None:
    """The bot's process: start, answer one update, report; then 1,000 lookups, report."""
    from app.application import build_application
    from app.transport import EmulatedBotApi, UpdateFactory
    from bot.config import Settings

    settings = Settings(_env_file=None, database_url=url, telegram_bot_token=None)  # type: ignore[call-arg]
    api = EmulatedBotApi()
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        await application.process_update(UpdateFactory(application.bot).message(QUERY))
        if not [call for call in api.calls if call.method == "sendMessage"]:
            raise SystemExit("no answer")
        first = _usage(started_ns)
        users = [UpdateFactory(application.bot, user_id=7000 + i) for i in range(USERS)]
        names = ["Fridhemsskolan", "Vasa Real", "Bagarmossen", "Hässelby", "Sofia skola"]
        for i in range(LOOKUPS):
            await application.process_update(users[i % USERS].message(names[i % len(names)]))
            if i % 100 == 0:  # what the emulated Bot API records is not the bot's memory
                api.calls.clear()
                api.state.messages.clear()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({**first, "peak_rss_mb": peak_kb / 1024}), flush=True)


def _usage(started_ns: int) -> dict[str, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "first_answer_s": (time.time_ns() - started_ns) / 1e9,
        "first_answer_cpu_s": own.ru_utime + own.ru_stime,
    }


def _timed(command: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Wall seconds, CPU seconds (the child's user + system) and its output."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    output = process.stdout.read() if process.stdout else ""
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command} failed: {process.returncode}")
    return wall, usage.ru_utime + usage.ru_stime, output


def _median_line(label: str, pairs: list[tuple[float, float]], unit: str = "s") -> None:
    wall = statistics.median(p[0] for p in pairs)
    cpu = statistics.median(p[1] for p in pairs)
    print(f"{label:44} {wall:6.2f} {unit} wall   {cpu:6.2f} CPU-{unit}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--checkout", type=Path, help="run on another checkout (its .venv)")
    parser.add_argument("--child", nargs=2, metavar=("URL", "STARTED_NS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        import logging

        logging.disable(logging.WARNING)
        asyncio.run(_child(args.child[0], int(args.child[1])))
        return 0
    checkout = (args.checkout or Path.cwd()).resolve()
    python = checkout / ".venv" / "bin" / "python"
    env = {
        **os.environ,
        "PYTHONPATH": str(checkout),
        "TELEGRAM_BOT_TOKEN": "",
        "LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.sqlite3'}"
        env["DATABASE_URL"] = url
        # Migrated and seeded once: each measured start finds the schema at its head.
        subprocess.run([str(python), "-c", _PREPARE, url], env=env, cwd=checkout, check=True)
        first, rss, cli = [], [], []
        for _ in range(args.runs):
            command = [str(python), str(Path(__file__).resolve()), "--child", url, ""]
            command[-1] = str(time.time_ns())
            _, _, output = _timed(command, env)
            figures = json.loads(output.strip().splitlines()[-1])
            first.append((figures["first_answer_s"], figures["first_answer_cpu_s"]))
            rss.append(figures["peak_rss_mb"])
            wall, cpu, _ = _timed(
                [str(checkout / ".venv" / "bin" / "kontaktlotsen"), "lookup", QUERY], env
            )
            cli.append((wall, cpu))
    print(f"checkout: {checkout.name}")
    _median_line("first answered update after process start", first)
    print(f"{'peak RSS after 1,000 lookups':44} {statistics.median(rss):6.1f} MB", flush=True)
    _median_line(f"kontaktlotsen lookup {QUERY} (cold)", cli)
    return 0


_PREPARE = """
import asyncio, sys
from bot.config import Settings
from bot.runtime import Services

async def start():
    settings = Settings(_env_file=None, database_url=sys.argv[1], telegram_bot_token=None)
    services = Services.create(settings)
    await services.start()
    await services.stop()

asyncio.run(start())
"""


if __name__ == "__main__":
    sys.exit(main())
