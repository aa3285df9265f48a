"""A district admin plans ahead: absences of a scheduled contact, notices that tell the truth
about scope and time, and handovers to the same person refused (issue 15, issue 10 finding 9)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.i18n import translator
from bot.models import Absence, AuditEvent, ContactAssignment, Handover, Notification
from bot.services.handovers import announce_due_handovers
from tests.admin_support import (
    ADMIN,
    CITY_ADMIN,
    FOLLOWER,
    SECOND_FOLLOWER,
    admin_app,
    count,
    deliver,
    grant,
    handovers,
    notices_to,
    sent,
    walk_handover,
)
from tests.fakes import ChatDriver, RecordingBotApi
from tests.support.clocks import VirtualClock

# A Wednesday morning in Stockholm (09:00 UTC is 10:00 there), after the examples' start.
MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 2)


def day(offset: int) -> date:
    return TODAY + timedelta(days=offset)


def on(offset: int) -> VirtualClock:
    """A clock on the morning `offset` days from TODAY (for delivering what is due then)."""
    return VirtualClock(MORNING + timedelta(days=offset))


def sv(when: date) -> str:
    return translator("sv").date(when)


async def plan_handover(admin: ChatDriver, offset: int, name: str = "Sara Ek") -> str:
    await walk_handover(admin, name=name, date=day(offset).isoformat())
    return sent(await admin.press("✅ Bekräfta"))


async def absence(
    admin: ChatDriver, start: int, back: int, deputy: str = "Vera Vikarie"
) -> list[str]:
    """Walk /franvaro for Kungsholmen; the answers to the two dates and the confirm."""
    await admin.send("/franvaro Kungsholmen")
    started = sent(await admin.send(day(start).isoformat()))
    backed = sent(await admin.send(day(back).isoformat()))
    if "Vem ersätter" not in backed:
        return [started, backed]
    await admin.send(deputy)
    await admin.send("070-174 06 33")
    await admin.press("Hoppa över")
    return [started, backed, sent(await admin.press("✅ Bekräfta"))]


async def test_an_absence_is_planned_for_the_contact_who_has_not_started_yet(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api, clock=VirtualClock(MORNING)) as app:
        await grant(app, ADMIN, "kungsholmen")
        follower = ChatDriver(app, api, user_id=FOLLOWER)
        await follower.send("/folj Kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        assert "Klart!" in await plan_handover(admin, 5)

        shown = sent(await admin.send("/franvaro Kungsholmen"))
        assert "Fatima Noor (exempel)" in shown and f"Från {sv(day(5))}: <b>Sara Ek</b>" in shown
        await admin.send("/avbryt")
        started, backed, done = await absence(admin, 7, 10)
        assert "Vilket datum är Sara Ek tillbaka?" in started
        assert "Klart!" in done and "1 person" in done and sv(day(7)) in done
        async with app.bot_data.services.database.transaction() as session:
            row = await session.scalar(select(Absence))
            assert row is not None
            sara = await session.get(ContactAssignment, row.assignment_id)
            assert sara is not None and sara.valid_from == day(5)

        # Leave of today's contact that runs past the handover day is explained, not stored.
        started, backed = (await absence(admin, 1, 8))[:2]
        assert "Vilket datum är Fatima Noor (exempel) tillbaka?" in started
        assert f"Från {sv(day(5))} tar en annan kontaktperson över" in backed
        assert await count(app, Absence) == 1

        # The followers hear of the handover on its day, and of the absence on its first day.
        await deliver(app, on(0))
        assert notices_to(api, FOLLOWER) == []
        assert await announce_on(app, 5) == 1
        await deliver(app, on(5))
        assert len(notices_to(api, FOLLOWER)) == 1
        await deliver(app, on(7))
        handover_notice, absence_notice = notices_to(api, FOLLOWER)
        assert "Sara Ek ersätter Fatima Noor (exempel)" in handover_notice
        assert f"Sara Ek är borta från {sv(day(7))} och tillbaka {sv(day(10))}" in absence_notice
        assert "Vera Vikarie" in absence_notice and "070-174 06 33" in absence_notice


async def test_an_absence_from_today_tells_followers_at_once_whom_to_call(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    """Issue 10, finding 9: absences notified nobody; now followers get the deputy, from–to."""
    async with admin_app(make_settings, api, clock=VirtualClock(MORNING)) as app:
        await grant(app, ADMIN, "kungsholmen")
        await ChatDriver(app, api, user_id=FOLLOWER).send("/folj Kungsholmen")
        await ChatDriver(app, api, user_id=SECOND_FOLLOWER).send("/folj Fridhemsskolan")
        admin = ChatDriver(app, api, user_id=ADMIN)
        await admin.send("/franvaro Kungsholmen")
        await admin.press("Idag")
        await admin.send(day(3).isoformat())
        await admin.send("Vera Vikarie")
        await admin.send("070-174 06 33")
        await admin.press("Hoppa över")
        done = sent(await admin.press("✅ Bekräfta"))
        assert "2 personer som följer skolan eller området får veta det" in done
        assert await count(app, Notification, Notification.kind == "absence") == 2

        assert (await deliver(app, on(0))).sent == 2
        (to_area,) = notices_to(api, FOLLOWER)
        (to_school,) = notices_to(api, SECOND_FOLLOWER)
        for notice in (to_area, to_school):
            assert f"Fatima Noor (exempel) är borta från {sv(TODAY)}" in notice
            assert f"tillbaka {sv(day(3))}" in notice and "Vera Vikarie" in notice
        assert "du följer stadsdelsområde Kungsholmen." in to_area
        # The school's follower is told what they follow, and why an area change reaches them.
        assert "du följer Fridhemsskolan. Skolan har ingen egen kontaktperson" in to_school
        assert "du följer stadsdelsområde" not in to_school


async def test_a_handover_notice_names_the_followed_school_not_its_area(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api, clock=VirtualClock(MORNING)) as app:
        principal = ChatDriver(app, api, user_id=FOLLOWER)
        await principal.send("/folj Eriksdalsskolan")
        admin = ChatDriver(app, api, user_id=CITY_ADMIN)
        await walk_handover(admin, "Södermalm", date="idag")
        await admin.press("✅ Bekräfta")
        await deliver(app, on(0))
        (notice,) = notices_to(api, FOLLOWER)
        assert "Ny kontaktperson i socialtjänsten för Eriksdalsskolan" in notice
        assert "du följer Eriksdalsskolan" in notice
        assert "du följer stadsdelsområde Södermalm" not in notice


async def test_a_handover_to_the_contact_it_would_replace_is_refused_with_a_reason(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    """Issue 10, finding 9: "Fatima Noor ersätter Fatima Noor" was recorded and announced."""
    async with admin_app(make_settings, api, clock=VirtualClock(MORNING)) as app:
        await ChatDriver(app, api, user_id=FOLLOWER).send("/folj Kungsholmen")
        admin = ChatDriver(app, api, user_id=CITY_ADMIN)
        await admin.send("/overlamning")
        await admin.press("Kungsholmen")
        refused = sent(await admin.send("fatima  noor (EXEMPEL)"))
        assert "Fatima Noor (exempel) är redan kontaktperson där" in refused
        assert "Vilken titel" not in refused
        assert "Vilken titel" in sent(await admin.send("Sara Ek"))
        await admin.send("/avbryt")

        # The planned contact counts too: a second handover to her on a later day is refused.
        assert "Klart!" in await plan_handover(admin, 3)
        await walk_handover(admin, name="Olle Holm", date=day(6).isoformat())
        await admin.send("/avbryt")
        await admin.send("/overlamning")
        await admin.press("Kungsholmen")
        assert "Sara Ek är redan kontaktperson där" in sent(await admin.send("Sara Ek"))
        assert await count(app, Handover) == 1


async def announce_on(app: Any, offset: int) -> int:
    async with app.bot_data.services.database.transaction() as session:
        return await announce_due_handovers(session, day(offset))


async def test_a_corrected_planned_handover_is_announced_once_with_the_corrections(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    clock = VirtualClock(MORNING)
    async with admin_app(make_settings, api, clock=clock) as app:
        await grant(app, ADMIN, "kungsholmen")
        await ChatDriver(app, api, user_id=FOLLOWER).send("/folj Kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        await plan_handover(admin, 5)

        listed = sent(await admin.send("/planerat"))
        assert "Ingen har fått något meddelande" in listed
        assert "Sara Ek" in listed and f"Från {sv(day(5))}" in listed
        await admin.press("✏️ Ändra")
        assert "Skriv det nya värdet för datum" in sent(await admin.press("Datum"))
        assert "redan varit" in sent(await admin.send("2020-01-01"))
        changed = sent(await admin.send(day(6).isoformat()))
        assert "Ändrat" in changed and f"Från {sv(day(6))}" in changed
        await admin.press("✏️ Ändra")
        await admin.press("Namn")
        assert "redan kontaktperson" in sent(await admin.send("Fatima Noor (exempel)"))
        assert "Sara Ekström" in sent(await admin.send("Sara Ekström"))
        await admin.press("✏️ Ändra")
        await admin.press("Notering")
        await admin.send("Sara börjar efter sin utbildning.")
        assert await count(app, AuditEvent, AuditEvent.action == "handover.correct") == 3

        card = sent(await ChatDriver(app, api, user_id=SECOND_FOLLOWER).send("Kungsholmen"))
        assert f"Från {sv(day(6))}: <b>Sara Ekström</b>" in card

        assert await announce_on(app, 5) == 0  # moved: not on the old day
        assert await announce_on(app, 6) == 1
        assert await announce_on(app, 6) == 0
        await deliver(app, on(6))
        (notice,) = notices_to(api, FOLLOWER)
        assert "Sara Ekström ersätter Fatima Noor (exempel)" in notice
        assert sv(day(6)) in notice and "Sara börjar efter sin utbildning." in notice
        # In effect now: it can no longer be changed.
        clock.set(MORNING + timedelta(days=6))
        assert "Inga överlämningar är planerade" in sent(await admin.send("/planerat"))


async def test_a_withdrawn_planned_handover_is_never_announced(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api, clock=VirtualClock(MORNING)) as app:
        await grant(app, ADMIN, "kungsholmen")
        await ChatDriver(app, api, user_id=FOLLOWER).send("/folj Kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        await plan_handover(admin, 5)
        await absence(admin, 6, 8)  # the new contact's planned leave goes with her
        assert await count(app, Absence) == 1
        await admin.send("/planerat")
        (handover_id,) = [h.id for h in await handovers(app)]

        # Someone else's press is refused (and audited) before anything is looked up.
        stranger = ChatDriver(app, api, user_id=SECOND_FOLLOWER)
        refused = sent(
            await stranger.press(data=f"pl:wok:{handover_id}", message=admin.last_message())
        )
        assert "bara administratörer" in refused
        assert await count(app, Handover) == 1

        asked = sent(await admin.press("Återkalla"))
        assert "Återkalla överlämningen till Sara Ek" in asked and "ingen får det" in asked
        assert await count(app, Handover) == 1  # asked first
        done = sent(await admin.press("Ja, återkalla"))
        assert (
            "Återkallad" in done and "Fatima Noor (exempel) är fortfarande kontaktperson" in done
        )
        assert await count(app, Handover) == 0
        assert await count(app, Absence) == 0
        assert await count(app, AuditEvent, AuditEvent.action == "handover.withdraw") == 1
        card = sent(await stranger.send("Kungsholmen"))
        assert "Fatima Noor (exempel)" in card and "Från " not in card

        for offset in (5, 6, 7):
            assert await announce_on(app, offset) == 0
            await deliver(app, on(offset))
        assert notices_to(api, FOLLOWER) == []
        assert await count(app, Notification) == 0
        # The same press again: nothing left to withdraw.
        assert "fungerar inte längre" in sent(
            await admin.press(data=f"pl:wok:{handover_id}", message=admin.last_message())
        )


async def test_a_new_day_that_would_misplace_recorded_leave_is_refused(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api, clock=VirtualClock(MORNING)) as app:
        await grant(app, ADMIN, "kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        await plan_handover(admin, 5)
        assert "Klart!" in (await absence(admin, 1, 4))[-1]  # Fatima away, days 1–4
        assert "Klart!" in (await absence(admin, 6, 8))[-1]  # Sara away, days 6–8
        await admin.send("/planerat")
        await admin.press("✏️ Ändra")
        await admin.press("Datum")
        later = sent(await admin.send(day(7).isoformat()))
        assert f"frånvaro inlagd från {sv(day(6))}" in later
        earlier = sent(await admin.send(day(3).isoformat()))
        assert f"frånvaro inlagd från {sv(day(1))}" in earlier
        assert "Ändrat" in sent(await admin.send(day(6).isoformat()))
        (moved,) = await handovers(app)
        assert moved.effective_on == day(6)
