"""Which instance leads: one polls Telegram and runs the scheduled jobs; others stand by.

Several instances on one database must not all poll (Telegram answers the second `getUpdates`
with 409 and the updates split between them) nor all run the jobs (every reminder would go out
once per instance). So one instance leads:

* **PostgreSQL**: the leader holds a session-level advisory lock (`bot.locks.LEADER`) on a
  connection of its own, kept for as long as the process lives. The others are hot standbys:
  started, migrated, indexed, and trying the lock every `interval` seconds. When the leader
  dies its connection closes, PostgreSQL releases the lock, and a standby takes it at its next
  try (within `interval`, 2 s). The leader checks its connection at the same pace: if it is
  lost (the database restarted, the network failed), it stops leading at once, before anyone
  else can take over.
* **SQLite** is one process's database: a second instance on the same file refuses to start
  (`AnotherInstanceRunning`), held off by an exclusive lock on a file beside the database
  (`<database>.lock`). The lock goes with the process, also after kill -9.
* Alone (an in-memory database, the tests, the terminal chat) an instance simply leads.

In webhook mode every replica takes updates (a load balancer spreads them) and only the
scheduled jobs wait for leadership (`LeaderJobQueue`). The delivery worker builds on its lease
owners: a new leader frees every row leased to another owner at once, since only a leader
delivers and the owner has lost the lock (`app.delivery`).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, Protocol, TypeVar

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool
from telegram.ext import Job, JobQueue

from bot import locks
from bot.faults import describe

log = logging.getLogger(__name__)

TRY_EVERY_SECONDS = 2.0
CHECK_TIMEOUT_SECONDS = 5.0


class AnotherInstanceRunning(RuntimeError):
    """A second instance on the same SQLite database."""

    def __init__(self, lock_path: Path) -> None:
        super().__init__(
            f"Another Kontaktlotsen instance is already running on this SQLite database "
            f"(lock file {lock_path}). Stop it first, or use PostgreSQL for several instances."
        )
        self.lock_path = lock_path


class Leadership:
    """Whether this process leads now; `term` counts the times it became leader."""

    def __init__(self) -> None:
        self.is_leader = True  # alone, an instance leads; an election starts by standing by
        self.term = 1
        self.elected = False  # True while an election among instances decides it
        self.on_gain: list[Callable[[], None]] = []
        self._changed = asyncio.Event()

    def set_leader(self, leading: bool) -> None:
        if leading == self.is_leader:
            return
        self.is_leader = leading
        if leading:
            self.term += 1
        log.info("This instance %s", "now leads" if leading else "stands by")
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
        if leading:
            for listener in self.on_gain:
                listener()

    async def wait_until(self, leading: bool) -> None:
        """Return once this process leads (`leading`) or stands by (not `leading`)."""
        while self.is_leader != leading:
            await self._changed.wait()


class Election(Protocol):
    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Alone:
    """No election: the only instance (in-memory SQLite, tests) leads."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None


