"""Delivery outcomes reach the follow-up figures: per area and day, never per person."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from bot.clock import utcnow
from bot.config import Settings
from bot.models import UsageEvent
from bot.services import outbox, usage
from tests.admin_support import FOLLOWER, SECOND_FOLLOWER, admin_app, deliver, notifications
from tests.fakes import RecordingBotApi, blocked_by_user
from tests.test_outbox import record_with_followers, to_chat


async def totals(app: Any, event: UsageEvent) -> int:
    services = app.bot_data.services
    today = services.today()
    async with services.database.transaction() as session:
        return await usage.total(
            session, event, today - timedelta(days=1), today + timedelta(days=1)
        )


async def test_delivered_and_failed_notifications_are_counted_for_the_area(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await record_with_followers(app, api, FOLLOWER, SECOND_FOLLOWER)
        api.failure = lambda call: blocked_by_user() if to_chat(FOLLOWER)(call) else None
        report = await deliver(app)
        assert (report.sent, report.blocked) == (1, 1)
        assert await totals(app, UsageEvent.NOTIFICATION_DELIVERED) == 1
        assert await totals(app, UsageEvent.NOTIFICATION_FAILED) == 1
        services = app.bot_data.services
        async with services.database.transaction() as session:
            rows = await usage.rows(session, date(2000, 1, 1), date(2100, 1, 1))
        delivered = [r for r in rows if r.event == UsageEvent.NOTIFICATION_DELIVERED.value]
        assert [r.area_id for r in delivered] == ["kungsholmen"]
        # Delivering again sends nothing new and counts nothing new.
        await deliver(app)
        assert await totals(app, UsageEvent.NOTIFICATION_DELIVERED) == 1


async def test_a_chat_that_blocked_the_bot_is_sent_one_message_and_counted_once(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await record_with_followers(app, api, FOLLOWER)
        payload = {"scope": {"area_name": "Kungsholmen"}, "new_name": "Sara Ek", "old_name": None}
        async with app.bot_data.services.database.transaction() as session:
            # A second notice to the same chat, due at once: both are claimed in one batch.
            await outbox.enqueue(
                session,
                kind="handover_day",
                payload=payload,
                recipients=[FOLLOWER],
                dedupe_prefix="extra",
                now=utcnow(),
            )
        api.failure = lambda call: blocked_by_user() if to_chat(FOLLOWER)(call) else None
        before = len(api.calls)
        report = await deliver(app)
        assert (report.sent, report.blocked, report.failed) == (0, 1, 0)
        tried = [c for c in api.calls[before:] if to_chat(FOLLOWER)(c)]
        assert len(tried) == 1  # the second message is not sent to a chat that blocked the bot
        assert sorted(n.status for n in await notifications(app)) == ["cancelled", "failed"]
        assert await totals(app, UsageEvent.NOTIFICATION_FAILED) == 1
        assert await totals(app, UsageEvent.NOTIFICATION_DELIVERED) == 0
