"""Contact cards from memory (`bot.services.contact_cards`): the same answers as the database,
never stale after a change (here, in another instance, on a new day), and a lookup that needs
no database at all; the buffered lookup counts reach the table when flushed."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from bot.config import Settings
from bot.db import code_heads
from bot.models import School, UsageCount
from bot.runtime import Services
from bot.services import revisions
from tests.admin_support import ADMIN, admin_app, grant, sent, walk_handover
from tests.fakes import ChatDriver, RecordingBotApi
from tests.support.clocks import VirtualClock
from tests.test_import_export import import_files, parse

MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 2)
CONTACTS = (
    "role,area_id,school,name,phone,valid_from,confirmed_on,deputy_for,back_on\n"
    # A change planned in Bromma, a school's own contact, a deputy covering Kungsholmen.
    "samverkan,bromma,,Ny Person (exempel),08-465 004 50,2026-12-07,2026-11-20,,\n"
    "samverkan,,Eriksdalsskolan,Skolans Egen (exempel),08-465 004 60,2026-02-01,2026-02-01,,\n"
    "samverkan,kungsholmen,,Vera Vikarie (exempel),070-174 06 33,2026-12-03,,"
    "Fatima Noor (exempel),2026-12-06\n"
)


async def test_the_cards_from_memory_are_the_cards_from_the_database(
    services: Services,
) -> None:
    await import_files(services, parse(services, CONTACTS))
    async with services.database.transaction() as session:
        school_ids = list(await session.scalars(select(School.id).order_by(School.id)))
        sample = school_ids[::15]
        sample += [
            sid
            for sid in await session.scalars(
                select(School.id).where(School.area_id.in_(["bromma", "kungsholmen", "sodermalm"]))
            )
        ]
        checked = 0
        for offset in (0, 1, 4, 5, 7, 30):
            on = TODAY + timedelta(days=offset)
            for area_id in services.geography.area_ids:
                mine = await services.cards.card_for_area(session, area_id, on)
                assert mine == await services.contacts.card_for_area(session, area_id, on)
                checked += 1
            for school_id in sample:
                mine = await services.cards.card_for_school(session, school_id, on)
                assert mine == await services.contacts.card_for_school(session, school_id, on)
                checked += 1
            assert await services.cards.socialjour(session, on) == (
                await services.contacts.socialjour(session, on)
            )
        assert await services.cards.card_for_school(session, max(school_ids) + 1, TODAY) is None
        assert await services.cards.card_for_area(session, "atlantis", TODAY) is None
    assert checked > 100


async def test_a_contact_import_moves_the_contacts_revision_and_the_cards_follow(
    services: Services,
) -> None:
    async with services.database.transaction() as session:
        before = await revisions.current(session)
        card = await services.cards.card_for_area(session, "kungsholmen", date(2026, 12, 4))
    assert card is not None and card.cooperation is not None
    assert card.cooperation.name == "Fatima Noor (exempel)"

    await import_files(services, parse(services, CONTACTS))

    async with services.database.transaction() as session:
        after = await revisions.current(session)
        card = await services.cards.card_for_area(session, "kungsholmen", date(2026, 12, 4))
    assert after.contacts == before.contacts + 1
    assert after.directory == before.directory  # the names did not change: no index rebuild
    assert card is not None and card.cooperation is not None
    assert card.cooperation.name == "Vera Vikarie (exempel)"
    assert card.cooperation.deputy_for == "Fatima Noor (exempel)"


async def test_a_handover_in_one_instance_shows_in_another_after_its_refresh(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api, clock=VirtualClock(MORNING)) as app:
        other = Services.create(app.bot_data.services.settings, clock=VirtualClock(MORNING))
        await other.start()
        try:
            await grant(app, ADMIN, "kungsholmen")
            admin = ChatDriver(app, api, user_id=ADMIN)
            await walk_handover(admin, name="Sara Ek", date="idag")
            assert "Klart!" in sent(await admin.press("✅ Bekräfta"))

            async def shown_by_other() -> str | None:
                async with other.database.transaction() as session:
                    card = await other.cards.card_for_area(session, "kungsholmen", TODAY)
                return card.cooperation.name if card and card.cooperation else None

            assert await shown_by_other() == "Fatima Noor (exempel)"  # until it looks
            await other.refresh()  # what the refresh_directory job does every few seconds
            assert await shown_by_other() == "Sara Ek"
            # In the instance where it happened, the very next card shows it.
            teacher = ChatDriver(app, api, user_id=4242)
            assert "Sara Ek" in sent(await teacher.send("Kungsholmen"))
        finally:
            await other.stop()


async def test_a_planned_contact_takes_over_on_its_day_without_a_rebuild(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    clock = VirtualClock(MORNING)
    async with admin_app(make_settings, api, clock=clock) as app:
        await grant(app, ADMIN, "kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        await walk_handover(admin, name="Sara Ek", date=(TODAY + timedelta(days=5)).isoformat())
        assert "Klart!" in sent(await admin.press("✅ Bekräfta"))
        teacher = ChatDriver(app, api, user_id=4242)
        card = sent(await teacher.send("Kungsholmen"))
        assert "Fatima Noor (exempel)" in card and "Från " in card and "Sara Ek" in card

        clock.advance(timedelta(days=5))
        card = sent(await teacher.send("Kungsholmen"))
        assert "Sara Ek" in card and "Fatima Noor" not in card and "Från " not in card


@contextmanager
def read_only(services: Services) -> Iterator[list[str]]:
    """Every new connection refuses writes (PRAGMA query_only); the statements sent, listed."""
    engine = services.database.engine.sync_engine
    seen: list[str] = []

    def refuse_writes(connection: Any, _record: Any) -> None:
        cursor = connection.cursor()
        cursor.execute("PRAGMA query_only = ON")
        cursor.close()

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "connect", refuse_writes)
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "connect", refuse_writes)
        event.remove(engine, "before_cursor_execute", record)


async def test_a_lookup_answers_from_a_read_only_database_and_counts_reach_the_table_on_flush(
    app: Any, chat: ChatDriver, database_url: str
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the read-only file is SQLite's case")
    services: Services = app.bot_data.services
    await chat.send("/start")  # the user is known (their language is read once)
    await services.database.engine.dispose()  # connections opened from now on are read-only
    with read_only(services) as statements:
        answers = [sent(await chat.send(q)) for q in ("Eriksdalsskolan", "Bagarmossen", "Zz")]
        await services.flush_usage()  # refused: the counts stay in memory
    assert "Nora Vik (exempel)" in answers[0] and "Skarpnäck" in answers[1]
    assert "Jag hittade ingen skola" in answers[2]
    assert [s for s in statements if "usage_counts" not in s] == []  # no lookup asked
    assert services.usage.pending == 3

    await services.database.engine.dispose()  # writable again
    await services.usage.flush(services.database)
    async with services.database.transaction() as session:
        rows = await session.execute(
            select(UsageCount.area_id, UsageCount.event, UsageCount.count)
        )
    assert sorted(rows.tuples()) == [
        ("", "lookup_no_match", 1),
        ("skarpnack", "lookup_answered", 1),
        ("sodermalm", "lookup_answered", 1),
    ]
    assert services.usage.pending == 0


async def test_the_language_is_read_again_after_sprak_and_after_erasure(
    app: Any, chat: ChatDriver
) -> None:
    await chat.send("/sprak")
    await chat.press("English")
    assert "Social services contact person for schools" in sent(await chat.send("Vasa Real"))
    await chat.send("/forget_me")
    await chat.press("Yes, erase everything")
    card = sent(await chat.send("Vasa Real"))  # Swedish again: the chosen language is gone
    assert "Kontaktperson i socialtjänsten för skolor" in card


def test_the_migration_heads_read_without_alembic_are_alembics_heads() -> None:
    from alembic.script import ScriptDirectory

    from bot.db import alembic_config

    heads = ScriptDirectory.from_config(alembic_config()).get_heads()
    assert code_heads() == frozenset(heads)


CHILD = """
import asyncio, sys
from app.application import build_application
from app.transport import EmulatedBotApi, UpdateFactory
from bot.config import Settings

async def main():
    settings = Settings(_env_file=None, database_url=sys.argv[1], telegram_bot_token=None)
    application = build_application(settings, request=EmulatedBotApi(), rate_limit=False)
    async with application:
        await application.process_update(UpdateFactory(application.bot).message("Vasa Real"))
    loaded = sorted({m.split(".")[0] for m in sys.modules} & {"matplotlib", "alembic", "mako"})
    print(",".join(loaded))

asyncio.run(main())
"""


def test_a_started_bot_that_answered_a_lookup_has_not_loaded_matplotlib_or_alembic(
    database_url: str,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("one backend is enough for an import check")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, database_url],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.strip() == ""
