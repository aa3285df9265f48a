"""The outbox and its delivery: 403/429/timeouts, pacing, crash safety, races and duplicates."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import insert, select
from telegram.error import TimedOut

from app.application import build_application
from app.delivery import LEASE, MAX_ATTEMPTS, Pacer, backoff
from app.transport import ApiCall
from bot.clock import utcnow
from bot.config import Settings
from bot.models import Follow, Handover, Notification, School, User
from bot.runtime import Services
from bot.services import outbox
from bot.services.authz import Actor
from bot.services.errors import ContactChangedMeanwhile
from bot.services.handovers import HandoverRequest, Person, record_handover, snapshot
from tests.admin_support import (
    ADMIN,
    CITY_ADMIN,
    FOLLOWER,
    SECOND_FOLLOWER,
    admin_app,
    count,
    deliver,
    grant,
    notices_to,
    notifications,
    sent,
    walk_handover,
)
from tests.fakes import ChatDriver, RecordingBotApi, blocked_by_user, retry_after
from tests.support.clocks import VirtualClock


def to_chat(chat_id: int) -> Callable[[ApiCall], bool]:
    def matches(call: ApiCall) -> bool:
        return call.method == "sendMessage" and int(call.params["chat_id"]) == chat_id

    return matches


async def record_with_followers(app: Any, api: RecordingBotApi, *followers: int) -> None:
    for user_id in followers:
        await ChatDriver(app, api, user_id=user_id).send("/folj Kungsholmen")
    admin = ChatDriver(app, api, user_id=CITY_ADMIN)
    await walk_handover(admin)
    assert "Klart!" in sent(await admin.press("✅ Bekräfta"))


async def test_blocked_user_is_paused_and_start_resumes(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await record_with_followers(app, api, FOLLOWER, SECOND_FOLLOWER)
        api.failure = lambda call: blocked_by_user() if to_chat(FOLLOWER)(call) else None
        report = await deliver(app)
        assert (report.sent, report.blocked) == (1, 1)
        failed = next(n for n in await notifications(app) if n.chat_id == FOLLOWER)
        assert failed.status == "failed" and "blocked" in (failed.last_error or "")
        assert await count(app, Follow, Follow.user_id == FOLLOWER, Follow.active) == 0

        api.failure = None
        follower = ChatDriver(app, api, user_id=FOLLOWER)
        assert "pausad" in sent(await follower.send("/foljer"))
        await follower.send("/start")
        assert await count(app, Follow, Follow.user_id == FOLLOWER, Follow.active) == 1
        assert "pausad" not in sent(await follower.send("/foljer"))


async def test_retry_after_waits_as_told_then_delivers_once(
    make_settings: Callable[..., Settings], api: RecordingBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PTB 22.8 warns about RetryAfter's int type even while building the error; this opts in
    # to the timedelta type it announces (the delivery reads either).
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    async with admin_app(make_settings, api) as app:
        await record_with_followers(app, api, FOLLOWER)
        answers = iter([retry_after(7)])
        api.failure = lambda call: next(answers, None) if to_chat(FOLLOWER)(call) else None
        clock = VirtualClock()
        report = await deliver(app, clock)
        assert report.sent == 1
        assert clock.monotonic() >= 7  # the pacer paused as long as Telegram said
        assert len(notices_to(api, FOLLOWER)) == 1
        (row,) = await notifications(app)
        assert row.status == "sent" and row.attempts == 1  # a 429 is not a failed attempt


async def test_network_errors_back_off_and_end_failed_visible_to_admins(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        await record_with_followers(app, api, FOLLOWER, SECOND_FOLLOWER)
        bad_gateway = (502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
        api.failure = lambda call: bad_gateway if to_chat(FOLLOWER)(call) else None
        clock = VirtualClock()
        report = await deliver(app, clock)
        assert (report.sent, report.retried) == (1, 1)
        row = next(n for n in await notifications(app) if n.chat_id == FOLLOWER)
        assert (row.status, row.attempts) == ("pending", 1)
        assert "Bad Gateway" in str(row.last_error)
        assert (await deliver(app, clock)).retried == 0  # not due before the backoff
        for attempt in range(1, MAX_ATTEMPTS):
            clock.advance(backoff(attempt) + timedelta(seconds=1))
            await deliver(app, clock)
        row = next(n for n in await notifications(app) if n.chat_id == FOLLOWER)
        assert row.status == "failed" and row.attempts == MAX_ATTEMPTS

        admin = ChatDriver(app, api, user_id=ADMIN)
        deliveries = sent(await admin.send("/leveranser"))
        assert "Bad Gateway" in deliveries and f"…{str(FOLLOWER)[-4:]}" in deliveries
        assert "1 skickade, 0 väntar, 1 misslyckades" in sent(
            await admin.send("/historik Kungsholmen")
        )
        teacher = ChatDriver(app, api, user_id=SECOND_FOLLOWER)
        assert "misslyckades" not in sent(await teacher.send("/historik Kungsholmen"))
        assert "bara administratörer" in sent(await teacher.send("/leveranser"))


class FlakyApi(RecordingBotApi):
    """Once armed, times out on the first message to each chat, like a network hiccup."""

    def __init__(self) -> None:
        super().__init__()
        self.armed = False
        self.timed_out: set[int] = set()

    async def before_call(self, call: ApiCall) -> None:
        if self.armed and call.method == "sendMessage":
            chat_id = int(call.params["chat_id"])
            if chat_id not in self.timed_out:
                self.timed_out.add(chat_id)
                raise TimedOut("simulated")


async def test_a_timeout_is_retried_after_a_backoff(
    make_settings: Callable[..., Settings],
) -> None:
    api = FlakyApi()
    async with admin_app(make_settings, api) as app:
        await record_with_followers(app, api, FOLLOWER)
        api.armed = True
        clock = VirtualClock()
        assert (await deliver(app, clock)).retried == 1
        clock.advance(backoff(1) + timedelta(seconds=1))
        assert (await deliver(app, clock)).sent == 1
        assert len(notices_to(api, FOLLOWER)) == 1


class TimedApi(RecordingBotApi):
    """Records the pacer's (virtual) time of every message sent."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self.sent_at: list[tuple[float, int]] = []

    def on_call(self, call: ApiCall) -> None:
        if call.method == "sendMessage":
            self.sent_at.append((self.clock.monotonic(), int(call.params["chat_id"])))


