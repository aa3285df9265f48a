"""The end-to-end harness: the bot as separate processes, over real HTTP, against a local Bot API.

What runs
    `tests/e2e/emulator/server.js`: the npm package telegram-test-api behind our wrapper, which
    answers every Bot API method the way Telegram does (see the file's header). It is installed
    with `npm ci` from the committed lock file into `tests/e2e/emulator/node_modules` (ignored by
    git) the first time the tier runs, under a file lock; a checksum of the lock file in
    `node_modules` makes later runs install nothing. One emulator serves the whole session;
    every bot identity gets its own token, so scenarios never see each other's updates.

    Each bot is `kontaktlotsen run` (or `run --webhook`) in a process of its own, configured only
    through the environment (`TELEGRAM_API_BASE_URL` points at the emulator), with its working
    directory in the test's tmp folder so no `.env` is read. Its log is `<tmp>/<name>.log`,
    printed (tail) when a scenario fails.

The fixtures (tests/e2e/conftest.py)
    `emulator`   the running `Emulator` (session); skips the tier, with one line, when Node.js is
                 missing; an install that fails is a failure.
    `fleet`      a `Fleet`: starts bot processes and stops every one of them after the test,
                 failed or not (SIGTERM, then SIGKILL). Every process also gets SIGKILL when the
                 pytest process dies (PR_SET_PDEATHSIG), so nothing outlives a run.
    `sqlite_url` a fresh SQLite database (a copy of the migrated, seeded template).
    `any_url`    the same, once on SQLite and once on PostgreSQL when TEST_DATABASE_URL is set
                 (a database of its own per scenario, created from the PostgreSQL template).
    `database_factory`  `make("sqlite" | "postgresql")`: more fresh databases, dropped after
                 the test (PostgreSQL skips the test without TEST_DATABASE_URL).

Starting bots
    bot = fleet.start(database_url=url)                           # polling, its own token
    bot = fleet.start(database_url=url, mode="webhook")           # WEBHOOK_* set, free port
    bot = fleet.start(database_url=url, city_admins=(111,), env={"LOG_LEVEL": "DEBUG"})
    a, b = fleet.replicas(2, database_url=pg_url)                 # one token, one database
    a, b = fleet.replicas(2, database_url=pg_url, mode="webhook") # behind one WEBHOOK_URL
    bot.restart()          # SIGTERM, wait for the exit, start again, wait until it is up
    bot.kill()             # SIGKILL (kill -9): nothing of the bot's shutdown runs
    bot.start()            # again, after kill or stop
    bot.wait_for_log("now leads")      # a line in the log of the current start
`start(ready=...)`: "auto" (the default of `fleet.start`) waits until the emulator has seen the
process poll (getUpdates) or register its webhook (setWebhook); "running" (the default of
`replicas`: a standby does not poll) waits for the service's "Kontaktlotsen runs" log line;
"none" does not wait. Waiting fails with the log's tail when the process ends first.

Each process calls the emulator at `/r/<its name>/bot<token>/...`, so replicas share the token
(as in production: Telegram's updates are the bot's, not a process's) and the emulator still
records which process made each call (`Call.replica`, `bot.calls_made("getUpdates")`). In
webhook mode `replicas` registers one WEBHOOK_URL for all and the emulator, as the load
balancer in front of them, posts each update to the next replica in turn, skipping one that
refuses the connection (killed). Other controls of the emulator:
    fleet.emulator.status(token)       # calls per method, webhook deliveries, pending updates
    fleet.emulator.slow(token, "sendMessage", 1.0)   # answer slowly, e.g. to kill mid-send
    bot.post_webhook(body, secret)     # a request straight to the bot's webhook port
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx

from app.web import SECRET_HEADER
from bot.config import Settings

EMULATOR_DIR = Path(__file__).resolve().parent / "emulator"
NODE_MODULES = EMULATOR_DIR / "node_modules"
INSTALLED_STAMP = NODE_MODULES / ".kontaktlotsen-lock-sha256"
INSTALL_LOCK = EMULATOR_DIR / ".install.lock"
NODE_MISSING = "e2e tier skipped: Node.js (node and npm) is not on PATH"

START_TIMEOUT = 90.0  # a loaded 2-core machine starts a bot in a few seconds; leave room
REPLY_TIMEOUT = 30.0
QUIET = 0.5  # after the awaited reply, calls that follow within this long belong to it
WEBHOOK_PATH = "/telegram"
# Methods that put something in front of the user (the default thing to wait for).
SHOWING = frozenset({"sendMessage", "editMessageText", "sendPhoto", "sendDocument", "sendContact"})


def node_missing() -> bool:
    return shutil.which("node") is None or shutil.which("npm") is None


def emulator_version() -> str:
    """ "telegram-test-api X on Node vY": what the tier ran against, for the run's log."""
    package = json.loads((EMULATOR_DIR / "package.json").read_text())
    node = subprocess.run(["node", "--version"], capture_output=True, text=True, check=False)
    version = package["dependencies"]["telegram-test-api"]
    return f"Bot API emulator telegram-test-api {version} on Node {node.stdout.strip()}"


