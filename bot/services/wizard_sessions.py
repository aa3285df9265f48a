"""Where a user is in an admin wizard, kept in the database (`wizard_sessions`).

Any replica may answer the next step of a wizard and a restart must resume it, so nothing about
a running wizard lives only in a process's memory: its state (the question it asked last) and
the answers so far are one row per user, chat and wizard. The row is read before each step and
written after it; it goes when the wizard ends, or, abandoned, when it expires
(`purge_expired`, run by the housekeeping job).

The answers are admin data: a scope, and a contact person's name, title, phone, e-mail, hours
and dates. The wizards never ask for anything about a child.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc, session_now
from bot.models import WizardSession
from bot.services.retention import affected_rows

# An admin who leaves a wizard for a day starts it again; the answers are not kept longer.
IDLE: Final = timedelta(hours=24)


@dataclass(frozen=True)
class StoredWizard:
    """A running wizard: the state it waits in and the answers so far."""

    state: int
    answers: dict[str, Any]


async def load_wizard(
    session: AsyncSession, user_id: int, chat_id: int, name: str
) -> StoredWizard | None:
    """The user's running wizard `name` in this chat; None when there is none (or it expired)."""
    row = await session.get(WizardSession, (user_id, chat_id, name))
    if row is None or as_utc(row.expires_at) <= session_now(session):
        return None
    return StoredWizard(row.state, dict(row.answers))


async def save_wizard(
    session: AsyncSession,
    user_id: int,
    chat_id: int,
    name: str,
    stored: StoredWizard,
) -> None:
    """Store (or replace) the wizard's state and answers; it expires `IDLE` from now."""
    row = await session.get(WizardSession, (user_id, chat_id, name))
    if row is None:
        row = WizardSession(user_id=user_id, chat_id=chat_id, name=name)
        session.add(row)
    row.state = stored.state
    row.answers = dict(stored.answers)
    row.expires_at = session_now(session) + IDLE
    await session.flush()


async def end_wizard(session: AsyncSession, user_id: int, chat_id: int, name: str) -> bool:
    """Forget the wizard; True if it was running."""
    result = await session.execute(
        delete(WizardSession).where(
            WizardSession.user_id == user_id,
            WizardSession.chat_id == chat_id,
            WizardSession.name == name,
        )
    )
    return affected_rows(result) > 0


async def running_wizards(session: AsyncSession, name: str) -> dict[tuple[int, int], int]:
    """The unexpired wizards `name`: {(chat id, user id): state}, restored at start-up."""
    rows = await session.scalars(
        select(WizardSession).where(
            WizardSession.name == name, WizardSession.expires_at > session_now(session)
        )
    )
    return {(row.chat_id, row.user_id): row.state for row in rows}


@dataclass(frozen=True)
class RunningWizard:
    user_id: int
    chat_id: int
    state: int
    answers: dict[str, Any]


async def all_wizards(session: AsyncSession, name: str) -> list[RunningWizard]:
    """Every unexpired wizard `name` with its answers (an instance's copy at start or takeover)."""
    rows = await session.scalars(
        select(WizardSession).where(
            WizardSession.name == name, WizardSession.expires_at > session_now(session)
        )
    )
    return [RunningWizard(r.user_id, r.chat_id, r.state, dict(r.answers)) for r in rows]


async def purge_expired_wizards(session: AsyncSession, now: datetime) -> int:
    """Delete abandoned wizards; how many."""
    result = await session.execute(delete(WizardSession).where(WizardSession.expires_at <= now))
    return affected_rows(result)
