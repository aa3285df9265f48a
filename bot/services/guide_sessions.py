"""Keep a user's place in the concern-report guide in the database, one row per user.

The row holds the path of step ids (`dump_position`) and the id of the message that carries
the current step's buttons: enough to resume after a restart, nothing about the child. The
handler writes it in the same transaction as the step it shows, so what is stored is always
the step the user last saw.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import announce
from bot.models import GuideSession
from bot.services.guide import GuidePosition, dump_position, is_finished, load_position
from knowledge.guide import Guide


@dataclass(frozen=True)
class StoredGuide:
    """A user's stored place; `position` is None when the guide changed since it was stored."""

    user_id: int
    chat_id: int
    position: GuidePosition | None
    message_id: int | None


def _view(guide: Guide, row: GuideSession) -> StoredGuide:
    return StoredGuide(
        row.user_id, row.chat_id, load_position(guide, row.position), row.message_id
    )


async def load_guide_session(
    session: AsyncSession, guide: Guide, user_id: int
) -> StoredGuide | None:
    """The user's place, locked for this transaction (PostgreSQL) so two presses queue up."""
    row = await session.scalar(
        select(GuideSession).where(GuideSession.user_id == user_id).with_for_update()
    )
    return _view(guide, row) if row is not None else None


@dataclass(frozen=True)
class GuideStepShown:
    """Announced after commit each time the guide shows a step (the live metrics count it)."""


async def save_guide_session(
    session: AsyncSession,
    *,
    user_id: int,
    chat_id: int,
    position: GuidePosition,
    message_id: int | None,
) -> None:
    """Store (or replace) the user's place and the message that shows it."""
    row = await session.get(GuideSession, user_id)
    if row is None:
        row = GuideSession(user_id=user_id)
        session.add(row)
    row.chat_id = chat_id
    row.position = dump_position(position)
    row.message_id = message_id
    await session.flush()
    announce(session, GuideStepShown())


async def delete_guide_session(session: AsyncSession, user_id: int) -> bool:
    """Forget the user's place; True if there was one."""
    row = await session.get(GuideSession, user_id)
    if row is None:
        return False
    await session.delete(row)
    await session.flush()
    return True


async def unfinished_guide_sessions(session: AsyncSession, guide: Guide) -> list[StoredGuide]:
    """Every stored place that still fits the guide and has not reached its end."""
    rows = await session.scalars(select(GuideSession).order_by(GuideSession.user_id))
    views = [_view(guide, row) for row in rows]
    return [
        view
        for view in views
        if view.position is not None and not is_finished(guide, view.position)
    ]