class SqliteFileLock:
    """One instance per SQLite file: an exclusive lock on `<database>.lock`, or refuse."""

    def __init__(self, database_path: Path) -> None:
        self.path = database_path.with_name(database_path.name + ".lock")
        self._file: IO[str] | None = None

    async def start(self) -> None:
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AnotherInstanceRunning(self.path) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")  # for the operator; the lock, not the pid, decides
        handle.flush()
        self._file = handle

    async def stop(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file.fileno(), fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class PostgresElection:
    """Lead while holding `key` on a dedicated connection; otherwise try every `interval` s."""

    def __init__(
        self,
        url: str,
        leadership: Leadership,
        *,
        key: int = locks.LEADER,
        interval: float = TRY_EVERY_SECONDS,
    ) -> None:
        self.url = url
        self.leadership = leadership
        self.key = key
        self.interval = interval
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Stand by, try the lock once (the first instance leads at once), then keep trying."""
        self.leadership.elected = True
        self.leadership.set_leader(False)
        self._engine = create_async_engine(
            self.url, poolclass=NullPool, isolation_level="AUTOCOMMIT"
        )
        await self.step()
        self._task = asyncio.create_task(self._run(), name="leader-election")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            await self.step()

    async def step(self) -> None:
        """Leader: check the connection still lives. Standby: try to take the lock."""
        try:
            async with asyncio.timeout(CHECK_TIMEOUT_SECONDS):
                if self.leadership.is_leader:
                    await self._execute("SELECT 1")
                elif await self._execute("SELECT pg_try_advisory_lock(:key)"):
                    self.leadership.set_leader(True)
        except Exception as error:  # lost connection, timeout: no lock can be counted on
            if self.leadership.is_leader:
                log.warning("Leadership lost: %s", describe(error))
            self.leadership.set_leader(False)
            await self._close()

    async def _execute(self, statement: str) -> Any:
        assert self._engine is not None
        if self._connection is None:
            self._connection = await self._engine.connect()
        return (await self._connection.execute(text(statement), {"key": self.key})).scalar()

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close()

    async def stop(self) -> None:
        """Give up the lock at once (closing the connection does it), so a standby takes over."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.leadership.set_leader(False)
        await self._close()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None


def election_for(database_url: str, leadership: Leadership) -> Election:
    """PostgreSQL: an election; a SQLite file: the lock that keeps a second instance out."""
    url = make_url(database_url)
    if url.get_backend_name() == "postgresql":
        return PostgresElection(database_url, leadership)
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        return SqliteFileLock(Path(str(url.database)).resolve())
    return Alone()


# --- Scheduled jobs ------------------------------------------------------------------------------

F = TypeVar("F", bound=Callable[..., Any])
EVERY_INSTANCE: set[object] = set()
ON_TAKEOVER: set[object] = set()


def on_every_instance(callback: F) -> F:
    """Mark a job that serves its own process (e.g. refreshing its in-memory index): it runs
    on every instance. Every other job runs on the leader only."""
    EVERY_INSTANCE.add(callback)
    return callback


def on_takeover(callback: F) -> F:
    """Mark a job that also runs at once when this instance takes over the lead, as at a
    start-up: e.g. the outbox the old leader left half-delivered."""
    ON_TAKEOVER.add(callback)
    return callback


class LeaderJobQueue(JobQueue[Any]):
    """PTB's JobQueue, whose jobs run only while this process leads (unless marked with
    `on_every_instance`). Every job is covered, whatever its name and whoever adds it."""

    def __init__(self) -> None:
        super().__init__()
        self.leadership = Leadership()
        self.leadership.on_gain.append(self._took_over)

    def _took_over(self) -> None:
        """Run the `on_takeover` jobs now; at start-up their own first runs do it."""
        if not self.scheduler.running:
            return
        started: set[tuple[object, int]] = set()
        for job in self.jobs():
            key = (job.callback, id(job.data))
            if job.callback in ON_TAKEOVER and key not in started:
                started.add(key)
                self.run_once(
                    job.callback,
                    when=0,
                    data=job.data,
                    name=f"{job.name}_on_takeover",
                    job_kwargs={"misfire_grace_time": None},
                )

    @staticmethod
    async def job_callback(job_queue: JobQueue[Any], job: Job[Any]) -> None:
        leadership = getattr(job_queue, "leadership", None)
        if (
            isinstance(leadership, Leadership)
            and not leadership.is_leader
            and job.callback not in EVERY_INSTANCE
        ):
            return  # another instance leads and runs it
        await JobQueue.job_callback(job_queue, job)


def leadership_of(application: Any) -> Leadership:
    """The application's leadership (its job queue's); a fresh one that leads when it has none."""
    leadership = getattr(application.job_queue, "leadership", None)
    return leadership if isinstance(leadership, Leadership) else Leadership()