async def test_delivery_keeps_telegrams_pace(make_settings: Callable[..., Settings]) -> None:
    clock = VirtualClock()
    api = TimedApi(clock)
    async with admin_app(make_settings, api) as app:
        services = app.bot_data.services
        followers = list(range(10_000, 10_100))
        async with services.database.transaction() as session:
            await session.execute(insert(User), [{"id": u} for u in followers])
            await session.execute(
                insert(Follow),
                [
                    {"user_id": u, "target": "a:kungsholmen", "area_id": "kungsholmen"}
                    for u in followers
                ],
            )
        await record_with_followers(app, api)
        payload = {"scope": {"area_name": "Kungsholmen"}, "new_name": "Sara Ek", "old_name": None}
        async with services.database.transaction() as session:
            for prefix in ("extra-1", "extra-2"):  # three messages due at once for one chat
                await outbox.enqueue(
                    session,
                    kind="handover_day",
                    payload=payload,
                    recipients=[10_000],
                    dedupe_prefix=prefix,
                    now=utcnow(),
                )
        api.sent_at.clear()
        clock.start = utcnow()
        report = await deliver(app, clock)
        assert report.sent == 102
        times = sorted(t for t, _ in api.sent_at)
        assert len(times) == 102
        # No more than 30 messages in any one-second window …
        assert all(b - a >= 1.0 - 1e-9 for a, b in zip(times, times[30:], strict=False))
        assert times[-1] >= 3.0  # … so 102 messages take over three seconds
        # … and one per second to the same chat.
        to_one = [t for t, chat in sorted(api.sent_at) if chat == 10_000]
        assert len(to_one) == 3
        assert all(b - a >= 1.0 - 1e-9 for a, b in itertools.pairwise(to_one))


async def test_pacer_allows_one_message_per_second_per_chat() -> None:
    clock = VirtualClock()
    pacer = Pacer(clock)
    stamps = []
    for chat_id in [1, 1, 2, 1, 3]:
        await pacer.acquire(chat_id)
        stamps.append((chat_id, clock.monotonic()))
    ones = [t for c, t in stamps if c == 1]
    assert ones[1] - ones[0] >= 1.0 and ones[2] - ones[1] >= 1.0
    assert dict((c, t) for c, t in stamps if c != 1) == {2: 1.0, 3: 2.0}  # no extra waiting


