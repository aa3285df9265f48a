"""Exports are safe to open in a spreadsheet, and every name survives export → import.

A contact planted through the real handover wizard with formulas in its fields is exported in
both formats; no cell starts a formula. The Excel export is UTF-8 with a BOM and semicolons,
so Ł and Arabic letters come back unchanged. Imports nothing new: it runs on an older main.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from bot.config import Settings
from bot.services.csv_formats import CONTACT_COLUMNS, parse_file
from bot.services.directory_admin import export_contacts, export_schools
from bot.services.usage import UsageRow, as_csv
from tests.admin_support import CITY_ADMIN, admin_app, sent, walk_handover
from tests.fakes import ChatDriver, RecordingBotApi

FORMULA = '=HYPERLINK("https://example.com/x";"Klicka")'
PLANTED = {
    "name": FORMULA,
    "title": "+SUM(1;2)",
    "hours": "-1+cmd|' /C calc'!A0",
    "note": "@SUM(A1)",
}
NAMES = {"name": "Łukasz Wiśniewski", "title": "أخصائية اجتماعية", "hours": "Mån–fre 8–16"}


async def record(
    app: Any, api: RecordingBotApi, fields: dict[str, str], scope: str = "Kungsholmen"
) -> None:
    admin = ChatDriver(app, api, user_id=CITY_ADMIN)
    day = (app.bot_data.services.today() + timedelta(days=3)).isoformat()
    await walk_handover(
        admin,
        scope,
        name=fields["name"],
        title=fields["title"],
        hours=fields["hours"],
        note=fields.get("note"),
        date=day,
    )
    assert "Klart!" in sent(await admin.press("✅ Bekräfta"))


async def exports(app: Any, *, excel: bool) -> tuple[bytes, bytes]:
    services = app.bot_data.services
    async with services.database.transaction() as session:
        contacts = await export_contacts(session, timezone=services.settings.timezone, excel=excel)
        schools = await export_schools(session, excel=excel)
    return contacts, schools


def cells(raw: bytes, *, excel: bool) -> list[str]:
    text = raw.decode("utf-8-sig" if excel else "utf-8")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=";" if excel else ",")
    return [cell for row in rows for cell in row]


def starts_a_formula(cell: str) -> bool:
    return cell[:1] in ("=", "+", "-", "@", "\t", "\r")


@pytest.mark.parametrize("excel", [False, True])
async def test_no_exported_cell_starts_a_formula(
    make_settings: Callable[..., Settings], api: RecordingBotApi, excel: bool
) -> None:
    async with admin_app(make_settings, api) as app:
        await record(app, api, PLANTED)
        contacts, schools = await exports(app, excel=excel)
        exported = cells(contacts, excel=excel) + cells(schools, excel=excel)
        assert [c for c in exported if starts_a_formula(c)] == []
        assert "'" + FORMULA in exported  # kept, but as text


def test_the_follow_up_report_is_neutralised_too() -> None:
    from datetime import date

    text = as_csv([UsageRow(date(2026, 12, 1), "=cmd", "@lookup", "-x", 3)])
    assert all(not starts_a_formula(c) for row in csv.reader(io.StringIO(text)) for c in row)


async def test_the_excel_export_is_utf8_with_bom_and_semicolons_and_round_trips(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await record(app, api, NAMES)
        await record(app, api, {**PLANTED, "note": ""}, "Bromma")
        contacts, _ = await exports(app, excel=True)
        assert contacts.startswith(b"\xef\xbb\xbf")
        assert (
            contacts.decode("utf-8-sig").split("\r\n", 1)[0].count(";") == len(CONTACT_COLUMNS) - 1
        )
        parsed = parse_file("kontakter.csv", contacts, app.bot_data.services.geography.area_ids)
        names = {row.name: row for row in parsed.contacts}
        assert NAMES["name"] in names and FORMULA in names
        assert names[NAMES["name"]].title == NAMES["title"]
        assert names[NAMES["name"]].hours == NAMES["hours"]
        assert names[FORMULA].title == PLANTED["title"]
