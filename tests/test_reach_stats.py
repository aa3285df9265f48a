"""Who the notices reach: follower counts per school in /statistik and `stats --followers`."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from app.cli import main
from bot.config import Settings
from bot.models import Follow
from tests.admin_support import CITY_ADMIN, admin_app, grant
from tests.fakes import ChatDriver, RecordingBotApi, texts

AREA_ADMIN = 6660001


@pytest.fixture
async def app(make_settings: Callable[..., Settings], api: RecordingBotApi) -> AsyncIterator[Any]:
    async with admin_app(make_settings, api) as application:
        await grant(application, AREA_ADMIN, "sodermalm")
        for user_id, target in [
            (9001, "Eriksdalsskolan"),
            (9002, "Eriksdalsskolan"),
            (9003, "Södermalm"),
            (9004, "Alviksskolan"),  # Bromma
        ]:
            await ChatDriver(application, api, user_id=user_id).send(f"/folj {target}")
        async with application.bot_data.services.database.transaction() as session:
            # 9002 blocked the bot: the notices do not reach them, so they are not counted
            await session.execute(
                update(Follow).where(Follow.user_id == 9002).values(active=False)
            )
        yield application


async def statistik(app: Any, api: RecordingBotApi, user_id: int) -> list[str]:
    before = len(api.calls)
    await app.start()
    try:
        await ChatDriver(app, api, user_id=user_id).send("/statistik")
    finally:
        await app.stop()
    return texts(api.calls[before:])


def rows(text: str) -> dict[str, list[str]]:
    """The monospace rows of a message: name → the figures after it."""
    found = {}
    for block in text.split("<pre>")[1:]:
        for line in block.split("</pre>")[0].splitlines():
            name, figures = line[:24].strip(), line[24:].split()
            found[name] = figures
    return found


async def test_area_admins_see_each_school_of_their_areas(app: Any, api: RecordingBotApi) -> None:
    said = await statistik(app, api, AREA_ADMIN)
    [followers] = [text for text in said if text.startswith("👥")]
    assert "<b>Södermalm</b>: 1 följer hela området" in followers
    table = rows(followers)
    assert table["Eriksdalsskolan"] == ["1"]  # the blocked follower is not counted
    assert table["Katarina norra skola"] == ["0", "⚠"]
    assert "Alviksskolan" not in table  # Bromma is not theirs
    assert "9001" not in followers and "9003" not in followers  # counts, never who


async def test_city_admins_see_one_line_per_area(app: Any, api: RecordingBotApi) -> None:
    said = await statistik(app, api, CITY_ADMIN)
    [followers] = [text for text in said if text.startswith("👥")]
    table = rows(followers)
    assert table["Södermalm"][0] == "1" and table["Södermalm"][1].startswith("1/")
    assert table["Bromma"][0] == "0" and table["Bromma"][1].startswith("1/")
    assert table["Farsta"][:1] == ["0"] and table["Farsta"][1].startswith("0/")
    assert "stats --csv --followers" in followers


async def test_staff_see_no_followers(app: Any, api: RecordingBotApi) -> None:
    said = await statistik(app, api, 9001)
    assert not [text for text in said if text.startswith("👥")]


def test_cli_followers_csv(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    database_url: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["stats", "--followers", "--csv"]) == 0
    table = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert set(table[0]) == {"area_id", "school_id", "skolenhetskod", "school", "followers"}
    assert len([r for r in table if r["school"]]) == 189
    assert {r["followers"] for r in table} == {"0"}  # a fresh directory: nobody follows yet
    assert main(["stats", "--followers"]) == 0
    assert "Södermalm" in capsys.readouterr().out


async def test_the_csv_has_a_row_per_area_and_per_school(app: Any) -> None:
    from bot.services.reach import as_csv, follower_counts

    async with app.bot_data.services.database.transaction() as session:
        areas = await follower_counts(session)
    table = list(csv.DictReader(io.StringIO(as_csv(areas))))
    area_rows = {r["area_id"]: r["followers"] for r in table if not r["school_id"]}
    assert area_rows["sodermalm"] == "1" and area_rows["bromma"] == "0"
    schools = {r["school"]: (r["area_id"], r["followers"]) for r in table if r["school_id"]}
    assert schools["Eriksdalsskolan"] == ("sodermalm", "1")
    assert schools["Alviksskolan"] == ("bromma", "1")
