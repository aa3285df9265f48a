"""/franvaro, /bekrafta, stale reminders, follows, roles and invite codes, through the real bot."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select, update

from app.cli import invite_code
from bot.clock import utcnow
from bot.config import Settings
from bot.models import (
    Absence,
    AuditEvent,
    ContactAssignment,
    Follow,
    Grant,
    Invite,
    Notification,
)
from bot.services.authz import Actor
from bot.services.entries import scope_history
from bot.services.errors import InvalidInviteDays
from bot.services.invites import create_invite
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
    pick_admin,
    sent,
    walk_handover,
)
from tests.fakes import ChatDriver, RecordingBotApi
from tests.support.clocks import VirtualClock

CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


async def test_absence_shows_the_deputy_and_the_day_back_then_the_contact_again(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        services = app.bot_data.services
        await grant(app, ADMIN, "kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        text = sent(await admin.send("/franvaro"))
        assert "Frånvaro" in text
        assert "Fatima Noor (exempel)" in sent(await admin.press("Kungsholmen"))
        assert "redan varit" in sent(await admin.send("2020-01-01"))
        assert "tillbaka" in sent(await admin.press("Idag"))
        assert "måste komma efter" in sent(await admin.send("idag"))
        assert "Vem ersätter" in sent(await admin.send("i övermorgon"))
        await admin.send("Vera Vikarie")
        assert "svenskt telefonnummer" in sent(await admin.send("nej"))
        await admin.send("070-174 06 33")
        summary = sent(await admin.press("Hoppa över"))
        assert "Stämmer det här?" in summary and "Vera Vikarie" in summary
        assert "Klart!" in sent(await admin.press("✅ Bekräfta"))
        assert await count(app, Absence) == 1

        teacher = ChatDriver(app, api, user_id=FOLLOWER)
        back_on = services.today() + timedelta(days=2)
        card = sent(await teacher.send("Fridhemsskolan"))  # inherits the area's contact
        assert "Vera Vikarie" in card and "070-174 06 33" in card
        assert "Ersätter Fatima Noor (exempel), som är tillbaka" in card
        assert translator_date(back_on) in card
        async with services.database.transaction() as session:
            later = await services.contacts.card_for_area(session, "kungsholmen", back_on)
        assert later is not None and later.cooperation is not None
        assert later.cooperation.name == "Fatima Noor (exempel)"
        assert later.cooperation.deputy_for is None

        # An overlapping absence is refused; nothing more is written.
        await admin.send("/franvaro Kungsholmen")
        await admin.press("Imorgon")
        await admin.send("1/1 2099")
        await admin.send("Olle Holm")
        await admin.send("08-465 004 22")
        await admin.press("Hoppa över")
        assert "finns redan" in sent(await admin.press("✅ Bekräfta"))
        assert await count(app, Absence) == 1


def translator_date(day: Any) -> str:
    from bot.i18n import translator

    return translator("sv").date(day)


async def test_confirm_stamps_a_stale_entry_and_refuses_other_areas(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "skarpnack")
        admin = ChatDriver(app, api, user_id=ADMIN)
        assert "Inte bekräftad sedan" in sent(await admin.send("Skarpnäck"))
        text = sent(await admin.send("/bekrafta"))
        assert "i sin helhet innan du bekräftar" in text
        # A numbered list, numbered buttons: no label is ever cut off.
        (line,) = [x for x in text.split("\n") if "⚠️ Skarpnäck – kontaktperson" in x]
        number = line.split(".", 1)[0]
        assert len(line) > 60 and line.endswith(")")
        labels = [label for label, _ in admin.buttons(admin.last_message())]
        assert labels == [str(n) for n in range(1, len(labels) + 1)]
        shown = sent(await admin.press(number))
        assert "Stämmer detta?" in shown and "Telefon:" in shown and "E-post:" in shown
        assert await count(app, AuditEvent, AuditEvent.action == "assignment.confirm") == 0
        assert "Inget har bekräftats" in sent(await admin.press("Nej"))
        assert "Inte bekräftad sedan" in sent(await admin.send("Skarpnäck"))
        await admin.send("/bekrafta")
        await admin.press(number)
        assert "Bekräftat" in sent(await admin.press("✅ Ja, det stämmer"))
        assert "Inte bekräftad sedan" not in sent(await admin.send("Skarpnäck"))
        assert await count(app, AuditEvent, AuditEvent.action == "assignment.confirm") == 1

        async with app.bot_data.services.database.transaction() as session:
            bromma = await session.scalar(
                select(ContactAssignment.id).where(ContactAssignment.area_id == "bromma")
            )
        assert "bara administratörer" in sent(await admin.press(data=f"bk:{bromma}"))
        assert "bara administratörer" in sent(await admin.press(data=f"bk:ok:{bromma}"))
        assert await count(app, AuditEvent, AuditEvent.action == "refused") == 2
        teacher = ChatDriver(app, api, user_id=FOLLOWER)
        assert "bara administratörer" in sent(await teacher.send("/bekrafta"))


async def test_weekly_reminder_lists_an_admins_stale_entries_once_a_week(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "skarpnack")
        await grant(app, SECOND_FOLLOWER, "kungsholmen")  # nothing stale there
        (job,) = app.job_queue.get_jobs_by_name("remind_stale")
        await job.run(app)
        await job.run(app)  # the same week again: nothing new
        await deliver(app)
        (reminder,) = notices_to(api, ADMIN)
        assert "inte har bekräftats på 90 dagar" in reminder
        assert "Skarpnäck" in reminder and "/bekrafta" in reminder
        assert notices_to(api, SECOND_FOLLOWER) == []


async def test_follow_unfollow_and_list(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        teacher = ChatDriver(app, api, user_id=FOLLOWER)
        other = ChatDriver(app, api, user_id=SECOND_FOLLOWER)
        assert "till exempel: /folj" in sent(await teacher.send("/folj"))
        assert "Nu följer du Eriksdalsskolan" in sent(await teacher.send("/folj Eriksdalsskolan"))
        assert "redan" in sent(await teacher.send("/folj eriksdalskolan"))
        assert "Vilken vill du följa?" in sent(await teacher.send("/folj Katarina skola"))
        choice = next(
            label
            for label, _ in teacher.buttons(teacher.last_message())
            if label.startswith("Katarina södra")
        )
        assert "Nu följer du Katarina södra skola" in sent(await teacher.press(choice))
        assert "Stockholms stad" in sent(await teacher.send("/folj Solna"))
        listing = sent(await teacher.send("/foljer"))
        assert "Eriksdalsskolan" in listing and "Katarina södra skola" in listing

        await other.send("/following")
        assert "ingen skola" in sent(await other.send("/sluta_folja"))
        await other.send("/follow Bromma")
        async with app.bot_data.services.database.transaction() as session:
            theirs = await session.scalar(
                select(Follow.id).where(Follow.user_id == SECOND_FOLLOWER)
            )
        assert "fungerar inte längre" in sent(await teacher.press(data=f"uf:{theirs}"))
        assert "fungerar inte längre" in sent(await teacher.press(data="fo:s:99999999"))

        await teacher.send("/sluta_folja")
        assert "inte längre Eriksdalsskolan" in sent(await teacher.press("Eriksdalsskolan"))
        assert "Eriksdalsskolan" not in sent(await teacher.send("/foljer"))
        assert await count(app, Follow) == 2


async def test_city_admin_grants_and_revokes_the_area_admin_role(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        city = ChatDriver(app, api, user_id=CITY_ADMIN)
        admin = ChatDriver(app, api, user_id=ADMIN)
        refused = sent(await admin.send("/behorighet"))
        assert "engångskod" in refused and f"<code>{ADMIN}</code>" not in refused
        assert "bara administratörer" in sent(await admin.send("/overlamning"))

        await admin.send("/start")
        assert "är nu administratör för Kungsholmen" in await pick_admin(
            city, ADMIN, "kungsholmen"
        )
        assert "redan" in await pick_admin(city, ADMIN, "Kungsholmen")
        await admin.send("/overlamning")
        assert admin.buttons(admin.last_message()) == [("Kungsholmen", "ho:a:kungsholmen")]
        await admin.send("/avbryt")
        listing = sent(await city.send("/behorighet"))
        assert f"{ADMIN} – Kungsholmen" in listing
        await city.press(f"Ta bort {ADMIN} (Kungsholmen)")
        assert "inte längre administratör" in sent(await city.press("Ja, ta bort"))
        assert "bara administratörer" in sent(await admin.send("/overlamning"))
        assert "Skriv till exempel" in sent(await city.send("/behorighet kod Atlantis"))
        assert "Skriv till exempel" in sent(await city.send("/behorighet ge Atlantis"))

        async with app.bot_data.services.database.transaction() as session:
            actions = list(
                await session.scalars(select(AuditEvent.action).order_by(AuditEvent.id))
            )
            (row,) = await session.scalars(select(Grant))
        assert actions.count("grant.add") == 1 and actions.count("grant.revoke") == 1
        assert row.revoked_at is not None and row.revoked_by == str(CITY_ADMIN)


async def test_invite_from_the_cli_is_redeemed_once(
    make_settings: Callable[..., Settings],
    api: RecordingBotApi,
    capsys: pytest.CaptureFixture[str],
) -> None:
    async with admin_app(make_settings, api) as app:
        services = app.bot_data.services
        assert await invite_code(services, "kungsholmen", 7) == 0
        printed = capsys.readouterr().out
        found = CODE.search(printed)
        assert found is not None
        code = found.group(0)
        async with services.database.transaction() as session:
            (invite,) = await session.scalars(select(Invite))
            audit_text = str(list(await session.scalars(select(AuditEvent.after))))
        normalised = code.replace("-", "")
        assert invite.code_hash == hashlib.sha256(normalised.encode()).hexdigest()
        assert code not in audit_text and normalised not in audit_text

        newcomer = ChatDriver(app, api, user_id=ADMIN)
        welcome = sent(await newcomer.send(f"/kod {code.lower()}"))
        assert "Du är nu administratör för Kungsholmen" in welcome
        assert [label for label, _ in newcomer.buttons(newcomer.last_message())] == []
        await newcomer.send("/overlamning")
        assert [label for label, _ in newcomer.buttons(newcomer.last_message())] == ["Kungsholmen"]

        latecomer = ChatDriver(app, api, user_id=FOLLOWER)
        assert "redan använts" in sent(await latecomer.send(f"/kod {code}"))
        assert "känner jag inte" in sent(await latecomer.send("/kod AAAA-BBBB-CCCC"))
        assert "bara administratörer" in sent(await latecomer.send("/overlamning"))
        assert await count(app, Grant, Grant.user_id == FOLLOWER) == 0
        assert await invite_code(services, "atlantis", 7) == 2


async def test_expired_invite_is_refused_and_a_city_admin_creates_codes_in_the_bot(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        services = app.bot_data.services
        async with services.database.transaction() as session:
            old = await create_invite(
                session, Actor.cli(), "bromma", 1, utcnow() - timedelta(days=2)
            )
        newcomer = ChatDriver(app, api, user_id=ADMIN)
        assert "gått ut" in sent(await newcomer.send(f"/kod {old.code}"))
        assert await count(app, Grant) == 0
        refusals = await count(app, AuditEvent, AuditEvent.action == "refused")
        assert refusals == 1

        city = ChatDriver(app, api, user_id=CITY_ADMIN)
        reply = sent(await city.send("/behorighet kod Bromma 3"))
        code = CODE.search(reply)
        assert code is not None and "Engångskod för administratör i Bromma" in reply
        assert "Bromma" in sent(await newcomer.send(f"/code {code.group(0)}"))
        # Now an area admin: she may invite a colleague to Bromma, but not to another area.
        assert "Engångskod för administratör i Bromma" in sent(
            await newcomer.send("/behorighet kod")
        )
        assert "kan bara bjuda in kollegor dit" in sent(
            await newcomer.send("/behorighet kod Farsta")
        )
        assert await count(app, Invite) == 3


async def test_a_forged_revoke_button_is_refused_before_anything_is_looked_up(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        async with app.bot_data.services.database.transaction() as session:
            (existing,) = await session.scalars(select(Grant.id))
        admin = ChatDriver(app, api, user_id=ADMIN)
        await admin.send("/overlamning")  # any message with buttons to press "on"
        # An existing grant and one that does not exist look the same to a non-city-admin.
        for grant_id in (existing, 99999):
            assert "bara administratörer" in sent(await admin.press(data=f"gr:rv:{grant_id}"))
        refusals = await count(app, AuditEvent, AuditEvent.action == "refused")
        assert refusals == 2
        assert await count(app, Grant, Grant.revoked_at.is_(None)) == 1
        city = ChatDriver(app, api, user_id=CITY_ADMIN)
        await city.send("/behorighet")
        assert "fungerar inte längre" in sent(await city.press(data="gr:rv:99999"))


async def test_invite_days_out_of_range_are_explained_by_the_service(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        city = ChatDriver(app, api, user_id=CITY_ADMIN)
        assert "högst 30 dagar" in sent(await city.send("/behorighet kod Bromma 31"))
        assert "högst 30 dagar" in sent(await city.send("/behorighet kod Atlantis 3"))
        admin = ChatDriver(app, api, user_id=ADMIN)
        assert "ges med en engångskod" in sent(await admin.send("/behorighet kod Atlantis 99"))
        assert await count(app, Invite) == 0
        async with app.bot_data.services.database.transaction() as session:
            with pytest.raises(InvalidInviteDays):
                await create_invite(session, Actor.cli(), "bromma", 31, utcnow())


async def test_stored_moments_are_shown_as_stockholm_days(
    make_settings: Callable[..., Settings],
    api: RecordingBotApi,
) -> None:
    clock = VirtualClock()
    async with admin_app(make_settings, api, clock=clock) as app:
        services = app.bot_data.services
        await grant(app, ADMIN, "kungsholmen")
        # 23:30 UTC is already the next day in Stockholm (00:30 in winter, 01:30 in summer).
        day = services.today() - timedelta(days=200)
        late = datetime.combine(day, time(23, 30), tzinfo=UTC)
        async with services.database.transaction() as session:
            await session.execute(
                update(ContactAssignment)
                .where(ContactAssignment.area_id == "kungsholmen")
                .values(confirmed_at=late)
            )
            session.add(
                Notification(
                    chat_id=FOLLOWER,
                    kind="handover",
                    payload={},
                    dedupe_key="late",
                    status="failed",
                    attempts=1,
                    next_attempt_at=late,
                    created_at=late,
                    area_id="kungsholmen",
                    last_error="Forbidden",
                )
            )
        local_day, utc_day = translator_date(day + timedelta(days=1)), translator_date(day)
        # The card a teacher sees …
        card = sent(await ChatDriver(app, api, user_id=FOLLOWER).send("Kungsholmen"))
        assert local_day in card and utc_day not in card
        # … the weekly reminder to the area's admin …
        (job,) = app.job_queue.get_jobs_by_name("remind_stale")
        await job.run(app)
        await deliver(app)
        (reminder,) = notices_to(api, ADMIN)
        assert local_day in reminder and utc_day not in reminder
        # … the admin's delivery overview …
        deliveries = sent(await ChatDriver(app, api, user_id=ADMIN).send("/leveranser"))
        assert local_day in deliveries and utc_day not in deliveries
        # … and the expiry of an invite code made late in the evening (UTC).
        clock.set(late)
        city = ChatDriver(app, api, user_id=CITY_ADMIN)
        created = sent(await city.send("/behorighet kod Bromma 7"))
        assert translator_date(day + timedelta(days=8)) in created


async def test_history_reads_a_scope_in_a_fixed_number_of_queries(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        services = app.bot_data.services
        today = services.today()
        admin = ChatDriver(app, api, user_id=CITY_ADMIN)
        for days_ahead, name in ((2, "Sara Ek"), (4, "Olle Holm"), (6, "Vera Vikarie")):
            await walk_handover(
                admin, name=name, date=(today + timedelta(days=days_ahead)).isoformat()
            )
            assert "Klart!" in sent(await admin.press("✅ Bekräfta"))
        statements: list[str] = []

        def note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        engine = services.database.engine.sync_engine
        event.listen(engine, "before_cursor_execute", note)
        try:
            async with services.database.transaction() as session:
                result = await scope_history(session, Actor.cli(), "a:kungsholmen")
        finally:
            event.remove(engine, "before_cursor_execute", note)
        names = [line.name for line in result.lines]
        assert names == ["Vera Vikarie", "Olle Holm", "Sara Ek", "Fatima Noor (exempel)"]
        assert all(line.deliveries is not None for line in result.lines[:3])
        assert len(statements) <= 6  # not three more per contact person