def install_emulator() -> None:
    """`npm ci` from the committed lock file, once per lock file, one installer at a time."""
    lock_sum = hashlib.sha256((EMULATOR_DIR / "package-lock.json").read_bytes()).hexdigest()
    with INSTALL_LOCK.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if INSTALLED_STAMP.exists() and INSTALLED_STAMP.read_text().strip() == lock_sum:
            return
        done = subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=EMULATOR_DIR,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(
                f"npm ci in {EMULATOR_DIR} failed ({done.returncode}):\n{done.stdout}{done.stderr}"
            )
        INSTALLED_STAMP.write_text(lock_sum + "\n")


def free_port() -> int:
    """A port nobody listens on now (the OS picks it for a socket bound to port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _die_with_parent() -> None:
    """In the child before exec: SIGKILL when the test run dies, so no process is orphaned."""
    if sys.platform.startswith("linux"):
        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGKILL)


def spawn(
    command: list[str], *, cwd: Path, env: Mapping[str, str], log: Path
) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            command,
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,  # only prctl, safe before exec
        )


def end(process: subprocess.Popen[bytes], *, grace: float = 15.0) -> None:
    """SIGTERM, and SIGKILL when the process has not ended after `grace` seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@dataclass(frozen=True)
class Call:
    """One Bot API call the bot made, as the emulator answered it."""

    seq: int
    method: str
    chat_id: int | None
    params: dict[str, Any]
    result: Any = None
    error: str | None = None
    replica: str = ""  # the process that made the call (BotProcess.name)

    @property
    def text(self) -> str:
        return str(self.params.get("text") or self.params.get("caption") or "")

    def __str__(self) -> str:
        return f"{self.method}({self.text[:80]!r}{', ' + self.error if self.error else ''})"


def shown(calls: list[Call]) -> list[str]:
    """The texts of the messages the bot sent or edited (not those Telegram refused)."""
    return [
        c.text for c in calls if c.method in ("sendMessage", "editMessageText") and not c.error
    ]


def refused(calls: list[Call]) -> list[str]:
    """The calls the emulator refused as Telegram would (method: Telegram's description)."""
    return [f"{c.method}: {c.error}" for c in calls if c.error]


def buttons(message: Mapping[str, Any]) -> list[tuple[str, str]]:
    markup = message.get("reply_markup") or {}
    return [
        (b["text"], b.get("callback_data", ""))
        for row in markup.get("inline_keyboard", [])
        for b in row
    ]


def showed_something(calls: list[Call]) -> bool:
    """The default end of a wait: the bot sent or edited a message (or tried: refused too)."""
    return any(c.method in SHOWING for c in calls)


