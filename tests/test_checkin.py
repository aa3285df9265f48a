"""The opt-in check-in after "Jag har gjort anmälan": offer, due, answer, counts, erasure.

Through the real Application and the fake transport, on an injected clock: the test moves the
clock 21 days on and runs the job's function that asks the due check-ins.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from app.application import build_application
from app.checkin_job import send_due_checkins
from bot.config import Settings
from bot.models import GuideCheckIn
from bot.runtime import Services
from bot.services import usage
from tests.fakes import ChatDriver, RecordingBotApi
from tests.support.clocks import VirtualClock

TWO_PM = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # Wednesday 14:00 in Stockholm


@asynccontextmanager
async def bot_at(
    settings: Settings, moment: datetime
) -> AsyncIterator[tuple[Any, ChatDriver, VirtualClock]]:
    api = RecordingBotApi()
    clock = VirtualClock(moment)
    services = Services.create(settings, clock=clock)
    app = build_application(settings, request=api, services=services, rate_limit=False)
    async with app:
        yield app, ChatDriver(app, api), clock


def shown(calls: list[Any]) -> list[str]:
    return [str(c.params["text"]) for c in calls if c.method in ("sendMessage", "editMessageText")]


async def finish_the_guide(chat: ChatDriver) -> None:
    await chat.send("/anmalan")
    await chat.press("Nej, inte akut")
    await chat.press("Kort – lärare, personal")
    for _ in range(30):
        labels = [label for label, _ in chat.buttons(chat.last_with_buttons())]
        if "✅ Jag har gjort anmälan" in labels:
            return
        await chat.press("Nästa" if "Nästa" in labels else "Nej")
    raise AssertionError("the guide did not end")


async def checkins(app: Any) -> list[GuideCheckIn]:
    async with app.bot_data.services.database.transaction() as session:
        return list(await session.scalars(select(GuideCheckIn)))


async def counts(app: Any) -> dict[tuple[str, str | None, str | None], int]:
    async with app.bot_data.services.database.transaction() as session:
        rows = await usage.rows(session, date(2026, 1, 1), date(2027, 12, 31))
    return {(r.event, r.area_id, r.operator): r.count for r in rows}


async def test_the_check_in_is_offered_stored_minimally_asked_when_due_and_counted(
    settings: Settings,
) -> None:
    async with bot_at(settings, TWO_PM) as (app, chat, clock):
        await chat.send("/folj Eriksdalsskolan")  # the school: the area and operator to count
        await finish_the_guide(chat)
        offer = shown(await chat.press("✅ Jag har gjort anmälan"))[0]
        assert "om 21 dagar" in offer and "Inget om barnet" in offer
        accepted = shown(await chat.press("Ja, fråga mig"))[0]
        assert "23 december 2026" in accepted

        [row] = await checkins(app)
        assert (row.user_id, row.due_on, row.asked_on) == (chat.user_id, date(2026, 12, 23), None)
        assert (row.area_id, row.operator) == ("sodermalm", "kommunal")
        assert (
            "Uppföljning: jag ska fråga dig 23 december 2026"
            in shown(await chat.send("/mina_uppgifter"))[0]
        )

        # Not yet due: nothing is sent.
        assert await send_due_checkins(app.bot_data.services, app.bot) == 0
        clock.advance(timedelta(days=21))
        before = len(chat.api.calls)
        assert await send_due_checkins(app.bot_data.services, app.bot) == 1
        assert await send_due_checkins(app.bot_data.services, app.bot) == 0  # asked once
        question = [c for c in chat.api.calls[before:] if c.method == "sendMessage"]
        assert "Har du fått återkoppling från socialtjänsten?" in question[0].params["text"]

        second = shown(await chat.press("Ja"))[0]
        assert "Erbjöds du ett anmälningsmöte?" in second
        thanks = shown(await chat.press("Vet inte"))[0]
        assert "Tack!" in thanks
        assert await checkins(app) == []
        figures = await counts(app)
        assert figures[("feedback_yes", "sodermalm", "kommunal")] == 1
        assert figures[("meeting_unknown", "sodermalm", "kommunal")] == 1
        assert figures[("checkin_accepted", "sodermalm", "kommunal")] == 1
        # A repeated press counts nothing more.
        assert "gäller inte längre" in shown(await chat.press(data="ci:m:ja:ja"))[0]
        assert (await counts(app))[("feedback_yes", "sodermalm", "kommunal")] == 1


async def test_without_one_followed_school_the_answers_count_under_no_area(
    settings: Settings,
) -> None:
    async with bot_at(settings, TWO_PM) as (app, chat, _):
        await finish_the_guide(chat)
        await chat.press("✅ Jag har gjort anmälan")
        await chat.press("Ja, fråga mig")
        [row] = await checkins(app)
        assert (row.area_id, row.operator) == ("", "")


async def test_declining_stores_nothing(settings: Settings) -> None:
    async with bot_at(settings, TWO_PM) as (app, chat, _):
        await finish_the_guide(chat)
        await chat.press("✅ Jag har gjort anmälan")
        assert "jag frågar inte" in shown(await chat.press("Nej tack"))[0]
        assert await checkins(app) == []


async def test_forget_me_erases_the_check_in_and_old_ones_expire(settings: Settings) -> None:
    async with bot_at(settings, TWO_PM) as (app, chat, clock):
        await finish_the_guide(chat)
        await chat.press("✅ Jag har gjort anmälan")
        await chat.press("Ja, fråga mig")
        await chat.send("/glom_mig")
        await chat.press(data="forget:yes")
        assert await checkins(app) == []

        other = ChatDriver(app, chat.api, user_id=9911)
        await finish_the_guide(other)
        await other.press("✅ Jag har gjort anmälan")
        await other.press("Ja, fråga mig")
        clock.advance(timedelta(days=21 + 31))
        await send_due_checkins(app.bot_data.services, app.bot)
        assert await checkins(app) == []  # due 31 days ago: deleted, not asked


@pytest.mark.parametrize("data", ["ci:f:kanske", "ci:m:ja", "ci:m:ja:ja"])
async def test_answers_without_an_asked_check_in_count_nothing(
    settings: Settings, data: str
) -> None:
    async with bot_at(settings, TWO_PM) as (app, chat, _):
        await chat.send("/anmalan")
        await chat.press(data=data)
        assert not [key for key in await counts(app) if key[0].startswith(("feedback", "meet"))]
