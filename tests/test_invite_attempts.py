"""/kod has an attempt limit, and a run of wrong codes is one counted audit event.

Imports nothing new: it runs unchanged against an older main, where it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.models import AuditEvent, Grant
from bot.services.authz import Actor
from bot.services.invites import create_invite
from tests.admin_support import admin_app, count, sent
from tests.fakes import ChatDriver, RecordingBotApi
from tests.support.clocks import VirtualClock

GUESSER = 9090


async def refusal_rows(app: object) -> list[AuditEvent]:
    async with app.bot_data.services.database.transaction() as session:  # type: ignore[attr-defined]
        query = select(AuditEvent).where(AuditEvent.actor == str(GUESSER))
        return list(await session.scalars(query.order_by(AuditEvent.id)))


async def test_after_five_wrong_codes_even_the_right_one_waits(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    clock = VirtualClock()
    async with admin_app(make_settings, api, clock=clock) as app:
        async with app.bot_data.services.database.transaction() as session:
            invite = await create_invite(session, Actor.cli(), "bromma", 7, clock.now())
        guesser = ChatDriver(app, api, user_id=GUESSER)
        for attempt in range(5):
            answer = sent(await guesser.send(f"/kod WRONG-CODE-{attempt:04d}"))
            assert "känner jag inte till" in answer
        for _ in range(20):  # a script keeps going: politely told to wait, nothing grows
            answer = sent(await guesser.send(f"/kod {invite.code}"))
            assert "Vänta tio minuter" in answer
        assert await count(app, Grant) == 0
        (event,) = await refusal_rows(app)
        assert event.action == "refused"
        assert event.after is not None and event.after["count"] == 25

        clock.advance(timedelta(minutes=11))
        assert "Bromma" in sent(await guesser.send(f"/kod {invite.code}"))
        assert await count(app, Grant) == 1


async def test_the_limit_is_per_user(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    clock = VirtualClock()
    async with admin_app(make_settings, api, clock=clock) as app:
        guesser = ChatDriver(app, api, user_id=GUESSER)
        for attempt in range(6):
            await guesser.send(f"/kod WRONG-{attempt}")
        other = ChatDriver(app, api, user_id=GUESSER + 1)
        assert "känner jag inte till" in sent(await other.send("/kod WRONG"))
