"""Skolverket's school-unit register: the fixture, re-import, closing, broken files, live HTTP.

The fixture (`tests/fixtures/skolenhetsregistret/`, its README says where each field's shape
comes from) is a saved response of the API's unit endpoint. The live path is tested against
httpx's MockTransport serving the same responses: no test touches the internet.
"""

from __future__ import annotations

import argparse
import copy
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app import register_cli
from bot.models import DirectoryRevision, Follow, Notification, School, User
from bot.runtime import Services
from bot.services.register_client import fetch_units, register_client
from bot.services.register_format import parse_saved, parse_units
from bot.services.register_import import SCHOOL_CLOSED, RegisterImport, RegisterReport
from knowledge.errors import KnowledgeError
from tests.fakes import ChatDriver, texts

FIXTURE = Path(__file__).parent / "fixtures" / "skolenhetsregistret"
UNITS = FIXTURE / "units_0180.json"
LIST = FIXTURE / "list_0180.json"
FREE_STANDING = {
    "91000003": ("Internationella Engelska Skolan Enskede", "enskede-arsta-vantor"),
    "91000004": ("Internationella Engelska Skolan Hässelby", "hasselby-vallingby"),
    "91000005": ("Internationella Engelska Skolan Liljeholmen", "hagersten-alvsjo"),
    "91000006": ("Internationella Engelska Gymnasiet Södermalm", "sodermalm"),
    "91000007": ("Kunskapsskolan Kista", "jarva"),
    "91000008": ("Kunskapsskolan Enskede", "enskede-arsta-vantor"),
    "91000009": ("Vittra Södermalm", "sodermalm"),
    "91000010": ("Raoul Wallenbergskolan Bromma", "bromma"),
}


def responses() -> list[Any]:
    data: list[Any] = json.loads(UNITS.read_text(encoding="utf-8"))
    return data


def with_status(data: list[Any], code: str, status: str) -> list[Any]:
    changed = copy.deepcopy(data)
    for unit in changed:
        if unit["data"]["schoolUnitCode"] == code:
            unit["data"]["attributes"]["status"] = status
    return changed


async def apply(services: Services, data: Any, *, complete: bool = True) -> RegisterReport:
    units = parse_units(data if isinstance(data, list) else [data], "test.json")
    assert services.index.home is not None
    async with services.database.transaction() as session:
        report = await RegisterImport(session, services.index.home, services.geography).apply(
            units, complete=complete, now=services.clock.now()
        )
    async with services.database.transaction() as session:
        await services.index.refresh_if_changed(session)
    return report


async def schools(services: Services) -> list[tuple[Any, ...]]:
    async with services.database.transaction() as session:
        rows = await session.scalars(select(School).order_by(School.id))
        return [
            (s.id, s.name, s.skolenhetskod, s.area_id, s.stadsdel, s.status, s.operator, s.kind)
            for s in rows
        ]


async def test_the_fixture_places_every_unit_where_it_stands(services: Services) -> None:
    before = len(await schools(services))
    report = await apply(services, responses())
    assert sorted(report.new) == sorted(
        [f"{name} ({code})" for code, (name, _) in FREE_STANDING.items()]
        + ["Vällingby anpassade grundskola (91000011)"]
    )
    # The example directory's buildings gain their code instead of a twin.
    assert report.changed == ["Eriksdalsskolan (91000001)", "Rinkebyskolan (91000002)"]
    assert report.unplaced == ["Stadsgårdens gymnasium (91000013)"]  # no coordinates, postort
    assert report.skipped == 2  # the closed unit (UPPHORT) and the fritidshem
    rows = {row[2]: row for row in await schools(services) if row[2]}
    assert len(await schools(services)) == before + 9
    city = services.index.home.city_map if services.index.home else None
    assert city is not None
    for unit in parse_units(responses(), "fixture"):
        if unit.code not in rows:
            continue
        assert unit.lat is not None and unit.lon is not None
        placed = city.locate(unit.lat, unit.lon)
        assert placed is not None
        assert rows[unit.code][3:5] == (placed.area_id, placed.stadsdel), unit.name
    for code, (name, area_id) in FREE_STANDING.items():
        assert rows[code][1] == name and rows[code][3] == area_id
        assert rows[code][6] == "fristående"
    assert rows["91000006"][7] == "gymnasium"
    assert rows["91000011"][7] == "anpassad_skola"
    assert rows["91000001"][6] == "kommunal"


