"""One instance leads: it polls and runs the scheduled jobs; others stand by and take over.

PostgreSQL: an advisory lock on a dedicated connection (`app.leadership`), tried by standbys
every few seconds. SQLite: a second instance refuses to start. Migrations run under a lock.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.leadership import (
    EVERY_INSTANCE,
    AnotherInstanceRunning,
    LeaderJobQueue,
    Leadership,
    PostgresElection,
    SqliteFileLock,
    election_for,
    on_every_instance,
)
from app.service import BotService, run
from app.transport import ApiCall
from bot import locks
from bot.config import Settings
from bot.db import Database
from bot.runtime import Services
from bot.services.outbox import LeaseOwner
from tests.admin_support import deliver, worker_of
from tests.fakes import RecordingBotApi
from tests.support import postgres
from tests.support.clocks import VirtualClock
from tests.test_outbox_leases import CHATS, claim, queue


def postgres_only(url: str) -> None:
    if not url.startswith("postgresql"):
        pytest.skip("leader election runs on PostgreSQL")


async def wait_for(condition: Callable[[], bool], seconds: float = 10.0) -> float:
    """How long it took `condition` to hold (fails after `seconds`)."""
    began = time.monotonic()
    while not condition():
        assert time.monotonic() - began < seconds, "condition never held"
        await asyncio.sleep(0.02)
    return time.monotonic() - began


# --- PostgreSQL: one leader, standbys take over ------------------------------------------------


async def test_one_instance_leads_and_a_standby_takes_over_when_it_stops(
    database_url: str,
) -> None:
    postgres_only(database_url)
    first, second = Leadership(), Leadership()
    one = PostgresElection(database_url, first, interval=0.1)
    two = PostgresElection(database_url, second, interval=0.1)
    await one.start()
    await two.start()
    try:
        assert first.is_leader and not second.is_leader
        await asyncio.sleep(0.3)
        assert not second.is_leader  # the lock is held: trying again changes nothing
        await one.stop()
        await wait_for(lambda: second.is_leader, seconds=2)
        assert second.term == 2 and not first.is_leader
    finally:
        await one.stop()
        await two.stop()


async def test_a_leader_whose_connection_dies_stops_leading_before_another_takes_over(
    database_url: str,
) -> None:
    postgres_only(database_url)
    first, second = Leadership(), Leadership()
    one = PostgresElection(database_url, first, interval=0.1)
    two = PostgresElection(database_url, second, interval=0.1)
    await one.start()
    await two.start()
    admin = create_async_engine(database_url, isolation_level="AUTOCOMMIT")
    try:
        # What a killed process leaves: its backend goes, and with it the lock.
        async with admin.connect() as connection:
            await connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_locks "
                    "WHERE locktype = 'advisory' AND objid = :key"
                ),
                {"key": locks.LEADER},
            )
        await wait_for(lambda: second.is_leader, seconds=2)
        await wait_for(lambda: not first.is_leader, seconds=2)
        await asyncio.sleep(0.3)
        assert second.is_leader and not first.is_leader  # never two at once afterwards
    finally:
        await admin.dispose()
        await one.stop()
        await two.stop()


class PollingApi(RecordingBotApi):
    """Counts getUpdates; answers it slowly, as Telegram's long poll would."""

    def __init__(self) -> None:
        super().__init__()
        self.polls = 0

    async def before_call(self, call: ApiCall) -> None:
        if call.method == "getUpdates":
            self.polls += 1
            await asyncio.sleep(0.05)


async def polling_service(settings: Settings) -> tuple[BotService, PollingApi]:
    api = PollingApi()
    service = BotService(settings, request=api)
    assert isinstance(service.election, PostgresElection)
    service.election.interval = 0.1
    await service.start()
    return service, api


async def test_only_the_leader_polls_and_a_standby_polls_once_it_is_gone(
    make_settings: Callable[..., Settings], database_url: str
) -> None:
    postgres_only(database_url)
    settings = make_settings(telegram_bot_token="123456:TEST")
    leader, leader_api = await polling_service(settings)
    standby, standby_api = await polling_service(settings)
    try:
        await wait_for(lambda: leader_api.polls > 2)
        assert standby_api.polls == 0 and not standby.leadership.is_leader
        await leader.stop()
        took = await wait_for(lambda: standby_api.polls > 0, seconds=10)
        assert took < 10
    finally:
        await standby.stop()


