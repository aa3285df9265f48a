"""No conversation state only in memory: a wizard started on one replica is finished on
another, a standby that takes over knows it, and a restart mid-wizard resumes where it was.

Two real Applications on the same database (SQLite file, and PostgreSQL when
TEST_DATABASE_URL is set) stand for two replicas behind a load balancer (webhook mode: they
read the states before every update, as `BotService` sets them to); they talk to one fake
Telegram. Each step goes to whichever replica the test picks.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from app.application import build_application
from bot.clock import utcnow
from bot.config import Settings
from bot.models import WizardSession
from bot.runtime import Services
from bot.services import retention
from handlers.stored_conversation import reload_states
from tests.admin_support import (
    ADMIN,
    CITY_ADMIN,
    count,
    grant,
    handovers,
    picker_request_id,
    sent,
)
from tests.fakes import ChatDriver, RecordingBotApi
from tests.test_guide_conversation import walk_to


@asynccontextmanager
async def replicas(
    make_settings: Callable[..., Settings],
    api: RecordingBotApi,
    number: int = 2,
    *,
    behind_a_load_balancer: bool = True,
) -> AsyncIterator[list[Any]]:
    """`number` Applications on one database and one Telegram, as replicas would be."""
    settings = make_settings(city_admin_ids=(CITY_ADMIN,))
    async with AsyncExitStack() as stack:
        apps = []
        for _ in range(number):
            app = build_application(
                settings, request=api, services=Services.create(settings), rate_limit=False
            )
            app.per_update_states = behind_a_load_balancer
            apps.append(await stack.enter_async_context(app))
        yield apps


def drivers(apps: list[Any], api: RecordingBotApi, user_id: int) -> list[ChatDriver]:
    return [ChatDriver(app, api, user_id=user_id) for app in apps]


async def wizard_rows(app: Any) -> list[WizardSession]:
    async with app.bot_data.services.database.transaction() as session:
        return list(await session.scalars(select(WizardSession)))


async def test_a_handover_wizard_hops_between_replicas_and_is_recorded_once(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with replicas(make_settings, api) as (one, two):
        await grant(one, ADMIN, "kungsholmen")
        a, b = drivers([one, two], api, ADMIN)
        assert "vilken skola eller vilket område" in sent(await a.send("/overlamning"))
        assert "Nuvarande kontaktperson" in sent(await b.press("Kungsholmen"))
        assert "titel" in sent(await a.send("Sara Ek"))  # the name, on replica one
        assert "telefonnummer" in sent(await b.send("Socialsekreterare"))
        assert "e-postadress" in sent(await b.send("08-465 004 20"))
        # Back on replica one, whose memory still says "name": the database says "e-mail".
        assert "När går hen att nå" in sent(await a.send("sara.ek@example.com"))
        await b.press("Hoppa över")
        await a.send("idag")
        summary = sent(await b.press("Hoppa över"))
        assert "Stämmer det här?" in summary
        assert "Sara Ek" in summary and "08-465 004 20" in summary
        assert "sara.ek@example.com" in summary and "Socialsekreterare" in summary
        assert "Klart! Sara Ek är kontaktperson" in sent(await a.press("✅ Bekräfta"))
        (handover,) = await handovers(two)
        assert handover.new_name == "Sara Ek"
        assert await wizard_rows(one) == []  # the wizard ended: its row is gone


async def test_a_restart_mid_wizard_resumes_where_it_was(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with replicas(make_settings, api, number=1) as (before,):
        await grant(before, ADMIN, "kungsholmen")
        admin = ChatDriver(before, api, user_id=ADMIN)
        await admin.send("/overlamning")
        await admin.press("Kungsholmen")
        await admin.send("Sara Ek")
        (row,) = await wizard_rows(before)
        assert row.name == "handover" and row.answers["name"] == "Sara Ek"
        assert row.answers["scope_name"] == "Kungsholmen"
    async with replicas(make_settings, api, number=1) as (after,):  # a new process
        admin = ChatDriver(after, api, user_id=ADMIN)
        assert "telefonnummer" in sent(await admin.send("Socialsekreterare"))
        await admin.send("08-465 004 20")
        await admin.press("Hoppa över")  # e-mail
        await admin.press("Hoppa över")  # hours
        await admin.send("idag")
        summary = sent(await admin.press("Hoppa över"))
        assert "Sara Ek" in summary and "Socialsekreterare" in summary
        await admin.press("✅ Bekräfta")
        assert [h.new_name for h in await handovers(after)] == ["Sara Ek"]


async def test_a_standby_that_takes_over_continues_the_leaders_wizard(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with replicas(make_settings, api, behind_a_load_balancer=False) as (leader, standby):
        await grant(leader, ADMIN, "kungsholmen")
        a, b = drivers([leader, standby], api, ADMIN)
        await a.send("/overlamning")
        await a.press("Kungsholmen")
        await a.send("Sara Ek")
        await reload_states(standby)  # what BotService does when the standby takes the lead
        assert "telefonnummer" in sent(await b.send("Socialsekreterare"))
        (row,) = await wizard_rows(standby)
        assert row.answers["name"] == "Sara Ek" and row.answers["title"] == "Socialsekreterare"


async def test_cancel_on_the_other_replica_ends_the_wizard_for_both(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with replicas(make_settings, api) as (one, two):
        await grant(one, ADMIN, "kungsholmen")
        a, b = drivers([one, two], api, ADMIN)
        await a.send("/overlamning")
        await a.press("Kungsholmen")
        assert "Avbrutet" in sent(await b.send("/avbryt"))
        # Replica one still had the wizard in memory; the text is a lookup now.
        assert "Stadsdelsområde Kungsholmen" in sent(await a.send("Kungsholmen"))
        assert await wizard_rows(one) == []


async def test_the_home_question_asked_on_one_replica_is_answered_on_another(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with replicas(make_settings, api) as (one, two):
        a, b = drivers([one, two], api, 7007)
        await a.send("Eriksdalsskolan")
        assert "folkbokfört" in sent(await a.press("Barnet bor i ett annat område"))
        text = sent(await b.send("Bagarmossen"))
        assert "Mottagningen barn och unga, Skarpnäck (exempel)" in text
        assert await wizard_rows(one) == []  # answered: nothing is kept


async def test_a_guide_started_on_one_replica_takes_typed_text_on_another(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with replicas(make_settings, api) as (one, two):
        a, b = drivers([one, two], api, 7008)
        prompt = sent(await walk_to(a, "s_where"))  # the guide's steps, all on replica one
        assert "Skriv barnets stadsdel eller område här" in prompt
        answer = sent(await b.send("Bagarmossen"))  # replica two knows the text is the answer
        assert "Mottagningen barn och unga, Skarpnäck (exempel)" in answer


async def test_picking_a_new_admin_is_finished_on_the_other_replica(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with replicas(make_settings, api) as (one, two):
        await ChatDriver(one, api, user_id=ADMIN).send("/start")
        a, b = drivers([one, two], api, CITY_ADMIN)
        await a.send("/behorighet ge Kungsholmen")
        text = sent(await b.share_user(picker_request_id(a), ADMIN, "Anna"))
        assert "Anna är nu administratör för Kungsholmen" in text


async def test_a_language_chosen_on_one_replica_is_spoken_by_the_other(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with replicas(make_settings, api) as (one, two):
        a, b = drivers([one, two], api, 7009)
        assert "Kontaktperson i socialtjänsten" in sent(await a.send("Vasa Real"))
        await b.send("/sprak")
        await b.press("English")
        assert "Social services contact person for schools" in sent(await a.send("Vasa Real"))


async def test_abandoned_wizards_are_purged_by_housekeeping(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with replicas(make_settings, api, number=1) as (app,):
        await grant(app, ADMIN, "kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        await admin.send("/overlamning")
        await admin.press("Kungsholmen")
        database = app.bot_data.services.database
        async with database.transaction() as session:
            kept = await retention.purge(
                session, utcnow(), outbox_days=0, audit_days=0, guide_idle_hours=0
            )
        assert kept.wizard_sessions == 0
        async with database.transaction() as session:
            later = utcnow() + timedelta(hours=25)
            purged = await retention.purge(
                session, later, outbox_days=0, audit_days=0, guide_idle_hours=0
            )
        assert purged.wizard_sessions == 1
        assert await count(app, WizardSession) == 0
