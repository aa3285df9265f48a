"""Revision counters that tell every running bot its in-memory copies are out of date.

Two counters, rows of the `directory_revision` table:

- `DIRECTORY` (row 1): the names a lookup matches – schools and areas. The lookup index is
  rebuilt when it moves (`DirectoryIndex`).
- `CONTACTS` (row 2): who the contact is – contacts, assignments, absences. The contact cards
  (`bot.services.contact_cards`) are rebuilt when either counter moves.

Nobody bumps them by hand: `watch(database)` marks a session when it flushes or executes a
write to one of the watched tables, and bumps the counter in the same transaction just before
it commits (`Database.before_commit`), so a change and its revision commit together or not at
all. After the commit, the same process is told at once (`Changed`, through the database's
listeners); other processes read the counters every `DIRECTORY_REFRESH_SECONDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from bot.clock import session_now
from bot.db import Database, TrackedSession, announce
from bot.models import (
    Absence,
    Area,
    Contact,
    ContactAssignment,
    DirectoryRevision,
    Neighbourhood,
    School,
)

DIRECTORY = 1
CONTACTS = 2
# Which counter a write to each table moves.
WATCHED: dict[type[Any], int] = {
    School: DIRECTORY,
    Area: DIRECTORY,
    Neighbourhood: DIRECTORY,
    Contact: CONTACTS,
    ContactAssignment: CONTACTS,
    Absence: CONTACTS,
}
CHANGED_KEY = "kontaktlotsen.revisions.changed"


@dataclass(frozen=True)
class Revisions:
    directory: int
    contacts: int


@dataclass(frozen=True)
class Changed:
    """Announced after a commit that moved counters: this process need not wait for a poll."""

    counters: frozenset[int]


async def current(session: AsyncSession) -> Revisions:
    """Both counters, in one query (0 for a counter never bumped)."""
    result = await session.execute(select(DirectoryRevision.id, DirectoryRevision.revision))
    rows = dict(result.tuples().all())
    return Revisions(rows.get(DIRECTORY, 0), rows.get(CONTACTS, 0))


async def bump(session: AsyncSession, counter: int) -> None:
    """Add one to a counter, atomically (`revision = revision + 1`: concurrent bumps add up)."""
    now = session_now(session)
    result: Any = await session.execute(
        update(DirectoryRevision)
        .where(DirectoryRevision.id == counter)
        .values(revision=DirectoryRevision.revision + 1, changed_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        session.add(DirectoryRevision(id=counter, revision=1, changed_at=now))
        await session.flush()


def _mark(session: Session, classes: Any) -> None:
    counters = {WATCHED[cls] for cls in classes if cls in WATCHED}
    if counters:
        session.info.setdefault(CHANGED_KEY, set()).update(counters)


def _before_flush(session: Session, _flush: UOWTransaction, _instances: object) -> None:
    changed = [type(obj) for obj in session.new | session.deleted]
    changed += [type(obj) for obj in session.dirty if session.is_modified(obj)]
    _mark(session, changed)


def _on_execute(state: ORMExecuteState) -> Any:
    """A bulk INSERT, UPDATE or DELETE: run it here, and mark the session if it changed rows
    (erasing a user pseudonymises absences they recorded; most erasures change none)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return None
    classes = [mapper.class_ for mapper in state.all_mappers]
    if not any(cls in WATCHED for cls in classes):
        return None
    result = state.invoke_statement()
    if getattr(result, "rowcount", -1) != 0:
        _mark(state.session, classes)
    return result


async def _bump_changed(session: AsyncSession) -> None:
    counters = session.info.pop(CHANGED_KEY, None)
    if not counters:
        return
    for counter in sorted(counters):
        await bump(session, counter)
    announce(session, Changed(frozenset(counters)))


def watch(database: Database) -> None:
    """Bump the counters in every transaction of `database` that writes a watched table."""
    if not event.contains(TrackedSession, "before_flush", _before_flush):
        event.listen(TrackedSession, "before_flush", _before_flush)
        event.listen(TrackedSession, "do_orm_execute", _on_execute)
    database.before_commit.append(_bump_changed)