async def test_a_second_import_changes_nothing(services: Services) -> None:
    await apply(services, responses())
    first = await schools(services)
    async with services.database.transaction() as session:
        revision = await session.get(DirectoryRevision, 1)
        assert revision is not None
        number = revision.revision
    report = await apply(services, responses())
    assert (report.new, report.changed, report.closed) == ([], [], [])
    assert report.unchanged == 11
    assert await schools(services) == first
    async with services.database.transaction() as session:
        revision = await session.get(DirectoryRevision, 1)
        assert revision is not None and revision.revision == number  # no index rebuild


async def follow(services: Services, user_id: int, code: str) -> None:
    async with services.database.transaction() as session:
        school = await session.scalar(select(School).where(School.skolenhetskod == code))
        assert school is not None
        session.add(User(id=user_id))
        await session.flush()
        session.add(Follow(user_id=user_id, target=f"s:{school.id}", school_id=school.id))


async def notifications(services: Services) -> list[tuple[int, dict[str, Any]]]:
    async with services.database.transaction() as session:
        rows = await session.scalars(
            select(Notification).where(Notification.kind == SCHOOL_CLOSED)
        )
        return [(n.chat_id, n.payload) for n in rows]


async def test_a_closed_unit_is_kept_and_its_followers_are_told_once(services: Services) -> None:
    await apply(services, responses())
    await follow(services, 5551, "91000009")
    report = await apply(services, with_status(responses(), "91000009", "UPPHORT"))
    assert report.closed == ["Vittra Södermalm (91000009)"]
    rows = {row[2]: row for row in await schools(services)}
    assert rows["91000009"][5] == "closed"  # kept, not deleted
    assert await notifications(services) == [
        (5551, {"school_name": "Vittra Södermalm", "area_name": "Södermalm"})
    ]
    # It leaves the lookup, and importing the same again tells nobody anything new.
    found = services.index.everything.search("Vittra Södermalm")
    assert all(m.entry.name != "Vittra Södermalm" for m in found.matches)
    again = await apply(services, with_status(responses(), "91000009", "UPPHORT"))
    assert again.closed == [] and again.notified == 0
    assert len(await notifications(services)) == 1


async def test_a_unit_that_left_the_register_is_closed(services: Services) -> None:
    await apply(services, responses())
    without = [u for u in responses() if u["data"]["schoolUnitCode"] != "91000007"]
    report = await apply(services, without)
    assert report.closed == ["Kunskapsskolan Kista (91000007)"]
    # One saved unit is not the whole municipality: nothing is closed for being absent.
    single = parse_saved("one.json", json.dumps(responses()[0]).encode())
    assert single[1] is False


async def test_a_broken_file_changes_nothing(services: Services, tmp_path: Path) -> None:
    before = await schools(services)
    broken = responses()
    del broken[3]["data"]["attributes"]["displayName"]
    broken[5]["data"]["schoolUnitCode"] = "12AB"
    with pytest.raises(KnowledgeError) as raised:
        parse_units(broken, "broken.json")
    messages = [str(problem) for problem in raised.value.problems]
    assert any("91000004" in m and "displayName" in m for m in messages)
    assert any("schoolUnitCode" in m for m in messages)
    path = tmp_path / "broken.json"
    path.write_text(UNITS.read_text(encoding="utf-8")[:-200], encoding="utf-8")
    args = argparse.Namespace(file=path, municipality="0180", save=None, concurrency=2)
    with pytest.raises(KnowledgeError):
        await register_cli.import_register(services, args)
    list_only = tmp_path / "list.json"
    list_only.write_text(LIST.read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="listan"):
        await register_cli.import_register(services, argparse.Namespace(file=list_only))
    assert await schools(services) == before


