"""Engine, sessions and migrations.

One transaction per user action: callers open `async with database.transaction() as session`
at the edge (a handler, a CLI command) and pass the session to services, which never commit.
"""

from __future__ import annotations

import ast
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

from bot import locks
from bot.clock import CLOCK_KEY, SYSTEM_CLOCK, Clock

if TYPE_CHECKING:  # Alembic (with Mako) loads only when the schema is behind, or for `doctor`
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
# Where `announce` keeps a transaction's facts until it commits (in the session's `info`).
ANNOUNCED = "kontaktlotsen.announced"

Listener = Callable[[object], None]
# Runs inside a transaction that is about to commit (after its last flush).
BeforeCommit = Callable[[AsyncSession], Awaitable[None]]


def announce(session: AsyncSession, fact: object) -> None:
    """Tell the database's listeners about `fact` once this transaction has committed.

    The shell counts with it (`app/metrics.py`) while the core knows nothing of metrics; an
    action that rolls back announces nothing. Listeners must be quick and must not raise.
    """
    session.info.setdefault(ANNOUNCED, []).append(fact)


@dataclass(frozen=True)
class SchemaLevel:
    """The Alembic revisions the database is at, and the heads this code brings."""

    current: frozenset[str]
    heads: frozenset[str]

    @property
    def at_head(self) -> bool:
        return self.current == self.heads

    @property
    def missing(self) -> frozenset[str]:
        """Heads not yet applied: the schema is behind (`kontaktlotsen migrate` applies them)."""
        return self.heads - self.current


class TrackedSession(Session):
    """The sessions of every `Database`: a class of our own, so that ORM event listeners
    (`bot.services.revisions.watch`) hear this application's sessions and no others."""


def _enable_sqlite_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


class Database:
    """The async engine and session factory for one database URL."""

    def __init__(self, url: str, clock: Clock = SYSTEM_CLOCK) -> None:
        self.url = url
        self.clock = clock
        self.is_sqlite = url.startswith("sqlite")
        kwargs: dict[str, Any] = {}
        if self.is_sqlite and (":memory:" in url or url.rstrip("/").endswith("sqlite+aiosqlite:")):
            # An in-memory database lives as long as its one connection.
            kwargs["poolclass"] = StaticPool
            kwargs["connect_args"] = {"check_same_thread": False}
        elif self.is_sqlite:
            # The delivery worker's concurrent senders each commit a short write; on a busy
            # machine the default 5 s wait for SQLite's write lock ran out ("database is
            # locked"). Writers queue up to 30 s instead.
            kwargs["connect_args"] = {"timeout": 30}
        else:
            kwargs["pool_pre_ping"] = True
        self.engine: AsyncEngine = create_async_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine.sync_engine, "connect", _enable_sqlite_foreign_keys)
        # Every session carries the clock, so services read "now" from it (bot.clock.session_now).
        self.sessions = async_sessionmaker(
            self.engine,
            expire_on_commit=False,
            info={CLOCK_KEY: clock},
            sync_session_class=TrackedSession,
        )
        self.listeners: list[Listener] = []
        self.before_commit: list[BeforeCommit] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """Open a session and a transaction; commit on success, roll back on any error.

        The connection is taken on the first statement: an action that only reads memory (a
        lookup) never touches the database, and its commit is a no-op.
        """
        async with self.sessions() as session, session.begin():
            yield session
            if self.before_commit and (session.new or session.dirty or session.deleted):
                await session.flush()
            for hook in self.before_commit:
                await hook(session)
        self.notify(*session.info.pop(ANNOUNCED, ()))

    def notify(self, *facts: object) -> None:
        """Hand facts to the listeners now (`announce` does it after a commit)."""
        for fact in facts:
            for listener in self.listeners:
                listener(fact)

    async def migrate(self) -> None:
        """Bring the schema to the newest revision (Alembic loads only when it is behind).

        On PostgreSQL under an advisory lock held until the transaction ends: replicas that
        start together migrate one after another, and the later ones find nothing to do.
        """
        level = await self._current_level(code_heads())
        if level.at_head:
            return
        async with self.engine.begin() as connection:
            if not self.is_sqlite:
                await connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": locks.MIGRATIONS}
                )
            await connection.run_sync(_upgrade_to_head)

    async def _current_level(self, heads: frozenset[str]) -> SchemaLevel:
        """The revisions in Alembic's version table (none when it does not exist yet)."""
        try:
            async with self.engine.connect() as connection:
                rows = await connection.execute(text("SELECT version_num FROM alembic_version"))
                current = frozenset(row[0] for row in rows)
        except DBAPIError:
            current = frozenset()
        return SchemaLevel(current, heads)

    async def schema_level(self) -> SchemaLevel:
        """Compare the database's revisions with the code's heads (several heads are allowed)."""
        from alembic.runtime.migration import MigrationContext
        from alembic.script import ScriptDirectory

        async with self.engine.connect() as connection:
            current = await connection.run_sync(
                lambda sync: MigrationContext.configure(sync).get_current_heads()
            )
        heads = ScriptDirectory.from_config(alembic_config()).get_heads()
        return SchemaLevel(frozenset(current), frozenset(heads))

    async def dispose(self) -> None:
        await self.engine.dispose()


_REVISION = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


@cache
def code_heads() -> frozenset[str]:
    """The heads of the migrations in `bot/migrations/versions`, read without Alembic.

    Importing Alembic costs about a tenth of a second (it brings Mako); on an up-to-date
    database each start only needs the revision ids, which are plain assignments in the
    files. `tests/test_migrations_heads.py` checks this against Alembic's own answer.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        for name, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            parsed = ast.literal_eval(value.strip())
            if name == "revision":
                revisions.add(parsed)
            elif isinstance(parsed, str):
                parents.add(parsed)
            elif parsed is not None:
                parents.update(parsed)
    return frozenset(revisions - parents)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def _upgrade_to_head(connection: Connection) -> None:
    from alembic import command

    command.upgrade(alembic_config(connection), "heads")
