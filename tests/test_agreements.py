"""The cooperation agreement (samverkansöverenskommelse): recorded by admins, reminded weekly."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import date, timedelta
from typing import Any

import pytest
from alembic import command
from sqlalchemy import create_engine, inspect, select, text

from app.application import build_application
from app.jobs import send_agreement_reminders
from bot.config import Settings
from bot.db import alembic_config
from bot.models import Area, AuditEvent, UsageCount
from bot.services import agreements
from bot.services.agreements import is_overdue, months_before
from bot.services.authz import Actor
from bot.services.errors import AdminError
from bot.services.grants import grant_area_admin
from knowledge.directory import shipped_geography
from tests.fakes import ChatDriver, RecordingBotApi, texts
from tests.test_usage_stats import statistik

CITY_ADMIN = 5550001
AREA_ADMIN = 5550002  # admin of Södermalm and Farsta
STRANGER = 5550003


@pytest.fixture
async def app(make_settings: Callable[..., Settings], api: RecordingBotApi) -> AsyncIterator[Any]:
    settings = make_settings(city_admin_ids=(CITY_ADMIN,))
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        async with application.bot_data.services.database.transaction() as session:
            await grant_area_admin(session, Actor.cli(), AREA_ADMIN, "sodermalm")
            await grant_area_admin(session, Actor.cli(), AREA_ADMIN, "farsta")
        yield application


async def revised_on(app: Any, area_id: str) -> date | None:
    async with app.bot_data.services.database.transaction() as session:
        area = await session.get(Area, area_id)
        assert area is not None
        revised: date | None = area.agreement_revised_on
        return revised


async def set_revised(app: Any, dates: dict[str, date | None]) -> None:
    async with app.bot_data.services.database.transaction() as session:
        for area in await session.scalars(select(Area)):
            area.agreement_revised_on = dates.get(area.id, area.agreement_revised_on)


def test_an_area_is_found_by_name_slug_or_former_name_however_typed() -> None:
    areas = shipped_geography().areas
    for typed in ("Enskede-Årsta-Vantör", "enskede arsta vantor", "ENSKEDE_ÅRSTA_VANTÖR"):
        assert agreements.find_area(areas, typed) == "enskede-arsta-vantor", typed
    # Folded as the lookup folds names: punctuation typed around a name does not hide it.
    assert agreements.find_area(areas, "Södermalm,") == "sodermalm"
    assert agreements.find_area(areas, "Atlantis") is None
    assert agreements.parse_revision("Södermalm, 2026-03-15", areas, date(2026, 11, 22)) == (
        "sodermalm",
        date(2026, 3, 15),
    )


def test_agreement_errors_are_admin_errors() -> None:
    # Handlers catch the services' errors by their common base; these are two of them.
    assert issubclass(agreements.FutureRevision, AdminError)
    assert issubclass(agreements.AreaNotUnderstood, AdminError)


def test_overdue_after_twelve_months_or_when_missing() -> None:
    today = date(2026, 11, 22)
    assert is_overdue(None, today)
    assert not is_overdue(date(2025, 11, 22), today)
    assert is_overdue(date(2025, 11, 21), today)
    assert months_before(date(2024, 2, 29), 12) == date(2023, 2, 28)


async def test_an_area_admin_records_a_revision_for_their_area(
    app: Any, api: RecordingBotApi
) -> None:
    admin = ChatDriver(app, api, user_id=AREA_ADMIN)

    calls = await admin.send("/samverkansavtal Södermalm 2026-03-15")

    assert "reviderades 15 mars 2026" in texts(calls)[0]
    assert await revised_on(app, "sodermalm") == date(2026, 3, 15)
    async with app.bot_data.services.database.transaction() as session:
        event = await session.scalar(
            select(AuditEvent).where(AuditEvent.action == "agreement.revise")
        )
    assert event is not None
    assert (event.actor, event.target) == (str(AREA_ADMIN), "a:sodermalm")
    assert (event.before, event.after) == ({"revised_on": None}, {"revised_on": "2026-03-15"})
    listing = texts(await admin.send("/samverkansavtal"))[0]
    assert "Södermalm" in listing and "2026-03-15" in listing
    assert "Farsta" in listing and "Bromma" not in listing


async def test_another_areas_agreement_is_refused_and_audited(
    app: Any, api: RecordingBotApi
) -> None:
    admin = ChatDriver(app, api, user_id=AREA_ADMIN)

    calls = await admin.send("/samverkansavtal Bromma 2026-03-15")

    assert "dina egna områden" in texts(calls)[0]
    assert await revised_on(app, "bromma") is None
    async with app.bot_data.services.database.transaction() as session:
        refused = (await session.scalars(select(AuditEvent.after))).all()
    assert {"action": "agreement.revise"} in refused


@pytest.mark.parametrize(
    ("command", "answer"),
    [
        ("/samverkansavtal Atlantis 2026-03-15", "känner inte igen området"),
        ("/samverkansavtal Södermalm snart", "förstår inte datumet"),
        ("/samverkansavtal Södermalm 2099-01-01", "ligger i framtiden"),
    ],
)
async def test_bad_input_is_explained(
    app: Any, api: RecordingBotApi, command: str, answer: str
) -> None:
    calls = await ChatDriver(app, api, user_id=AREA_ADMIN).send(command)
    assert answer in texts(calls)[0]
    assert await revised_on(app, "sodermalm") is None


async def test_someone_without_a_role_is_refused(app: Any, api: RecordingBotApi) -> None:
    calls = await ChatDriver(app, api, user_id=STRANGER).send("/samverkansavtal Bromma idag")
    assert "till för administratörer" in texts(calls)[0]
    assert await revised_on(app, "bromma") is None


async def test_a_city_admin_records_any_area_and_statistik_shows_it(
    app: Any, api: RecordingBotApi
) -> None:
    admin = ChatDriver(app, api, user_id=CITY_ADMIN)
    await admin.send("/agreement norra innerstaden 2024-01-10")
    assert await revised_on(app, "norra-innerstaden") == date(2024, 1, 10)

    table = texts(await statistik(app, api, CITY_ADMIN))[0]
    line = next(x for x in table.splitlines() if x.startswith("Norra innerstaden") and "20" in x)
    assert line.split()[-2:] == ["2024-01-10", "⚠"]


async def test_the_weekly_reminder_goes_to_the_admins_of_overdue_areas(
    app: Any, api: RecordingBotApi
) -> None:
    services = app.bot_data.services
    today = services.today()
    fresh = today - timedelta(days=30)
    # Every area fresh except Farsta (too old) and Södermalm and Bromma (never recorded).
    async with services.database.transaction() as session:
        area_ids = list(await session.scalars(select(Area.id)))
    await set_revised(app, {area_id: fresh for area_id in area_ids})
    await set_revised(
        app, {"farsta": today - timedelta(days=400), "sodermalm": None, "bromma": None}
    )

    sent = await send_agreement_reminders(services, app.bot)

    messages = {c.params["chat_id"]: c.params["text"] for c in api.calls_of("sendMessage")}
    assert sent == 2 and set(messages) == {AREA_ADMIN, CITY_ADMIN}
    assert "Farsta: senast reviderad" in messages[AREA_ADMIN]
    assert "Södermalm: inget datum registrerat" in messages[AREA_ADMIN]
    assert "Bromma" not in messages[AREA_ADMIN]
    # Bromma has no area admin: the city admins are reminded instead.
    assert "Bromma: inget datum registrerat" in messages[CITY_ADMIN]
    async with services.database.transaction() as session:
        counted = (
            await session.execute(
                select(UsageCount.area_id, UsageCount.count).where(
                    UsageCount.event == "agreement_reminder_sent"
                )
            )
        ).tuples()
        assert sorted(counted) == [("bromma", 1), ("farsta", 1), ("sodermalm", 1)]


async def test_no_reminder_when_every_agreement_is_fresh(app: Any, api: RecordingBotApi) -> None:
    services = app.bot_data.services
    async with services.database.transaction() as session:
        for area in await session.scalars(select(Area)):
            area.agreement_revised_on = services.today()
    assert await send_agreement_reminders(services, app.bot) == 0
    assert api.calls_of("sendMessage") == []


async def test_an_undeliverable_reminder_is_not_counted(app: Any, api: RecordingBotApi) -> None:
    api.failure = lambda call: (
        (403, {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked"})
        if call.method == "sendMessage" and call.params["chat_id"] == AREA_ADMIN
        else None
    )
    sent = await send_agreement_reminders(app.bot_data.services, app.bot)
    assert sent == 1  # the city admins' message (for areas without admins) went out
    async with app.bot_data.services.database.transaction() as session:
        areas = set((await session.scalars(select(UsageCount.area_id))).all())
    assert "sodermalm" not in areas and "farsta" not in areas and "bromma" in areas


async def test_the_statuses_are_limited_to_an_area_filter(services: Any) -> None:
    async with services.database.transaction() as session:
        shown = await agreements.statuses(session, date(2026, 1, 1), frozenset({"farsta"}))
    assert [s.area_id for s in shown] == ["farsta"]


def test_migration_0004_adds_the_column_and_keeps_the_areas(tmp_path: Any) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'old.sqlite3'}")
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "0001")
        connection.execute(
            text(
                "INSERT INTO areas (id, name, genitive_name, aliases) VALUES ('x', 'X', 'X', '[]')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO schools (name, kind, operator, area_id, aliases) "
                "VALUES ('S', 'grundskola', 'kommunal', 'x', '[]')"
            )
        )
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), "heads")
        columns = {c["name"] for c in inspect(connection).get_columns("areas")}
        assert "agreement_revised_on" in columns
        rows = connection.execute(text("SELECT id, agreement_revised_on FROM areas")).all()
        assert [tuple(row) for row in rows] == [("x", None)]
        assert connection.execute(text("SELECT count(*) FROM schools")).scalar() == 1
        assert {"usage_counts", "installation_keys"} <= set(inspect(connection).get_table_names())
    with engine.begin() as connection:
        command.downgrade(alembic_config(connection), "0004@0001")
        columns = {c["name"] for c in inspect(connection).get_columns("areas")}
        assert "agreement_revised_on" not in columns
        assert connection.execute(text("SELECT count(*) FROM schools")).scalar() == 1
    engine.dispose()