# --- the live path, against a fake server ----------------------------------------------------


class FakeRegister:
    """Serves the fixture as the API would; the first request for one unit fails with 503."""

    def __init__(self, flaky: str | None = None) -> None:
        self.units = {u["data"]["schoolUnitCode"]: u for u in responses()}
        self.requests: list[httpx.Request] = []
        self.flaky = flaky

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        if path == "/skolenhetsregistret/v2/school-units":
            return httpx.Response(200, json=json.loads(LIST.read_text(encoding="utf-8")))
        code = path.rsplit("/", 1)[-1]
        if code == self.flaky:
            self.flaky = None
            return httpx.Response(503, json={"title": "Service Unavailable"})
        if code in self.units:
            return httpx.Response(200, json=self.units[code])
        return httpx.Response(404, json={"status": "404"})


async def no_pause(seconds: float) -> None:
    del seconds


async def test_the_live_client_reads_the_list_then_each_active_unit() -> None:
    server = FakeRegister(flaky="91000007")
    progress: list[tuple[int, int]] = []
    async with register_client(transport=httpx.MockTransport(server)) as client:
        fetched = await fetch_units(
            client,
            "0180",
            concurrency=3,
            progress=lambda d, t: progress.append((d, t)),
            pause=no_pause,
        )
    listed = server.requests[0]
    assert listed.url.params.get_list("municipality_code") == ["0180"]
    assert "GR" in listed.url.params.get_list("school_type")
    asked = [r.url.path.rsplit("/", 1)[-1] for r in server.requests[1:]]
    assert "91000012" not in asked  # UPPHORT in the list: no need to read it
    assert asked.count("91000007") == 2  # retried after the 503
    assert len(fetched) == 13 and progress[-1] == (13, 13)


async def test_the_live_client_gives_up_cleanly() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    async with register_client(transport=httpx.MockTransport(down)) as client:
        with pytest.raises(Exception, match="efter 4 försök"):
            await fetch_units(client, "0180", pause=no_pause)


