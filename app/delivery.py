"""Deliver the outbox: a JobQueue job that sends due notifications at Telegram's pace.

Pacing (`Pacer`): at most 30 messages in any one-second window overall, and at most one per
second to the same chat. It is a sliding-window log, not a leaky bucket: aiolimiter's
`AsyncLimiter(30, 1)` (what PTB's AIORateLimiter uses) lets a full bucket burst and then
refills, so it allows up to 59 messages inside one second, which Telegram may answer with 429.

Outcomes per message:
* sent → marked sent at once (its own short transaction), so a crash resends at most the
  messages in flight;
* 429 RetryAfter → every sender pauses as long as Telegram says, then the same message is
  tried again (not counted as a failed attempt);
* 403 Forbidden (the user blocked the bot) → failed, the user's follows become inactive and
  their other pending messages are cancelled; `/start` reactivates the follows. Messages to
  that chat already claimed in the same run are skipped, not sent (they are cancelled);
* 400 BadRequest (e.g. chat not found) → failed at once, the error kept for admins;
* timeouts and other network errors → retried with exponential backoff, failed after
  `MAX_ATTEMPTS` with the last error kept.

The job runs every few seconds and once at start-up (rows left pending by a crash). One run at
a time: a lock guards it, and claimed rows are leased to this process (`bot.services.outbox`):
the lease is short (`LEASE`) and renewed while the worker works (`RENEW_EVERY`) and while it
waits for Telegram (RetryAfter), so no other replica takes a live worker's rows. At its first
run a worker frees the rows of dead processes on its host at once (a restart after a crash);
those of another host's dead process are free when their lease expires. A crash therefore
resends at most the messages in flight (`CONCURRENCY`) and delays the rest by a restart, or
by `LEASE` on another replica. `python -m bench.outbox_crash` measures it with kill -9.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Bot
from telegram.constants import ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from app.leadership import Leadership, on_takeover
from bot.clock import SYSTEM_CLOCK, Clock, as_utc
from bot.db import Database, announce
from bot.i18n import pick_language, translator
from bot.models import UsageEvent
from bot.services import follows, outbox, usage
from bot.services.outbox import STALE_REMINDER, LeaseOwner, OutboxItem, dead_owners
from handlers.notices import render_notification

if TYPE_CHECKING:
    from handlers.common import BotContext

log = logging.getLogger(__name__)

OVERALL_PER_SECOND = 30
PER_CHAT_INTERVAL = 1.0
DELIVERY_INTERVAL_SECONDS = 5.0
BATCH_SIZE = 200
CONCURRENCY = 8
LEASE = timedelta(seconds=60)
RENEW_EVERY = timedelta(seconds=15)
MAX_ATTEMPTS = 5
BACKOFF_FIRST = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
MAX_RETRY_AFTER_WAITS = 3


class Pacer:
    """At most `overall` sends in any `window` seconds, and one per chat per `per_chat`."""

    def __init__(
        self,
        clock: Clock,
        *,
        overall: int = OVERALL_PER_SECOND,
        window: float = 1.0,
        per_chat: float = PER_CHAT_INTERVAL,
    ) -> None:
        self.clock = clock
        self.overall = overall
        self.window = window
        self.per_chat = per_chat
        self._recent: deque[float] = deque(maxlen=overall)
        self._last_by_chat: dict[int, float] = {}
        self._paused_until = 0.0
        # Waiting happens while holding the lock, so turns are handed out in order and only
        # one task sleeps on the clock at a time.
        self._lock = asyncio.Lock()

    def pause(self, seconds: float) -> None:
        """Telegram said "retry after": nobody sends until then."""
        self._paused_until = max(self._paused_until, self.clock.monotonic() + seconds)

    def _wait(self, chat_id: int, now: float) -> float:
        wait = self._paused_until - now
        if len(self._recent) == self.overall:
            wait = max(wait, self._recent[0] + self.window - now)
        last = self._last_by_chat.get(chat_id)
        if last is not None:
            wait = max(wait, last + self.per_chat - now)
        return wait

    async def acquire(self, chat_id: int) -> None:
        """Wait for a turn to send to `chat_id`, then take it."""
        async with self._lock:
            while (wait := self._wait(chat_id, self.clock.monotonic())) > 0:
                await self.clock.sleep(wait)
            now = self.clock.monotonic()
            self._recent.append(now)
            self._last_by_chat[chat_id] = now
            if len(self._last_by_chat) > 10 * self.overall:
                self._forget_old(now)

    def _forget_old(self, now: float) -> None:
        for chat_id, last in list(self._last_by_chat.items()):
            if now - last >= self.per_chat:
                del self._last_by_chat[chat_id]


@dataclass(frozen=True)
class Delivered:
    """Announced when a notification was sent: seconds from written to sent."""

    latency_seconds: float


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    blocked: int = 0


def backoff(attempts: int) -> timedelta:
    """30 s, 1 min, 2 min, … capped at an hour, for the n-th failed attempt."""
    delay: timedelta = BACKOFF_FIRST * 2 ** max(attempts - 1, 0)
    return min(delay, BACKOFF_MAX)


def this_process() -> LeaseOwner:
    """The lease owner for this process: host, pid and a token new at every start."""
    return LeaseOwner(socket.gethostname()[:40] or "host", os.getpid(), secrets.token_hex(4))


def pid_alive(pid: int) -> bool:
    """Whether a process with `pid` runs on this host (signal 0 only checks)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    return True


def retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class OutboxWorker:
    """Claims due notifications and sends them through the bot, paced."""

    def __init__(
        self,
        database: Database,
        default_language: str,
        *,
        timezone: str = "Europe/Stockholm",
        clock: Clock | None = None,
        batch_size: int = BATCH_SIZE,
        concurrency: int = CONCURRENCY,
        owner: LeaseOwner | None = None,
        is_alive: Callable[[int], bool] = pid_alive,
        leadership: Leadership | None = None,
    ) -> None:
        self.database = database
        self.leadership = leadership or Leadership()
        self._reclaimed_term = 0
        self.owner = owner or this_process()
        self.is_alive = is_alive
        self._reclaimed = False
        self._renewed_at: datetime | None = None
        self.default_language = default_language
        self.timezone = ZoneInfo(timezone)
        self.batch_size = batch_size
        self.concurrency = concurrency
        self.use_clock(clock or SYSTEM_CLOCK)
        self._running = asyncio.Lock()

    def use_clock(self, clock: Clock) -> None:
        """Replace the clock (and with it the pacer): the benchmark and tests use virtual time."""
        self.clock = clock
        self.pacer = Pacer(clock)

    async def run(self, bot: Bot) -> DeliveryReport:
        """Deliver everything that is due now; a run already in progress makes this a no-op."""
        report = DeliveryReport()
        if self._running.locked():
            return report
        # Chats that answered 403 during this run: their other claimed messages are cancelled
        # in the database, but already sit in this run's queue and must not be sent.
        blocked: set[int] = set()
        async with self._running:
            if not self._reclaimed or self._reclaimed_term != self.leadership.term:
                await self._reclaim_dead()
            while self.leadership.is_leader:
                now = self.clock.now()
                async with self.database.transaction() as session:
                    items = await outbox.claim_due(
                        session, now, limit=self.batch_size, lease=LEASE, owner=self.label
                    )
                self._renewed_at = now
                if not items:
                    return report
                await self._send_all(bot, items, report, blocked)
            return report

    async def _send_all(
        self, bot: Bot, items: list[OutboxItem], report: DeliveryReport, blocked: set[int]
    ) -> None:
        queue: asyncio.Queue[OutboxItem] = asyncio.Queue()
        for item in items:
            queue.put_nowait(item)

        async def sender() -> None:
            # An instance that stops leading sends no more: the new leader takes the rows.
            while not queue.empty() and self.leadership.is_leader:
                await self._deliver(bot, queue.get_nowait(), report, blocked)
                await self._renew_if_due()

        await asyncio.gather(*(sender() for _ in range(min(self.concurrency, len(items)))))

    async def _deliver(  # noqa: C901 - known debt, split in issue 8
        self, bot: Bot, item: OutboxItem, report: DeliveryReport, blocked: set[int]
    ) -> None:
        if item.chat_id in blocked:
            return
        language = pick_language(item.language, None, self.default_language)
        try:
            text = render_notification(item.kind, item.payload, translator(language))
        except (KeyError, TypeError, ValueError) as error:
            log.exception("Notification %d cannot be rendered", item.id)
            if await self._mark_failed(item, f"render: {error!r}"):
                report.failed += 1
            return
        for _ in range(MAX_RETRY_AFTER_WAITS + 1):
            await self.pacer.acquire(item.chat_id)
            # Checked again after the wait: one second per chat is long enough for an earlier
            # message to the same chat to come back with 403.
            if item.chat_id in blocked:
                return
            try:
                await bot.send_message(item.chat_id, text, parse_mode=ParseMode.HTML)
            except RetryAfter as error:
                seconds = retry_seconds(error)
                log.warning("Telegram asks to wait %.0f s (notification %d)", seconds, item.id)
                self.pacer.pause(seconds)
                await self._extend_leases(timedelta(seconds=seconds))
                continue
            except Forbidden as error:
                blocked.add(item.chat_id)  # before the await, so other senders see it at once
                if await self._blocked(item, str(error)):
                    report.blocked += 1
            except BadRequest as error:
                if await self._mark_failed(item, f"BadRequest: {error}"):
                    report.failed += 1
            except TelegramError as error:  # timeouts and other network errors
                log.warning("Notification %d not delivered: %s", item.id, type(error).__name__)
                await self._failed_attempt(item, f"{type(error).__name__}: {error}", report)
            else:
                if await self._mark_sent(item):
                    report.sent += 1
            return
        async with self.database.transaction() as session:
            await outbox.retry_later(
                session,
                item.id,
                self.clock.now() + timedelta(minutes=1),
                "RetryAfter",
                owner=self.label,
                count=False,
            )
        report.retried += 1

    @property
    def label(self) -> str:
        return self.owner.label

    async def _reclaim_dead(self) -> None:
        """Free the rows leased to dead processes on this host (a restart after a crash).

        Among elected instances (`app.leadership`) only the leader delivers, so a new leader
        frees every other owner's rows at once: that owner died or lost the lock, and stopped.
        """
        async with self.database.transaction() as session:
            owners = await outbox.lease_owners(session, self.clock.now())
            if self.leadership.elected:
                dead = [owner for owner in owners if owner != self.label]
            else:
                dead = dead_owners(owners, self.owner, self.is_alive)
            freed = await outbox.release_leases(session, dead)
        if freed:
            log.info("Outbox: took over %d notifications left by a stopped process", freed)
        self._reclaimed = True
        self._reclaimed_term = self.leadership.term

    async def _renew_if_due(self) -> None:
        now = self.clock.now()
        if self._renewed_at is None or now - self._renewed_at >= RENEW_EVERY:
            await self._extend_leases(timedelta(0))

    async def _extend_leases(self, wait: timedelta) -> None:
        """Keep this worker's leases for `wait` (Telegram's RetryAfter) plus a full lease."""
        now = self.clock.now()
        async with self.database.transaction() as session:
            await outbox.renew_leases(session, self.label, now + wait + LEASE)
        self._renewed_at = now

    async def _failed_attempt(self, item: OutboxItem, error: str, report: DeliveryReport) -> None:
        attempts = item.attempts + 1
        if attempts >= MAX_ATTEMPTS:
            if await self._mark_failed(item, error):
                report.failed += 1
            return
        async with self.database.transaction() as session:
            at = self.clock.now() + backoff(attempts)
            await outbox.retry_later(session, item.id, at, error, owner=self.label)
        report.retried += 1

    async def _blocked(self, item: OutboxItem, error: str) -> bool:
        """Fail the message, pause the user's follows, cancel the rest; False if it was no
        longer ours (another message to the chat got there first and cancelled it)."""
        async with self.database.transaction() as session:
            failed = (
                await outbox.mark_failed(session, item.id, f"Forbidden: {error}", owner=self.label)
                == 1
            )
            if failed:
                await self._count(session, item, UsageEvent.NOTIFICATION_FAILED)
            await follows.deactivate_for_chat(session, item.chat_id)
            await outbox.cancel_pending_for_chat(
                session, item.chat_id, "recipient blocked the bot"
            )
        return failed

    async def _count(self, session: AsyncSession, item: OutboxItem, event: UsageEvent) -> None:
        """Count the outcome for the follow-up figures, on the Stockholm day, in the same
        transaction as the status change so a figure never disagrees with the outbox."""
        day = self.clock.now().astimezone(self.timezone).date()
        await usage.count(session, day, event, item.area_id)

    # Each outcome is counted only when the status change hit the row (still pending, so still
    # ours): a row cancelled meanwhile must not add to the figures a second time.

    async def _mark_sent(self, item: OutboxItem) -> bool:
        async with self.database.transaction() as session:
            now = self.clock.now()
            if await outbox.mark_sent(session, item.id, now, owner=self.label) != 1:
                return False
            if item.created_at is not None:  # the delivery latency, for the live metrics
                announce(session, Delivered((now - as_utc(item.created_at)).total_seconds()))
            await self._count(session, item, UsageEvent.NOTIFICATION_DELIVERED)
            if item.kind == STALE_REMINDER:
                await self._count(session, item, UsageEvent.STALE_REMINDER_SENT)
        return True

    async def _mark_failed(self, item: OutboxItem, error: str) -> bool:
        async with self.database.transaction() as session:
            if await outbox.mark_failed(session, item.id, error, owner=self.label) != 1:
                return False
            await self._count(session, item, UsageEvent.NOTIFICATION_FAILED)
        return True


def outbox_worker(job_data: object) -> OutboxWorker:
    assert isinstance(job_data, OutboxWorker)
    return job_data


@on_takeover  # the old leader's rows at once, not at the next interval
async def deliver_outbox(context: BotContext) -> None:
    """JobQueue callback: deliver what is due."""
    assert context.job is not None
    report = await outbox_worker(context.job.data).run(context.bot)
    if report.sent or report.failed or report.blocked:
        log.info(
            "Outbox: %d sent, %d retried, %d failed, %d blocked",
            report.sent,
            report.retried,
            report.failed,
            report.blocked,
        )
