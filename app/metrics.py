"""Prometheus metrics: what this process did, and the outbox as the database holds it.

Counters live in memory, one registry per running bot (tests get their own). They hear of
events through the database's listeners (`bot.db.announce`: after the action's transaction
committed), so the core stays free of metrics and a lookup costs one list append more.
The outbox gauge is read from the database at each scrape, so every replica reports the same
queue.

No label ever holds a user id, a chat id, a query or message text: each label is one of a small,
fixed set of values (an outcome, a status, the name of an exception class).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from prometheus_client import CONTENT_TYPE_LATEST as CONTENT_TYPE
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from sqlalchemy.exc import SQLAlchemyError
from telegram import Update
from telegram.ext import Application, TypeHandler

from app.delivery import Delivered
from bot.db import Database
from bot.models import NotificationStatus, UsageEvent
from bot.services import outbox
from bot.services.guide_sessions import GuideStepShown
from bot.services.usage import Counted

log = logging.getLogger(__name__)

__all__ = ["CONTENT_TYPE", "Metrics"]

# Group of the handler that notes each update: before everything, even the privacy guard (-1).
SEEN_GROUP = -100
# Seconds from "written to the outbox" to "sent": a notice is due at once, so most take seconds;
# retries after a Telegram outage take minutes to hours.
LATENCY_BUCKETS = (1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 4 * 3600, 24 * 3600)

# Which counter and label each follow-up event feeds.
LOOKUP_OUTCOMES = {UsageEvent.LOOKUP_ANSWERED: "answered", UsageEvent.LOOKUP_NO_MATCH: "none"}
GUIDE_STAGES = {UsageEvent.GUIDE_STARTED: "started", UsageEvent.GUIDE_COMPLETED: "completed"}
DELIVERY_OUTCOMES = {
    UsageEvent.NOTIFICATION_DELIVERED: "sent",
    UsageEvent.NOTIFICATION_FAILED: "failed",
}


class Metrics:
    """The bot's metrics in their own registry; `install` wires them into an Application."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._define_traffic()
        self._define_work()
        self._define_delivery()
        self._last_update_monotonic: float | None = None
        # Every known series exists from the start, at 0, so rates work from the first scrape.
        for outcome in LOOKUP_OUTCOMES.values():
            self.lookups.labels(outcome)
        for stage in GUIDE_STAGES.values():
            self.guide.labels(stage)
        for outcome in DELIVERY_OUTCOMES.values():
            self.deliveries.labels(outcome)
        for status in NotificationStatus:
            self.outbox.labels(status.value)

    def _define_traffic(self) -> None:
        registry = self.registry
        self.updates = Counter(
            "kontaktlotsen_updates", "Telegram updates received", registry=registry
        )
        self.last_update = Gauge(
            "kontaktlotsen_last_update_timestamp_seconds",
            "When the last update arrived (Unix time; 0 before the first)",
            registry=registry,
        )
        self.errors = Counter(
            "kontaktlotsen_errors",
            "Errors by kind (exception class) and where (update or job)",
            ["kind", "where"],
            registry=registry,
        )
        self.database_up = Gauge(
            "kontaktlotsen_database_up",
            "1 when the database answered the last scrape, else 0",
            registry=registry,
        )

    def _define_work(self) -> None:
        registry = self.registry
        self.lookups = Counter(
            "kontaktlotsen_lookups", "Lookups by outcome", ["outcome"], registry=registry
        )
        self.guide = Counter(
            "kontaktlotsen_guide",
            "Concern-report guides started and completed",
            ["stage"],
            registry=registry,
        )
        self.guide_steps = Counter(
            "kontaktlotsen_guide_steps", "Concern-report guide steps shown", registry=registry
        )
        self.handovers = Counter(
            "kontaktlotsen_handovers", "Handovers recorded", registry=registry
        )

    def _define_delivery(self) -> None:
        registry = self.registry
        self.deliveries = Counter(
            "kontaktlotsen_notifications_delivered",
            "Notifications that left the outbox, by outcome",
            ["outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "kontaktlotsen_delivery_latency_seconds",
            "Seconds from a notification written to the outbox to it being sent",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.outbox = Gauge(
            "kontaktlotsen_notifications",
            "Notifications in the outbox by status (read from the database at each scrape)",
            ["status"],
            registry=registry,
        )

    def install(self, application: Application[Any, Any, Any, Any, Any, Any]) -> None:
        """Count updates and errors of `application`, and the events of its database."""
        services = application.bot_data.services
        services.database.listeners.append(self.hear)
        application.add_handler(TypeHandler(Update, self._saw_update), group=SEEN_GROUP)
        application.add_error_handler(self._count_error)

    def hear(self, fact: object) -> None:
        """A database listener: count what a committed transaction announced."""
        if isinstance(fact, Delivered):
            self.latency.observe(max(fact.latency_seconds, 0.0))
        elif isinstance(fact, Counted):
            self._count(fact.event, fact.by)
        elif isinstance(fact, GuideStepShown):
            self.guide_steps.inc()

    def _count(self, event: UsageEvent, by: int) -> None:
        if event in LOOKUP_OUTCOMES:
            self.lookups.labels(LOOKUP_OUTCOMES[event]).inc(by)
        elif event in GUIDE_STAGES:
            self.guide.labels(GUIDE_STAGES[event]).inc(by)
        elif event in DELIVERY_OUTCOMES:
            self.deliveries.labels(DELIVERY_OUTCOMES[event]).inc(by)
        elif event is UsageEvent.HANDOVER_RECORDED:
            self.handovers.inc(by)

    async def _saw_update(self, update: Update, context: object) -> None:
        self.updates.inc()
        self.last_update.set_to_current_time()
        self._last_update_monotonic = time.monotonic()

    async def _count_error(self, update: object, context: Any) -> None:
        where = "update" if update is not None else "job"
        self.errors.labels(type(context.error).__name__, where).inc()

    def last_update_age(self) -> float | None:
        """Seconds since the last update arrived; None before the first."""
        if self._last_update_monotonic is None:
            return None
        return time.monotonic() - self._last_update_monotonic

    async def exposition(self, database: Database) -> bytes:
        """The metrics in Prometheus' text format, with the outbox read fresh."""
        try:
            async with database.transaction() as session:
                counts = await outbox.counts_by_status(session)
        except (SQLAlchemyError, OSError) as error:
            log.warning("Metrics: the database did not answer (%s)", type(error).__name__)
            self.database_up.set(0)
        else:
            self.database_up.set(1)
            for status in NotificationStatus:
                self.outbox.labels(status.value).set(counts.get(status.value, 0))
        return generate_latest(self.registry)