class Emulator:
    """The emulator process and its control API (users' messages, the bot's calls)."""

    def __init__(self, process: subprocess.Popen[bytes], url: str, log: Path) -> None:
        self.process = process
        self.url = url
        self.log = log
        self.http = httpx.Client(base_url=url, trust_env=False, timeout=90)

    @classmethod
    def start(cls, workdir: Path) -> Emulator:
        port = free_port()
        log = workdir / "emulator.log"
        process = spawn(
            ["node", "server.js", "--port", str(port)],
            cwd=EMULATOR_DIR,
            env=os.environ,
            log=log,
        )
        emulator = cls(process, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"the emulator ended at start:\n{tail(log)}")
            with contextlib.suppress(httpx.TransportError):
                if emulator.http.get("/e2e/health").status_code == 200:
                    return emulator
            if time.monotonic() > deadline:
                end(process)
                raise RuntimeError(f"the emulator did not answer within 30 s:\n{tail(log)}")
            time.sleep(0.1)

    def stop(self) -> None:
        self.http.close()
        end(self.process, grace=5)

    def _result(self, response: httpx.Response) -> Any:
        response.raise_for_status()
        return response.json()["result"]

    def send_message(self, token: str, message: dict[str, Any]) -> dict[str, int]:
        """A user's message (without id and date: the emulator gives them) -> its ids."""
        sent = self.http.post("/e2e/sendMessage", json={"token": token, "message": message})
        return dict(self._result(sent))

    def send_callback(
        self, token: str, user: dict[str, Any], message: Mapping[str, Any], data: str
    ) -> dict[str, Any]:
        body = {
            "token": token,
            "from": user,
            "chat_id": message["chat"]["id"],
            "message_id": message["message_id"],
            "data": data,
        }
        return dict(self._result(self.http.post("/e2e/sendCallback", json=body)))

    def calls(self, token: str, since: int, timeout: float = 0) -> tuple[list[Call], int]:
        """The bot's calls after `since` (waiting up to `timeout` s for one) and the last seq."""
        params: dict[str, str | int | float] = {
            "token": token,
            "since": since,
            "timeout": round(timeout, 3),
        }
        body = self.http.get("/e2e/calls", params=params).raise_for_status().json()
        calls = [
            Call(
                seq=c["seq"],
                method=c["method"],
                chat_id=c["chat_id"],
                params=c["params"],
                result=c.get("result"),
                error=c.get("error"),
                replica=c.get("replica", ""),
            )
            for c in body["result"]
        ]
        return calls, int(body["seq"])

    def last_seq(self) -> int:
        return self.calls("", since=1 << 50)[1]

    def messages(self, token: str, chat_id: int) -> list[dict[str, Any]]:
        """The bot's messages in a chat as they stand now (edits applied, deleted ones gone)."""
        found = self.http.get("/e2e/messages", params={"token": token, "chat_id": chat_id})
        return [dict(message) for message in self._result(found)]

    def status(self, token: str, *, replica: str | None = None) -> dict[str, Any]:
        """Calls per method (of one replica, or all), the webhook with its deliveries (status,
        backend), pending updates, whether a getUpdates waits."""
        params = {"token": token} if replica is None else {"token": token, "replica": replica}
        return dict(self._result(self.http.get("/e2e/status", params=params)))

    def proxy(self, url: str, backends: list[str]) -> None:
        """Posts for the webhook `url` go to `backends` in turn (a load balancer)."""
        self._result(self.http.post("/e2e/proxy", json={"url": url, "backends": backends}))

    def slow(self, token: str, method: str, seconds: float) -> None:
        """Answer the bot's `method` calls after `seconds` (0: at once), e.g. to kill mid-send."""
        body = {"token": token, "method": method, "seconds": seconds}
        self._result(self.http.post("/e2e/slow", json=body))


