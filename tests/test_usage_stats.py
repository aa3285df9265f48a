"""The follow-up figures: counted without anyone in them, shown to admins, exported as CSV."""

from __future__ import annotations

import asyncio
import csv
import inspect
import io
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import BigInteger, event, select

from app.application import build_application
from app.cli import main
from app.transport import ApiCall
from bot.config import Settings
from bot.models import AuditEvent, Base, UsageCount, UsageEvent
from bot.runtime import Services
from bot.services import agreements, usage, usage_chart
from bot.services.authz import Actor
from bot.services.grants import grant_area_admin
from bot.services.usage import UsageRow
from bot.services.usage_chart import PNG_MAGIC
from tests.fakes import ChatDriver, RecordingBotApi, texts
from tests.support.clocks import VirtualClock

CITY_ADMIN = 5550001
AREA_ADMIN = 5550002  # admin of Södermalm
STRANGER = 5550003


@pytest.fixture
async def admin_app(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> AsyncIterator[Any]:
    settings = make_settings(city_admin_ids=(CITY_ADMIN,))
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        async with application.bot_data.services.database.transaction() as session:
            await grant_area_admin(session, Actor.cli(), AREA_ADMIN, "sodermalm")
        yield application


def driver(app: Any, api: RecordingBotApi, user_id: int) -> ChatDriver:
    return ChatDriver(app, api, user_id=user_id)


@asynccontextmanager
async def running(app: Any) -> AsyncIterator[Any]:
    """The application started, as in production: PTB runs handlers with `block=False` (such as
    /statistik) as tasks of a running application, and `stop()` waits for them to finish."""
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


async def statistik(
    app: Any, api: RecordingBotApi, user_id: int, command: str = "/statistik"
) -> list[ApiCall]:
    """Send /statistik and return every call it made, the chart drawn in the background too."""
    before = len(api.calls)
    async with running(app):
        await driver(app, api, user_id).send(command)
    return api.calls[before:]


async def counters(app_or_services: Any) -> list[tuple[date, str, str, str, int]]:
    services = getattr(app_or_services, "bot_data", None)
    services = services.services if services is not None else app_or_services
    await services.usage.flush(services.database)  # lookups are counted in memory first
    async with services.database.transaction() as session:
        rows = await session.execute(
            select(
                UsageCount.day,
                UsageCount.area_id,
                UsageCount.event,
                UsageCount.operator,
                UsageCount.count,
            ).order_by(UsageCount.area_id, UsageCount.event, UsageCount.operator)
        )
        return [tuple(row) for row in rows.tuples()]


# --- Counting ---


async def test_count_adds_up_per_day_area_event_and_operator(services: Services) -> None:
    day = date(2026, 3, 2)
    async with services.database.transaction() as session:
        await usage.count(session, day, UsageEvent.LOOKUP_ANSWERED, "bromma", "kommunal")
        await usage.count(session, day, UsageEvent.LOOKUP_ANSWERED, "bromma", "kommunal")
        await usage.count(session, day, UsageEvent.LOOKUP_ANSWERED, "bromma", "fristående")
        await usage.count(session, day, UsageEvent.LOOKUP_NO_MATCH, None)
    async with services.database.transaction() as session:
        await usage.count(session, day, UsageEvent.LOOKUP_NO_MATCH, None, by=2)
        await usage.count(session, day + timedelta(days=1), UsageEvent.LOOKUP_NO_MATCH, None)

    assert await counters(services) == [
        (day, "", "lookup_no_match", "", 3),
        (day + timedelta(days=1), "", "lookup_no_match", "", 1),
        (day, "bromma", "lookup_answered", "fristående", 1),
        (day, "bromma", "lookup_answered", "kommunal", 2),
    ]


async def test_count_refuses_an_unknown_operator(services: Services) -> None:
    async with services.database.transaction() as session:
        with pytest.raises(ValueError, match="operator"):
            await usage.count(session, date(2026, 3, 2), UsageEvent.LOOKUP_ANSWERED, "x", "privat")


async def test_concurrent_increments_are_not_lost(services: Services) -> None:
    day = date(2026, 3, 2)

    async def one() -> None:
        async with services.database.transaction() as session:
            await usage.count(session, day, UsageEvent.GUIDE_STARTED, None)

    await asyncio.gather(*(one() for _ in range(20)))

    assert await counters(services) == [(day, "", "guide_started", "", 20)]


# --- No figure can be traced back to a person ---

PERSONAL_WORDS = ("user", "chat", "telegram", "actor", "query", "text", "message", "_by")


def test_the_usage_table_has_no_column_that_could_name_a_person() -> None:
    table = UsageCount.__table__
    names = {column.name for column in table.columns}
    assert names == {"id", "day", "area_id", "event", "operator", "count"}
    for column in table.columns:
        assert not any(word in column.name for word in PERSONAL_WORDS)
        # Telegram ids are BigIntegers everywhere else in the schema.
        assert not isinstance(column.type, BigInteger)
    assert not table.foreign_keys


def test_counting_takes_no_user() -> None:
    parameters = set(inspect.signature(usage.count).parameters)
    assert parameters == {"session", "on", "event", "area_id", "operator", "by"}
    assert set(inspect.signature(usage.UsageBuffer.count_lookup).parameters) == {
        "self",
        "on",
        "card",
    }


@contextmanager
def statements_of(services: Services) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.lower())

    engine = services.database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_no_stats_query_reads_a_user_or_chat_column(services: Services) -> None:
    personal_tables = [
        t.name
        for t in Base.metadata.sorted_tables
        if any(isinstance(c.type, BigInteger) for c in t.columns)
    ]
    assert {"users", "grants", "notifications"} <= set(personal_tables)
    today = date(2026, 3, 31)
    async with services.database.transaction() as session:
        await usage.count(session, today, UsageEvent.LOOKUP_ANSWERED, "bromma", "kommunal")

    with statements_of(services) as seen:
        async with services.database.transaction() as session:
            rows = await usage.rows(session, today - timedelta(days=29), today)
            rows += await usage.rows(session, today, today, frozenset({"bromma"}))
            await usage.total(session, UsageEvent.LOOKUP_ANSWERED, today, today)
            await agreements.statuses(session, today)
        usage.summarise(rows, today, today)
        usage.weekly(rows, today - timedelta(days=29), today)

    reads = [s for s in seen if s.startswith("select")]
    assert reads, "the stats queries ran no SELECT at all"
    for statement in reads:
        for word in ("user_id", "chat_id", "actor", "users.", " users", *personal_tables):
            assert word not in statement.replace("usage_counts", ""), statement


