"""Two bot processes on one PostgreSQL database; SIGKILL the leader mid-delivery; count.

Used by `tests/test_replica_failover.py` (assertions) and `bench/replicas.py` (figures). Each
replica is the production `BotService` in polling mode in a process of its own, talking over
loopback HTTP, through PTB's own transport, to a small recording Bot API (`FakeTelegram`):
each replica has its own token, so the record says which replica called. Run as a module, this
file is such a replica: `python -m tests.support.replicas REPLICA` with the settings in the
environment, like `kontaktlotsen run`.

One thing is added to the production application: the cooperation-agreement reminder (the
weekly job that went out once per instance) is due every `REMIND_EVERY` seconds, on the same
wall-clock moments in both processes, so every due moment can be counted.

The run: the first replica starts and leads (it polls); the second starts and stands by; the
notices are queued; after `kill_after` of them have arrived the leader gets SIGKILL; the
standby takes over. Measured: the failover time (SIGKILL → the standby's first getUpdates),
notices lost and sent twice, and agreement reminders received per due moment.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs

from app.transport import BOT_USER
from bot.clock import utcnow
from bot.config import Settings
from bot.runtime import Services
from bot.services import outbox
from tests.support import postgres

CITY_ADMIN = 7_300_000_001
FIRST_CHAT = 7_300_100_000
REMIND_EVERY = 3  # seconds between due moments of the agreement reminder
POLL_SECONDS = 0.2  # how long the fake getUpdates waits, like Telegram's long poll
REMINDER_MARK = "samverkansöverenskommelsen"
GRID = datetime(2026, 1, 1, tzinfo=UTC)  # due moments: this plus a whole number of REMIND_EVERY


@dataclass(frozen=True)
class Call:
    replica: str  # the token's secret part: "A" or "B"
    method: str
    chat_id: int | None
    text: str
    at: float  # time.time()


@dataclass
class Record:
    calls: list[Call] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, call: Call) -> None:
        with self.lock:
            self.calls.append(call)

    def snapshot(self) -> list[Call]:
        with self.lock:
            return list(self.calls)

    def count(self, replica: str | None = None, method: str | None = None) -> int:
        return len(
            [
                c
                for c in self.snapshot()
                if (replica is None or c.replica == replica) and (method in (None, c.method))
            ]
        )

    def first(self, replica: str, method: str, after: float = 0.0) -> float | None:
        moments = [
            c.at
            for c in self.snapshot()
            if c.replica == replica and c.method == method and c.at >= after
        ]
        return min(moments) if moments else None


def _params(body: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        loaded = json.loads(body or "{}")
        return loaded if isinstance(loaded, dict) else {}
    return {key: values[0] for key, values in parse_qs(body).items()}


def _answer(method: str, params: dict[str, Any]) -> Any:
    if method == "getMe":
        return BOT_USER
    if method == "getUpdates":
        time.sleep(POLL_SECONDS)
        return []
    if method == "sendMessage":
        return {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "text": str(params.get("text", "")),
        }
    return True


def _handler(record: Record) -> type[BaseHTTPRequestHandler]:
    class BotApi(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def handle(self) -> None:
            # A replica killed with SIGKILL leaves its requests half-way; that is the point.
            with contextlib.suppress(ConnectionError):
                super().handle()

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            token, method = self.path.rsplit("/", 2)[-2:]
            params = _params(body, self.headers.get("Content-Type") or "")
            chat = params.get("chat_id")
            record.add(
                Call(
                    token.rsplit("-", 1)[-1],
                    method,
                    int(chat) if chat is not None else None,
                    str(params.get("text", "")),
                    time.time(),
                )
            )
            payload = json.dumps({"ok": True, "result": _answer(method, params)}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return BotApi


class FakeTelegram:
    """A Bot API on a free loopback port that records every call with the calling replica."""

    def __init__(self) -> None:
        self.record = Record()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self.record))
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/bot"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- The replica process ------------------------------------------------------------------------


def run_replica() -> None:
    """The production service, plus the agreement reminder due every REMIND_EVERY seconds."""
    from app.cli import configure_logging
    from app.jobs import remind_agreements
    from app.service import BotService, serve

    settings = Settings()
    configure_logging("INFO")
    service = BotService(settings)
    service.application.job_queue.run_repeating(
        remind_agreements,
        interval=REMIND_EVERY,
        first=GRID,  # in the past: the next run is the grid's next moment, the same everywhere
        name="agreement_reminder_every_few_seconds",
    )
    asyncio.run(serve(service))


def spawn(
    name: str, database_url: str, api: FakeTelegram, log: IO[bytes]
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "TELEGRAM_BOT_TOKEN": f"123456:REPLICA-{name}",
        "TELEGRAM_API_BASE_URL": api.base_url,
        "CITY_ADMIN_IDS": str(CITY_ADMIN),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "tests.support.replicas", "REPLICA"]
    return subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)


# --- The run ------------------------------------------------------------------------------------


async def prepare(database_url: str) -> None:
    """Migrate and seed the database, as the first start would."""
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    services = Services.create(settings)
    await services.start()
    await services.stop()


async def queue_notices(database_url: str, notices: int) -> None:
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    services = Services.create(settings)
    try:
        async with services.database.transaction() as session:
            await outbox.enqueue(
                session,
                kind=outbox.STALE_REMINDER,
                payload={"days": 90, "entries": []},
                recipients=range(FIRST_CHAT, FIRST_CHAT + notices),
                dedupe_prefix="replicas",
                now=utcnow(),
            )
    finally:
        await services.stop()


@dataclass(frozen=True)
class FailoverFigures:
    notices: int
    received_before_kill: int
    failover_seconds: float  # SIGKILL → the standby's first getUpdates
    resumed_seconds: float  # SIGKILL → the standby's first notice
    lost: int
    sent_twice: int
    due_reminders: int  # due moments while a replica led
    reminders_sent: int  # agreement reminders received for those moments
    most_for_one_due: int  # the most reminders one due moment brought
    polled_by_standby_before_kill: int  # getUpdates from the standby while the leader lived
    log_file: str


def notice_chats(record: Record) -> set[int]:
    """The chats that have received their notice."""
    return {
        c.chat_id
        for c in record.snapshot()
        if c.method == "sendMessage" and c.chat_id is not None and c.chat_id >= FIRST_CHAT
    }


def wait_until(condition: Any, timeout: float, what: str) -> None:
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise TimeoutError(f"waited {timeout:.0f} s for {what}")
        time.sleep(0.01)


def _reminder_figures(calls: list[Call], led: list[tuple[float, float]]) -> tuple[int, int, int]:
    """(due moments inside the led spans, reminders for them, the most for one moment)."""
    reminders = [c for c in calls if c.method == "sendMessage" and REMINDER_MARK in c.text]
    per_moment = Counter(math.floor(c.at / REMIND_EVERY) * REMIND_EVERY for c in reminders)
    due = [
        moment
        for begin, end in led
        for moment in range(math.ceil(begin / REMIND_EVERY) * REMIND_EVERY, int(end), REMIND_EVERY)
        if begin + 0.5 < moment < end - 1.0  # clear of the edges of each span
    ]
    sent = sum(per_moment.get(moment, 0) for moment in due)
    return len(due), sent, max((per_moment.get(moment, 0) for moment in due), default=0)


class Scenario:
    """Two replicas, a fake Telegram, and the moments that matter."""

    def __init__(self, database_url: str, log: IO[bytes]) -> None:
        self.database_url = database_url
        self.log = log
        self.api = FakeTelegram()
        self.record = self.api.record
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.led_since = self.killed_at = self.took_over = self.ended = 0.0
        self.received_before_kill = self.polled_early = 0

    def arrived(self) -> int:
        return len(notice_chats(self.record))

    def start_both(self) -> None:
        """A starts and leads (it polls); B starts and stands by."""
        self.processes["A"] = spawn("A", self.database_url, self.api, self.log)
        wait_until(lambda: self.record.count("A", "getUpdates") > 0, 60, "A to poll")
        self.led_since = self.record.first("A", "getUpdates") or time.time()
        self.processes["B"] = spawn("B", self.database_url, self.api, self.log)
        wait_until(lambda: self.record.count("B", "setMyShortDescription") >= 3, 60, "B")
        time.sleep(1.0)  # B is started and stands by

    def kill_leader_after(self, kill_after: int) -> None:
        wait_until(lambda: self.arrived() >= kill_after, 60, "the notices to arrive")
        leader = self.processes["A"]
        os.kill(leader.pid, signal.SIGKILL)
        self.killed_at = time.time()
        leader.wait()
        self.received_before_kill = self.arrived()
        self.polled_early = self.record.count("B", "getUpdates")

    def wait_for_takeover_and_the_rest(self, notices: int) -> None:
        wait_until(lambda: self.record.first("B", "getUpdates") is not None, 30, "B to poll")
        self.took_over = self.record.first("B", "getUpdates") or self.killed_at
        wait_until(lambda: self.arrived() >= notices, 120, "every notice")
        time.sleep(REMIND_EVERY * 2)  # a few more due reminders, and any late duplicate
        self.ended = time.time()

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.api.close()

    def figures(self, notices: int, log_file: str) -> FailoverFigures:
        calls = self.record.snapshot()
        sends = [c for c in calls if c.method == "sendMessage" and (c.chat_id or 0) >= FIRST_CHAT]
        per_chat = Counter(c.chat_id for c in sends)
        resumed = min((c.at for c in sends if c.replica == "B"), default=math.nan)
        led = [(self.led_since, self.killed_at), (self.took_over, self.ended)]
        due, sent, most = _reminder_figures(calls, led)
        return FailoverFigures(
            notices=notices,
            received_before_kill=self.received_before_kill,
            failover_seconds=self.took_over - self.killed_at,
            resumed_seconds=resumed - self.killed_at,
            lost=notices - len(per_chat),
            sent_twice=sum(n - 1 for n in per_chat.values()),
            due_reminders=due,
            reminders_sent=sent,
            most_for_one_due=most,
            polled_by_standby_before_kill=self.polled_early,
            log_file=log_file,
        )


def failover(
    database_url: str, *, notices: int, kill_after: int, log_dir: Path | None = None
) -> FailoverFigures:
    """Run the scenario on an empty PostgreSQL database `database_url`."""
    asyncio.run(prepare(database_url))
    folder = log_dir or Path(tempfile.mkdtemp(prefix="replicas-"))
    log_path = folder / "replicas.log"
    with log_path.open("wb") as log:
        scenario = Scenario(database_url, log)
        try:
            scenario.start_both()
            asyncio.run(queue_notices(database_url, notices))
            scenario.kill_leader_after(kill_after)
            scenario.wait_for_takeover_and_the_rest(notices)
        finally:
            scenario.stop()
    return scenario.figures(notices, str(log_path))


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """An empty PostgreSQL database on the server of `server_url`, dropped afterwards."""
    with postgres.throwaway_database_sync(server_url, "kl_replicas") as url:
        yield url


if __name__ == "__main__" and sys.argv[1:2] == ["REPLICA"]:
    run_replica()