async def test_import_register_live_then_from_its_saved_file(
    services: Services, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "saved.json"
    args = argparse.Namespace(file=None, municipality="0180", save=saved, concurrency=4)
    transport = httpx.MockTransport(FakeRegister())
    assert await register_cli.import_register(services, args, transport=transport) == 0
    out = capsys.readouterr().out
    assert "Nya: 9 · ändrade: 2 · stängda: 0" in out
    assert "Stadsgårdens gymnasium (91000013)" in out
    again = argparse.Namespace(file=saved, municipality="0180", save=None, concurrency=4)
    assert await register_cli.import_register(services, again) == 0
    assert "Nya: 0 · ändrade: 0 · stängda: 0" in capsys.readouterr().out


# --- through the bot -------------------------------------------------------------------------


async def test_free_standing_units_are_found_as_people_type_them(
    app: Any, chat: ChatDriver
) -> None:
    services: Services = app.bot_data.services
    await apply(services, responses())
    for typed in (
        "ies enskede",
        "Internationela Engelska skolan Enskde",
        "engelska skolan enskede",
    ):
        text = "\n".join(texts(await chat.send(typed)))
        assert "<b>Internationella Engelska Skolan Enskede</b>" in text, typed
        assert "fristående" in text
    text = "\n".join(texts(await chat.send("kunskapskolan kista")))
    assert "<b>Kunskapsskolan Kista</b>" in text
    text = "\n".join(texts(await chat.send("IES")))
    assert "Vilken menar du?" in text
    labels = [label for label, _ in chat.buttons(chat.last_message())]
    assert "Internationella Engelska Skolan Hässelby (Hässelby-Vällingby)" in labels


# --- the CSV import and check-directory ------------------------------------------------------


@pytest.fixture
def cli_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without .env and a SQLite file of its own (as in test_cli)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return tmp_path


def test_check_directory_over_the_shipped_file_finds_nothing(
    cli_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main
    from knowledge.directory import EXAMPLE_SCHOOLS_FILE

    assert main(["check-directory", str(EXAMPLE_SCHOOLS_FILE)]) == 0
    assert "189 skolor med koordinater kontrollerade; 0 stämmer inte." in capsys.readouterr().out


def test_check_directory_lists_a_school_in_the_wrong_area(
    cli_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    path = cli_dir / "skolor.csv"
    path.write_text(
        "name,kind,address,lat,lon,stadsdel,area_id\n"
        "Eriksdalsskolan,grundskola,Ringvägen 58 A,59.3086368,18.0623899,Södermalm,sodermalm\n"
        "Rinkebyskolan,grundskola,Rinkebystråket 13,59.3861694,17.9232164,Rinkeby,bromma\n",
        encoding="utf-8",
    )
    assert main(["check-directory", str(path)]) == 1
    out = capsys.readouterr().out
    assert "Rinkebyskolan: bromma/Rinkeby enligt uppgift, men ligger i jarva/Rinkeby" in out
    assert "Eriksdalsskolan" not in out


async def test_the_csv_import_places_a_school_by_its_coordinates(services: Services) -> None:
    from bot.services.csv_formats import parse_file
    from bot.services.directory_admin import apply_import

    text = (
        "name,kind,operator,address,lat,lon,area_id\n"
        "Testskolan Rinkeby,grundskola,fristående,Rinkebystråket 1,59.3861694,17.9232164,\n"
    )
    parsed = parse_file("skolor.csv", text.encode(), services.geography.area_ids)
    async with services.database.transaction() as session:
        await apply_import(session, [parsed])
    rows = {row[1]: row for row in await schools(services)}
    assert rows["Testskolan Rinkeby"][3:5] == ("jarva", "Rinkeby")
    outside = text.replace("59.3861694,17.9232164", "59.3604,18.0003")
    parsed = parse_file("skolor.csv", outside.encode(), services.geography.area_ids)
    with pytest.raises(KnowledgeError, match="utanför Stockholms stad"):
        async with services.database.transaction() as session:
            await apply_import(session, [parsed])


def test_the_closing_notice_renders_in_both_languages() -> None:
    from bot.i18n import translator
    from handlers.notices import render_notification

    payload = {"school_name": "Vittra <Södermalm>", "area_name": "Södermalm"}
    swedish = render_notification(SCHOOL_CLOSED, payload, translator("sv"))
    assert "<b>Vittra &lt;Södermalm&gt;</b> (Södermalm) finns inte längre" in swedish
    assert "no longer an active school unit" in render_notification(
        SCHOOL_CLOSED, payload, translator("en")
    )


async def test_a_state_school_gets_its_own_label_and_is_counted(
    app: Any, chat: ChatDriver
) -> None:
    data = responses()
    for unit in data:
        if unit["data"]["schoolUnitCode"] == "91000011":
            unit["included"]["attributes"]["organizerType"] = "SPECIAL"
    await apply(app.bot_data.services, data)
    text = "\n".join(texts(await chat.send("Vällingby anpassade grundskola")))
    assert "Anpassad skola, statlig" in text


async def test_a_fragment_of_the_municipality_closes_nothing(services: Services) -> None:
    template = responses()[2]  # a unit with coordinates in Enskede gård
    many = []
    for number in range(24):
        unit = copy.deepcopy(template)
        unit["data"]["schoolUnitCode"] = f"920000{number:02d}"
        unit["data"]["attributes"]["displayName"] = f"Provskolan {number}"
        many.append(unit)
    await apply(services, many)
    before = await schools(services)
    with pytest.raises(KnowledgeError, match="ofullständig fil"):
        await apply(services, many[:5])
    assert await schools(services) == before
    assert (await apply(services, many[:20])).closed == [
        f"Provskolan {n} (920000{n})" for n in range(20, 24)
    ]
