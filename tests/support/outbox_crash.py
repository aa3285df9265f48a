"""kill -9 a delivery worker mid-delivery, restart it, and count what was lost or sent twice.

Used by `tests/test_outbox_crash.py` (fast pacing, assertions) and `bench/outbox_crash.py`
(Telegram's pacing, figures). The Bot API is a real HTTP server on loopback that records every
sendMessage; the worker is the production `OutboxWorker` in a subprocess, talking to it through
PTB's own HTTP transport. Run as a module, this file is that subprocess:
`python -m tests.support.outbox_crash WORKER DATABASE_URL API_URL OVERALL_PER_SECOND`.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from sqlalchemy import func, select

from app.delivery import CONCURRENCY, OutboxWorker, Pacer
from app.transport import BOT_USER
from bot.clock import SYSTEM_CLOCK, utcnow
from bot.config import Settings
from bot.db import Database
from bot.models import Notification
from bot.runtime import Services
from bot.services import outbox

TOKEN = "123456:CRASH-TEST"
FIRST_CHAT = 7_100_000_000
SEND_LATENCY = 0.005  # seconds the fake server takes per sendMessage, like a network


@dataclass
class Received:
    """What the fake Bot API received: chat id and monotonic time of every sendMessage."""

    messages: list[tuple[int, float]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, chat_id: int) -> None:
        with self.lock:
            self.messages.append((chat_id, time.monotonic()))

    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def snapshot(self) -> list[tuple[int, float]]:
        with self.lock:
            return list(self.messages)


def _handler(received: Received) -> type[BaseHTTPRequestHandler]:
    class BotApi(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return None

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length).decode()
            method = self.path.rsplit("/", 1)[-1]
            params = _params(body, self.headers.get("Content-Type") or "")
            result: Any = True
            if method == "getMe":
                result = BOT_USER
            elif method == "sendMessage":
                time.sleep(SEND_LATENCY)
                chat_id = int(params["chat_id"])
                received.add(chat_id)
                result = {
                    "message_id": 1,
                    "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"},
                    "text": str(params.get("text", "")),
                }
            payload = json.dumps({"ok": True, "result": result}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return BotApi


def _params(body: str, content_type: str) -> dict[str, Any]:
    if "json" in content_type:
        loaded = json.loads(body or "{}")
        return loaded if isinstance(loaded, dict) else {}
    return {key: values[0] for key, values in parse_qs(body).items()}


def start_bot_api() -> tuple[ThreadingHTTPServer, Received, str]:
    """A Bot API on a free loopback port; returns the server, its record and its base URL."""
    received = Received()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(received))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received, f"http://127.0.0.1:{server.server_address[1]}/bot"


async def prepare(database_url: str, notices: int) -> None:
    """Migrate and seed the database, then queue `notices` notices to distinct chats."""
    settings = Settings(_env_file=None, database_url=database_url)  # type: ignore[call-arg]
    services = Services.create(settings)
    await services.start()
    async with services.database.transaction() as session:
        await outbox.enqueue(
            session,
            kind=outbox.STALE_REMINDER,
            payload={"days": 90, "entries": []},
            recipients=range(FIRST_CHAT, FIRST_CHAT + notices),
            dedupe_prefix="crash",
            now=utcnow(),
        )
    await services.stop()


async def pending(database_url: str) -> tuple[int, int]:
    """(pending rows, pending rows under an unexpired lease)."""
    database = Database(database_url)
    try:
        async with database.transaction() as session:
            waiting = Notification.status == outbox.PENDING
            total = await session.scalar(select(func.count()).where(waiting))
            # Before leases had owners, a claim pushed the due time ahead instead.
            lease_end = getattr(Notification, "lease_expires_at", Notification.next_attempt_at)
            leased = await session.scalar(
                select(func.count()).where(waiting, lease_end > utcnow())
            )
        return int(total or 0), int(leased or 0)
    finally:
        await database.dispose()


async def run_worker(database_url: str, api_url: str, overall: int) -> None:
    """The subprocess: deliver until nothing is due, with the production worker."""
    from telegram import Bot

    database = Database(database_url)
    worker = OutboxWorker(database, "sv")
    worker.pacer = Pacer(SYSTEM_CLOCK, overall=overall)
    async with Bot(TOKEN, base_url=api_url) as bot:
        while (await worker.run(bot)).sent:
            pass
    await database.dispose()


def spawn(database_url: str, api_url: str, overall: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "tests.support.outbox_crash", "WORKER"]
    return subprocess.Popen([*command, database_url, api_url, str(overall)])


@dataclass(frozen=True)
class CrashFigures:
    notices: int
    received_before_kill: int
    held_by_dead_process: int  # pending rows under its lease: they waited LEASE before
    lost: int
    sent_twice: int
    first_after_restart: float  # seconds from the restart to the first message
    all_after_restart: float  # seconds from the restart to the last message
    pending_after: int


def crash_and_restart(
    database_url: str, *, notices: int, kill_after: int, overall: int
) -> CrashFigures:
    """Deliver `notices`, kill -9 the worker after `kill_after` arrived, restart, measure."""
    asyncio.run(prepare(database_url, notices))
    server, received, api_url = start_bot_api()
    try:
        first = spawn(database_url, api_url, overall)
        while received.count() < kill_after and first.poll() is None:
            time.sleep(0.002)
        os.kill(first.pid, signal.SIGKILL)
        first.wait()  # reaped: its pid is gone, as after a crash
        before = received.count()
        _, held = asyncio.run(pending(database_url))
        restarted_at = time.monotonic()
        second = spawn(database_url, api_url, overall)
        second.wait()
        messages = received.snapshot()
    finally:
        server.shutdown()
    after = [moment for _, moment in messages[before:]]
    counts: dict[int, int] = {}
    for chat_id, _ in messages:
        counts[chat_id] = counts.get(chat_id, 0) + 1
    left, _ = asyncio.run(pending(database_url))
    return CrashFigures(
        notices=notices,
        received_before_kill=before,
        held_by_dead_process=held,
        lost=notices - len(counts),
        sent_twice=sum(n - 1 for n in counts.values()),
        first_after_restart=(after[0] - restarted_at) if after else float("nan"),
        all_after_restart=(after[-1] - restarted_at) if after else float("nan"),
        pending_after=left,
    )


MAX_SENT_TWICE = CONCURRENCY  # at most the messages in flight when the process died

if __name__ == "__main__" and sys.argv[1:2] == ["WORKER"]:
    asyncio.run(run_worker(sys.argv[2], sys.argv[3], int(sys.argv[4])))