class User:
    """A person in a private chat with one bot (all its replicas share the token)."""

    def __init__(
        self, emulator: Emulator, token: str, user_id: int, *, language_code: str = "sv"
    ) -> None:
        self.emulator = emulator
        self.token = token
        self.user_id = user_id
        self.profile = {
            "id": user_id,
            "is_bot": False,
            "first_name": f"Test{user_id}",
            "language_code": language_code,
        }
        self.sent_ids: list[int] = []

    def send(
        self,
        text: str,
        *,
        until: Callable[[list[Call]], bool] = showed_something,
        timeout: float = REPLY_TIMEOUT,
    ) -> list[Call]:
        """Type `text`; return what the bot did in this chat until `until` holds (then quiet)."""
        message: dict[str, Any] = {
            "from": self.profile,
            "chat": {
                "id": self.user_id,
                "type": "private",
                "first_name": self.profile["first_name"],
            },
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        since = self.emulator.last_seq()
        self.sent_ids.append(self.emulator.send_message(self.token, message)["message_id"])
        return self.wait(until, since=since, timeout=timeout)

    def press(
        self,
        label: str | None = None,
        *,
        data: str | None = None,
        message: Mapping[str, Any] | None = None,
        until: Callable[[list[Call]], bool] = showed_something,
        timeout: float = REPLY_TIMEOUT,
    ) -> list[Call]:
        """Press a button by label (or raw callback data) on `message` or the newest one."""
        message = message or self.last_with_buttons()
        if data is None:
            offered = buttons(message)
            found = [d for text, d in offered if text == label]
            assert found, f"no button {label!r} in {offered}"
            data = found[0]
        since = self.emulator.last_seq()
        self.emulator.send_callback(self.token, self.profile, message, data)
        return self.wait(until, since=since, timeout=timeout)

    def wait(
        self,
        until: Callable[[list[Call]], bool],
        *,
        since: int,
        timeout: float = REPLY_TIMEOUT,
        quiet: float = QUIET,
    ) -> list[Call]:
        """The bot's calls in this chat after `since`, once `until` holds and `quiet` s passed."""
        calls: list[Call] = []
        seq = since
        deadline = time.monotonic() + timeout
        while not until(calls):
            left = deadline - time.monotonic()
            if left <= 0:
                got = ", ".join(map(str, calls)) or "nothing"
                raise AssertionError(f"waited {timeout:.0f} s for the bot; in this chat: {got}")
            more, seq = self.emulator.calls(self.token, seq, timeout=min(left, 10))
            calls += [c for c in more if c.chat_id == self.user_id]
        while True:
            more, seq = self.emulator.calls(self.token, seq, timeout=quiet)
            if not more:
                return calls
            calls += [c for c in more if c.chat_id == self.user_id]

    def messages(self) -> list[dict[str, Any]]:
        return self.emulator.messages(self.token, self.user_id)

    def last_with_buttons(self) -> dict[str, Any]:
        for message in self.messages()[::-1]:
            if buttons(message):
                return message
        raise AssertionError("no message with buttons in the chat")


# How `start` knows a process is up: "auto" waits until the emulator has seen it poll
# (getUpdates) or register its webhook (setWebhook); "running" waits for the service's log line
# (a standby replica that does not poll yet); "none" does not wait.
Ready = Literal["auto", "running", "none"]
RUNNING_LINE = "Kontaktlotsen runs ("


@dataclass
class BotProcess:
    """One `kontaktlotsen run` process; `start`, `stop`, `kill` and `restart` it at will."""

    name: str
    token: str
    mode: str
    env: dict[str, str]
    workdir: Path
    emulator: Emulator
    process: subprocess.Popen[bytes] | None = None
    webhook_port: int | None = None
    webhook_secret: str | None = None
    starts: int = 0
    log_offset: int = 0  # where the current start's lines begin in the log

    @property
    def log(self) -> Path:
        return self.workdir / f"{self.name}.log"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    @property
    def webhook_address(self) -> str:
        """Where the bot's own HTTP server takes Telegram's posts (no TLS proxy in between)."""
        assert self.webhook_port is not None
        return f"http://127.0.0.1:{self.webhook_port}{WEBHOOK_PATH}"

    def calls_made(self, method: str) -> int:
        """How often this process (not its replicas) called `method` of the Bot API."""
        counts = self.emulator.status(self.token, replica=self.name)["methods"]
        return int(counts.get(method, 0))

    def start(self, *, ready: Ready = "auto") -> BotProcess:
        assert not self.running, f"{self.name} is running"
        command = [str(Path(sys.executable).with_name("kontaktlotsen")), "run"]
        if self.mode == "webhook":
            command.append("--webhook")
        ready_method = "setWebhook" if self.mode == "webhook" else "getUpdates"
        before = self.calls_made(ready_method)
        with self.log.open("a") as log:
            log.write(f"--- start {self.starts + 1} ---\n")
        self.log_offset = self.log.stat().st_size
        self.process = spawn(command, cwd=self.workdir, env=self.env, log=self.log)
        self.starts += 1
        if ready == "auto":
            self._wait(lambda: self.calls_made(ready_method) > before, f"no {ready_method}")
        elif ready == "running":
            self.wait_for_log(RUNNING_LINE)
        return self

    def _wait(self, done: Callable[[], bool], what: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while not done():
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"{self.name} ended ({what}):\n{tail(self.log)}")
            if time.monotonic() > deadline:
                raise AssertionError(f"{self.name}: {what} in {timeout:.0f} s:\n{tail(self.log)}")
            time.sleep(0.1)

    def log_since_start(self) -> str:
        with self.log.open("rb") as log:
            log.seek(self.log_offset)
            return log.read().decode(errors="replace")

    def wait_for_log(self, text: str, timeout: float = START_TIMEOUT) -> None:
        """Until `text` appears in this start's log (e.g. "now leads")."""
        self._wait(lambda: text in self.log_since_start(), f"no {text!r} in the log", timeout)

    def stop(self) -> None:
        """SIGTERM (what `docker stop` sends) and wait for the exit."""
        if self.process is not None:
            end(self.process)

    def kill(self) -> None:
        """SIGKILL: the process gets no chance to finish anything."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def restart(self, *, ready: Ready = "auto") -> BotProcess:
        self.stop()
        return self.start(ready=ready)

    def user(self, user_id: int, *, language_code: str = "sv") -> User:
        return User(self.emulator, self.token, user_id, language_code=language_code)

    def post_webhook(self, body: str, secret: str | None) -> httpx.Response:
        """POST an update straight to the bot's webhook, with the given secret header."""
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers[SECRET_HEADER] = secret
        return httpx.post(self.webhook_address, content=body, headers=headers, trust_env=False)


def _clean_environment() -> dict[str, str]:
    """The test run's environment without any of the bot's settings (they are set per bot)."""
    settings = {name.upper() for name in Settings.model_fields}
    return {k: v for k, v in os.environ.items() if k.upper() not in settings}


def new_token() -> str:
    return f"{secrets.randbelow(9 * 10**8) + 10**8}:E2E-{secrets.token_hex(8)}"


@dataclass
class Fleet:
    """Starts bot processes against the emulator; `close` ends every one of them."""

    emulator: Emulator
    workdir: Path
    bots: list[BotProcess] = field(default_factory=list)

    def start(
        self,
        *,
        database_url: str,
        mode: str = "polling",
        token: str | None = None,
        city_admins: tuple[int, ...] = (),
        env: Mapping[str, str] | None = None,
        ready: Ready = "auto",
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
    ) -> BotProcess:
        """A new bot process (`mode` polling or webhook); `token` of another makes a replica.

        Webhook mode: WEBHOOK_URL is `webhook_url` (e.g. a proxy's, see `replicas`) or the
        process's own https://127.0.0.1:<free port>/telegram, which the emulator posts to over
        http."""
        assert mode in ("polling", "webhook")
        name = f"bot{len(self.bots) + 1}-{mode}"
        folder = self.workdir / name
        folder.mkdir(parents=True)
        values = {
            **_clean_environment(),
            "TELEGRAM_BOT_TOKEN": token or new_token(),
            # The replica's name in the path: the emulator records which process called.
            "TELEGRAM_API_BASE_URL": f"{self.emulator.url}/r/{name}/bot",
            "DATABASE_URL": database_url,
            "CITY_ADMIN_IDS": ",".join(map(str, city_admins)),
            "SEED_EXAMPLE_DATA": "true",
            "LOG_LEVEL": "INFO",
            "START_ATTEMPTS": "3",
            "START_RETRY_SECONDS": "0.5",
            "NO_PROXY": "127.0.0.1,localhost",
            "PYTHONUNBUFFERED": "1",
        }
        bot = BotProcess(name, values["TELEGRAM_BOT_TOKEN"], mode, values, folder, self.emulator)
        if mode == "webhook":
            bot.webhook_port = free_port()
            bot.webhook_secret = webhook_secret or secrets.token_urlsafe(24)
            own = f"https://127.0.0.1:{bot.webhook_port}{WEBHOOK_PATH}"
            values |= {
                "WEBHOOK_URL": webhook_url or own,
                "WEBHOOK_LISTEN": "127.0.0.1",
                "WEBHOOK_PORT": str(bot.webhook_port),
                "WEBHOOK_SECRET_TOKEN": bot.webhook_secret,
            }
        values |= dict(env or {})
        self.bots.append(bot)
        return bot.start(ready=ready)

    def replicas(
        self,
        count: int,
        *,
        database_url: str,
        mode: str = "polling",
        ready: Ready = "running",
        **settings: Any,
    ) -> list[BotProcess]:
        """`count` processes of one bot (one token) on one database, started one after another.

        Webhook mode: all register one WEBHOOK_URL, and the emulator, as the load balancer in
        front of them, posts each update to the next replica in turn (skipping one that refuses
        the connection, e.g. after `kill`): update 1 to the first, update 2 to the second, ..."""
        token = new_token()
        shared: dict[str, Any] = {}
        if mode == "webhook":
            shared = {
                "webhook_url": f"https://replicas-{token.split(':')[0]}.e2e.invalid{WEBHOOK_PATH}",
                "webhook_secret": secrets.token_urlsafe(24),
            }
        started: list[BotProcess] = []
        for _ in range(count):
            started.append(
                self.start(
                    database_url=database_url,
                    mode=mode,
                    token=token,
                    ready=ready,
                    **shared,
                    **settings,
                )
            )
            if mode == "webhook":
                backends = [bot.webhook_address for bot in started]
                self.emulator.proxy(shared["webhook_url"], backends)
        return started

    def close(self) -> None:
        """SIGTERM to every running bot at once, then wait (SIGKILL after 15 s)."""
        running = [bot.process for bot in self.bots if bot.running and bot.process]
        for process in running:
            process.terminate()
        for process in running:
            end(process)

    def logs(self) -> Iterator[tuple[str, str]]:
        for bot in self.bots:
            yield bot.name, tail(bot.log)