# --- SQLite: a second instance refuses ---------------------------------------------------------


async def test_a_second_instance_on_one_sqlite_file_refuses_to_start(tmp_path: Path) -> None:
    database = tmp_path / "bot.sqlite3"
    first, second = SqliteFileLock(database), SqliteFileLock(database)
    await first.start()
    with pytest.raises(AnotherInstanceRunning, match="Another Kontaktlotsen instance"):
        await second.start()
    await first.stop()
    await second.start()  # the first has stopped: now it may
    await second.stop()
    memory = election_for("sqlite+aiosqlite:///:memory:", Leadership())
    assert not isinstance(memory, SqliteFileLock)


def test_the_command_line_says_in_swedish_why_it_refuses(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bot.sqlite3"
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{path}",
        telegram_bot_token=SecretStr("123456:TEST"),
    )
    running = SqliteFileLock(path)
    asyncio.run(running.start())
    try:
        code = run(settings, webhook=False)
    finally:
        asyncio.run(running.stop())
    assert code == 2
    assert "En annan Kontaktlotsen kör redan" in capsys.readouterr().err


# --- Scheduled jobs and the outbox -------------------------------------------------------------


async def test_jobs_run_only_on_the_leader_unless_they_serve_their_own_instance(
    app: Any,
) -> None:
    ran: list[str] = []

    async def reminder(context: Any) -> None:
        ran.append("reminder")

    @on_every_instance
    async def own_index(context: Any) -> None:
        ran.append("index")

    jobs = app.job_queue
    assert isinstance(jobs, LeaderJobQueue)
    reminder_job = jobs.run_once(reminder, when=3600)
    index_job = jobs.run_once(own_index, when=3600)
    jobs.leadership.set_leader(False)
    for job in (reminder_job, index_job):
        await jobs.job_callback(jobs, job)
    assert ran == ["index"]
    jobs.leadership.set_leader(True)
    await jobs.job_callback(jobs, reminder_job)
    assert ran == ["index", "reminder"]
    # Every job the application schedules is covered, whatever its name.
    assert all(job.job.func == jobs.job_callback for job in jobs.jobs())


async def test_only_jobs_that_serve_their_own_process_run_on_every_instance(app: Any) -> None:
    every = {job.name for job in app.job_queue.jobs() if job.callback in EVERY_INSTANCE}
    # Its own index and cards, and its own buffered usage counts; the rest is the leader's.
    assert every == {"refresh_directory", "flush_usage"}


async def test_a_new_leader_takes_the_old_leaders_rows_at_once(app: Any) -> None:
    clock = VirtualClock()
    services: Services = app.bot_data.services
    await queue(services, clock)
    worker = worker_of(app)
    leadership = worker.leadership
    assert leadership is app.job_queue.leadership
    # Another host's leader claimed the rows, then died: its lease has not expired.
    assert await claim(services, clock, LeaseOwner("other-host", 7, "old")) == len(CHATS)
    assert (await deliver(app, clock)).sent == 0  # alone, another host's lease is respected
    leadership.elected = True
    leadership.set_leader(False)
    assert (await deliver(app, clock)).sent == 0  # a standby delivers nothing
    leadership.set_leader(True)
    assert (await deliver(app, clock)).sent == len(CHATS)  # the new leader, at once


# --- Migrations --------------------------------------------------------------------------------


@pytest.fixture
async def empty_postgres() -> AsyncIterator[str]:
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip("TEST_DATABASE_URL is not set")
    async with postgres.throwaway_database(server, "kl_empty") as url:
        yield url


async def test_replicas_starting_together_migrate_one_after_another(empty_postgres: str) -> None:
    databases = [Database(empty_postgres) for _ in range(3)]
    try:
        await asyncio.gather(*(database.migrate() for database in databases))
        level = await databases[0].schema_level()
        assert level.at_head
    finally:
        for database in databases:
            await database.dispose()
