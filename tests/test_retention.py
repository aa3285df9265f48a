"""Clean-up: abandoned guides are forgotten; a guide in use is kept."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import utcnow
from bot.models import GuideSession
from bot.runtime import Services
from bot.services import retention


async def test_an_abandoned_guide_is_purged_and_a_recent_one_kept(services: Services) -> None:
    now = utcnow()
    async with services.database.transaction() as session:
        session.add(GuideSession(user_id=1, chat_id=1, position={"v": 1, "path": ["acute"]}))
        session.add(GuideSession(user_id=2, chat_id=2, position={"v": 1, "path": ["acute"]}))
    async with services.database.transaction() as session:
        old = await session.get(GuideSession, 1)
        assert old is not None
        old.updated_at = now - timedelta(hours=30)
    async with services.database.transaction() as session:
        purged = await retention.purge(
            session, now, outbox_days=0, audit_days=0, guide_idle_hours=24
        )
    assert purged.guide_sessions == 1
    async with services.database.transaction() as session:
        left = list(await session.scalars(select(GuideSession.user_id)))
    assert left == [2]


async def test_zero_keeps_guides(services: Services) -> None:
    async with services.database.transaction() as session:
        session.add(GuideSession(user_id=3, chat_id=3, position={"v": 1, "path": ["acute"]}))
    async with services.database.transaction() as session:
        purged = await retention.purge(
            session,
            utcnow() + timedelta(days=400),
            outbox_days=0,
            audit_days=0,
            guide_idle_hours=0,
        )
    assert purged.guide_sessions == 0
    async with services.database.transaction() as session:
        left = list(await session.scalars(select(GuideSession.user_id)))
    assert left == [3]  # untouched for 400 days, and still there