# --- Lookups are counted (through the real Application) ---


async def test_lookups_are_counted_by_area_and_school_operator(app: Any, chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")  # municipal, Södermalm
    await chat.send("Fryshuset")  # free-standing, Södermalm
    await chat.send("Bagarmossen")  # a stadsdel of Skarpnäck: no operator
    await chat.send("Hogwarts")  # no match
    await chat.send("/kontakt Engelska skolan")  # free-standing, Norra innerstaden
    today = app.bot_data.services.today()

    assert await counters(app) == [
        (today, "", "lookup_no_match", "", 1),
        (today, "norra-innerstaden", "lookup_answered", "fristående", 1),
        (today, "skarpnack", "lookup_answered", "", 1),
        (today, "sodermalm", "lookup_answered", "fristående", 1),
        (today, "sodermalm", "lookup_answered", "kommunal", 1),
    ]


async def test_a_school_chosen_from_a_list_is_counted(app: Any, chat: ChatDriver) -> None:
    calls = await chat.send("Kungsholmen skola")
    assert "Vilken menar du" in texts(calls)[0]
    assert await counters(app) == []  # a list of choices is not an answer yet
    label, _ = ChatDriver.buttons(chat.last_with_buttons())[0]
    await chat.press(label)

    [(_, area, event_name, _, n)] = await counters(app)
    assert (area, event_name, n) == ("kungsholmen", "lookup_answered", 1)


# --- /statistik ---


async def test_statistik_is_refused_to_someone_without_a_role(
    admin_app: Any, api: RecordingBotApi
) -> None:
    calls = await statistik(admin_app, api, STRANGER)

    assert [c.method for c in calls] == ["sendMessage"]
    assert "till för administratörer" in texts(calls)[0]
    assert not api.uploads()
    async with admin_app.bot_data.services.database.transaction() as session:
        refused = (await session.scalars(select(AuditEvent.after))).all()
    assert {"action": "stats.view"} in refused


async def test_statistik_shows_a_table_and_a_png_chart_to_a_city_admin(
    admin_app: Any, api: RecordingBotApi
) -> None:
    teacher = driver(admin_app, api, 4242)
    for text in ("Eriksdalsskolan", "Eriksdalsskolan", "Fryshuset", "Bromma", "Hogwarts"):
        await teacher.send(text)
    services = admin_app.bot_data.services
    async with services.database.transaction() as session:
        earlier = services.today() - timedelta(days=10)
        await usage.count(session, earlier, UsageEvent.GUIDE_COMPLETED, None, by=3)
        await usage.count(session, earlier - timedelta(days=40), UsageEvent.GUIDE_COMPLETED, None)

    calls = await statistik(admin_app, api, CITY_ADMIN)

    assert [c.method for c in calls] == ["sendMessage", "sendMessage", "sendPhoto"]  # + followers
    table = texts(calls)[0]
    assert "<pre>" in table
    assert _row(table, "Södermalm") == ["2", "1", "0", "3"]
    assert _row(table, "Bromma") == ["0", "0", "1", "1"]
    assert _row(table, "Farsta") == ["0", "0", "0", "0"]
    assert _row(table, "Summa") == ["2", "1", "1", "4"]
    assert _row(table, "Uppslag utan träff") == ["1"]
    assert _row(table, "Guiden slutförd") == ["3"]  # the one 40 days ago is outside
    assert "saknas ⚠" in table  # no agreement dates recorded yet
    [(method, files)] = api.uploads()
    assert method == "sendPhoto"
    _name, content = files["photo"]
    assert content.startswith(PNG_MAGIC)
    assert len(content) > 10_000


async def test_an_area_admin_sees_only_their_own_areas(
    admin_app: Any, api: RecordingBotApi
) -> None:
    teacher = driver(admin_app, api, 4242)
    for text in ("Eriksdalsskolan", "Bromma", "Hogwarts"):
        await teacher.send(text)

    calls = await statistik(admin_app, api, AREA_ADMIN, "/stats")

    table = texts(calls)[0]
    assert _row(table, "Södermalm") == ["1", "0", "0", "1"]
    assert "Bromma" not in table
    assert _row(table, "Summa") == ["1", "0", "0", "1"]
    assert _row(table, "Uppslag utan träff") == ["1"]  # city-wide, no area
    assert [m for m, _ in api.uploads()] == ["sendPhoto"]


async def test_statistik_draws_its_chart_without_holding_up_other_users(
    admin_app: Any, api: RecordingBotApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawing, may_finish = threading.Event(), threading.Event()
    draw = usage_chart.draw

    def slow_draw(*args: Any) -> bytes:
        drawing.set()
        may_finish.wait(timeout=10)
        return draw(*args)

    monkeypatch.setattr(usage_chart, "draw", slow_draw)
    admin = driver(admin_app, api, CITY_ADMIN)
    async with running(admin_app):
        try:
            await asyncio.wait_for(admin.send("/statistik"), 3)
            assert await asyncio.to_thread(drawing.wait, 3)
            # While the chart is being drawn, a teacher's lookup is answered at once.
            lookup = driver(admin_app, api, 4242).send("Eriksdalsskolan")
            assert "<b>Eriksdalsskolan</b>" in texts(await asyncio.wait_for(lookup, 3))[0]
            assert not api.uploads()
        finally:
            may_finish.set()
    assert "<pre>" in texts(api.calls)[0]  # the admin's table came before the lookup's card
    assert [method for method, _ in api.uploads()] == ["sendPhoto"]


def _row(table: str, label: str) -> list[str]:
    for line in table.splitlines():
        if line.removeprefix("<pre>").startswith(label):
            return line.removeprefix("<pre>").removesuffix("</pre>")[20:].split()
    raise AssertionError(f"no row {label!r} in\n{table}")


def test_the_chart_is_a_png_with_and_without_data() -> None:
    from bot.i18n import translator

    start, end = date(2026, 3, 2), date(2026, 3, 31)
    rows = [
        UsageRow(date(2026, 3, 3), "bromma", "lookup_answered", "kommunal", 4),
        UsageRow(date(2026, 3, 20), "bromma", "lookup_answered", "fristående", 2),
        UsageRow(date(2026, 3, 20), None, "guide_completed", None, 1),
    ]
    series = usage.weekly(rows, start, end)
    assert series.lookups_by_area == {"bromma": (4, 0, 2, 0, 0)}
    assert series.lookups_by_operator["fristående"] == (0, 0, 2, 0, 0)
    assert series.guide_completed == (0, 0, 1, 0, 0)
    for data in (series, usage.weekly([], start, end)):
        png = usage_chart.draw(data, {"bromma": "Bromma"}, translator("en"))
        assert png.startswith(PNG_MAGIC)


# --- kontaktlotsen stats ---


PLANTED = [
    (date(2026, 1, 5), UsageEvent.LOOKUP_ANSWERED, "bromma", "kommunal", 3),
    (date(2026, 1, 5), UsageEvent.LOOKUP_ANSWERED, "bromma", "fristående", 1),
    (date(2026, 2, 9), UsageEvent.LOOKUP_NO_MATCH, None, "", 2),
    (date(2026, 6, 30), UsageEvent.HANDOVER_RECORDED, "farsta", "", 1),
    (date(2026, 7, 1), UsageEvent.GUIDE_COMPLETED, None, "", 5),  # after --to
]


async def _plant(
    database_url: str, planted: list[tuple[date, UsageEvent, str | None, str, int]] = PLANTED
) -> list[tuple[date, str, str, str, int]]:
    services = Services.create(Settings(_env_file=None, database_url=database_url))  # type: ignore[call-arg]
    await services.start()
    try:
        async with services.database.transaction() as session:
            for day, what, area, operator, n in planted:
                await usage.count(session, day, what, area, operator, by=n)
        return await counters(services)
    finally:
        await services.stop()


def test_the_csv_export_matches_the_counters(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    stored = asyncio.run(_plant(database_url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)

    assert main(["stats", "--from", "2026-01-01", "--to", "2026-06-30", "--csv"]) == 0
    exported = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))

    in_period = [
        {
            "day": day.isoformat(),
            "area_id": area,
            "event": what,
            "operator": operator,
            "count": str(n),
        }
        for day, area, what, operator, n in stored
        if day <= date(2026, 6, 30)
    ]
    assert len(in_period) == 4
    key = lambda row: (row["day"], row["area_id"], row["event"], row["operator"])  # noqa: E731
    assert sorted(exported, key=key) == sorted(in_period, key=key)
    assert list(exported[0]) == ["day", "area_id", "event", "operator", "count"]

    assert main(["stats", "--from", "2026-01-01", "--to", "2026-06-30"]) == 0
    summary = capsys.readouterr().out
    assert summary.split("Uppslag med svar")[1].split()[0] == "4"
    assert summary.split("Guiden slutförd")[1].split()[0] == "0"
    bromma = next(line for line in summary.splitlines() if line.strip().startswith("Bromma"))
    assert bromma.split()[1:] == ["3", "1", "0", "=", "4"]


def test_the_default_period_is_this_year_up_to_today_in_stockholm(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # New Year's morning in Stockholm; a server on UTC (date.today()) is still in last year.
    new_year = date(2031, 1, 1)
    asyncio.run(_plant(database_url, [(new_year, UsageEvent.GUIDE_COMPLETED, None, "", 2)]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)

    # 23:30 UTC on New Year's Eve is 00:30 on New Year's Day in Stockholm.
    clock = VirtualClock(datetime(2030, 12, 31, 23, 30, tzinfo=UTC))
    assert main(["stats"], clock=clock) == 0
    summary = capsys.readouterr().out
    assert summary.splitlines()[0] == "Kontaktlotsen, uppföljning 2031-01-01 – 2031-01-01"
    assert summary.split("Guiden slutförd")[1].split()[0] == "2"


def test_the_summary_is_in_the_default_language(
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Any,
    capsys: pytest.CaptureFixture[str],
) -> None:
    asyncio.run(_plant(database_url))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DEFAULT_LANGUAGE", "en")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)

    assert main(["stats", "--from", "2026-01-01", "--to", "2026-06-30"]) == 0
    summary = capsys.readouterr().out
    assert summary.startswith("Kontaktlotsen, follow-up 2026-01-01 – 2026-06-30")
    assert summary.split("Lookups answered")[1].split()[0] == "4"
    assert "Cooperation agreement, last revised" in summary and "missing" in summary
    assert main(["stats", "--from", "2026-06-30", "--to", "2026-01-01"]) == 2
    assert capsys.readouterr().err.strip() == "--to is before --from."


# --- Handovers are counted (the /overlamning wizard through the real Application) ---


async def test_a_recorded_handover_is_counted_once(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    from tests.admin_support import CITY_ADMIN as HANDOVER_ADMIN
    from tests.admin_support import admin_app as handover_app
    from tests.admin_support import walk_handover

    async with handover_app(make_settings, api) as app:
        admin = ChatDriver(app, api, user_id=HANDOVER_ADMIN)
        await walk_handover(admin, "Kungsholmen")
        summary = admin.last_with_buttons()
        update = admin.factory.callback(admin.button_data(summary, "✅ Bekräfta"), summary)
        assert "Klart!" in texts(await admin.process(update))[-1]
        assert "redan registrerad" in texts(await admin.process(update))[-1]  # delivered twice

        today = app.bot_data.services.today()
        assert await counters(app) == [(today, "kungsholmen", "handover_recorded", "", 1)]


# --- The guide is counted (/anmalan through the real Application) ---


async def test_guide_starts_and_completions_are_counted(app: Any, chat: ChatDriver) -> None:
    from bot.services.guide import encode_callback
    from tests.test_guide_conversation import GUIDE, PATHS, label

    path = PATHS[0]
    await chat.send("/anmalan")
    for node_id, answer in path:
        if answer is not None:
            await chat.press(label(GUIDE.node(node_id), answer, "sv"))
    await chat.send("/anmalan")  # the checklist ended it: a new start
    first_node, first_answer = path[0]
    assert first_answer is not None
    await chat.press(label(GUIDE.node(first_node), first_answer, "sv"))
    await chat.send("/anmalan")  # a guide is unfinished: go on, or start anew?
    await chat.press("Fortsätt där jag slutade")  # resumed where the user left it: not a start
    step = chat.last_with_buttons()
    await chat.send("/avbryt")
    restart = encode_callback(path[1][0], "restart")
    await chat.press(data=restart, message=step)  # an old Börja om after cancel: a start

    today = app.bot_data.services.today()
    guide = [row for row in await counters(app) if row[2].startswith("guide_")]
    assert guide == [(today, "", "guide_completed", "", 1), (today, "", "guide_started", "", 3)]