async def test_pending_rows_survive_a_crash_and_a_new_app_delivers_them_once(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    settings = make_settings(city_admin_ids=(CITY_ADMIN,))
    first = build_application(settings, request=api, rate_limit=False)
    async with first:
        await record_with_followers(first, api, FOLLOWER, SECOND_FOLLOWER)
        # The worker claims the rows and dies before sending (its lease keeps them pending).
        async with first.bot_data.services.database.transaction() as session:
            claimed = await outbox.claim_due(session, VirtualClock().now(), limit=1, lease=LEASE)
        assert len(claimed) == 1
    assert notices_to(api, FOLLOWER) == notices_to(api, SECOND_FOLLOWER) == []

    second = build_application(settings, request=api, rate_limit=False)
    async with second:
        clock = VirtualClock()
        assert (await deliver(second, clock)).sent == 1  # the unclaimed one at once
        clock.advance(LEASE)
        assert (await deliver(second, clock)).sent == 1  # the claimed one after its lease
        clock.advance(LEASE)
        assert (await deliver(second, clock)).sent == 0
    assert len(notices_to(api, FOLLOWER)) == len(notices_to(api, SECOND_FOLLOWER)) == 1


async def test_start_up_runs_the_delivery_job_at_once(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await record_with_followers(app, api, FOLLOWER)
        await app.start()  # starts the JobQueue; `first=0` runs the delivery job right away
        try:
            for _ in range(200):
                if notices_to(api, FOLLOWER):
                    break
                await asyncio.sleep(0.01)
        finally:
            await app.stop()
        assert len(notices_to(api, FOLLOWER)) == 1


def _request(
    services: Services, expected: int | None, name: str, key: str, scope: str = "a:kungsholmen"
) -> HandoverRequest:
    return HandoverRequest(
        scope_key=scope,
        expected_assignment_id=expected,
        person=Person(name=name, phone="08-465 004 20"),
        effective_on=services.today(),
        note=None,
        idempotency_key=key,
    )


async def _race(
    services: Services, scope_key: str, names: tuple[str, str] = ("Sara Ek", "Olle Holm")
) -> list[object]:
    actor = Actor.cli()
    async with services.database.transaction() as session:
        shown = await snapshot(session, actor, scope_key, services.today(), services.contacts)

    async def confirm(name: str) -> object:
        request = _request(
            services, shown.open_assignment_id, name, f"race:{scope_key}:{name}", scope_key
        )
        try:
            async with services.database.transaction() as session:
                return await record_handover(
                    session, actor, request, today=services.today(), directory=services.contacts
                )
        except ContactChangedMeanwhile as error:
            return error

    return list(await asyncio.gather(*(confirm(name) for name in names)))


async def test_concurrent_confirms_on_one_scope_exactly_one_wins(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        services = app.bot_data.services
        await ChatDriver(app, api, user_id=FOLLOWER).send("/folj Kungsholmen")
        outcomes = await _race(services, "a:kungsholmen")
        assert sorted(type(o).__name__ for o in outcomes) == [
            "ContactChangedMeanwhile",
            "HandoverRecorded",
        ]
        assert await count(app, Handover) == 1
        assert await count(app, Notification) == 1
        # A school without a contact of its own: the race is on "no assignment yet".
        fridhem = "s:" + await _school_key(app, "Fridhemsskolan")
        outcomes = await _race(services, fridhem, ("Lina Berg", "Nils Ahl"))
        assert sorted(type(o).__name__ for o in outcomes) == [
            "ContactChangedMeanwhile",
            "HandoverRecorded",
        ]
        assert await count(app, Handover) == 2


async def _school_key(app: Any, name: str) -> str:
    async with app.bot_data.services.database.transaction() as session:
        return str(await session.scalar(select(School.id).where(School.name == name)))


async def test_recording_the_same_key_twice_is_one_handover(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        services = app.bot_data.services
        await ChatDriver(app, api, user_id=FOLLOWER).send("/folj Kungsholmen")
        async with services.database.transaction() as session:
            shown = await snapshot(
                session, Actor.cli(), "a:kungsholmen", services.today(), services.contacts
            )
        request = _request(services, shown.open_assignment_id, "Sara Ek", "same-key")
        results = []
        for _ in range(2):
            async with services.database.transaction() as session:
                results.append(
                    await record_handover(
                        session,
                        Actor.cli(),
                        request,
                        today=services.today(),
                        directory=services.contacts,
                    )
                )
        assert [r.duplicate for r in results] == [False, True]
        assert await count(app, Handover) == 1
        assert await count(app, Notification) == 1
