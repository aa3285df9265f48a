"""The live metrics: what they count, when, and that nothing counts a rolled-back action."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from telegram import Update
from telegram.ext import MessageHandler, filters

from app.metrics import Metrics
from bot.config import Settings
from bot.db import Database, announce
from bot.models import UsageEvent
from bot.services.usage import Counted
from tests.admin_support import FOLLOWER, admin_app, deliver
from tests.fakes import ChatDriver, RecordingBotApi
from tests.test_outbox import record_with_followers


def value(metrics: Metrics, name: str, labels: dict[str, str] | None = None) -> float:
    sample = metrics.registry.get_sample_value(name, labels or {})
    assert sample is not None, name
    return sample


async def test_a_handover_and_its_delivery_move_the_metrics(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        metrics = Metrics()
        metrics.install(app)
        await record_with_followers(app, api, FOLLOWER)
        assert value(metrics, "kontaktlotsen_handovers_total") == 1
        await metrics.exposition(app.bot_data.services.database)
        pending = value(metrics, "kontaktlotsen_notifications", {"status": "pending"})
        report = await deliver(app)
        await metrics.exposition(app.bot_data.services.database)
    assert report.sent == pending >= 1
    assert value(metrics, "kontaktlotsen_notifications", {"status": "pending"}) == 0
    assert value(metrics, "kontaktlotsen_notifications", {"status": "sent"}) == report.sent
    sent = {"outcome": "sent"}
    assert value(metrics, "kontaktlotsen_notifications_delivered_total", sent) == report.sent
    assert value(metrics, "kontaktlotsen_delivery_latency_seconds_count") == report.sent


async def test_each_guide_step_shown_moves_the_step_counter(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        metrics = Metrics()
        metrics.install(app)
        chat = ChatDriver(app, api)
        await chat.send("/anmalan")
        first = value(metrics, "kontaktlotsen_guide_steps_total")
        await chat.press("Nej, inte akut")
        second = value(metrics, "kontaktlotsen_guide_steps_total")
    assert first >= 1
    assert second == first + 1
    assert value(metrics, "kontaktlotsen_guide_total", {"stage": "started"}) == 1


async def test_errors_are_counted_by_kind_without_the_update(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        metrics = Metrics()
        metrics.install(app)

        async def fail(update: Update, context: Any) -> None:
            raise LookupError("boom")

        app.add_handler(MessageHandler(filters.Regex("^explode$"), fail), group=-50)
        await ChatDriver(app, api).send("explode")
    labels = {"kind": "LookupError", "where": "update"}
    assert value(metrics, "kontaktlotsen_errors_total", labels) == 1
    assert value(metrics, "kontaktlotsen_updates_total") == 1


async def test_a_rolled_back_action_announces_nothing(tmp_path: Any) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'x.sqlite3'}")
    heard: list[object] = []
    database.listeners.append(heard.append)
    with pytest.raises(RuntimeError):
        async with database.transaction() as session:
            announce(session, Counted(UsageEvent.LOOKUP_ANSWERED))
            raise RuntimeError("the action failed")
    async with database.transaction() as session:
        announce(session, Counted(UsageEvent.LOOKUP_NO_MATCH))
    await database.dispose()
    assert heard == [Counted(UsageEvent.LOOKUP_NO_MATCH)]
