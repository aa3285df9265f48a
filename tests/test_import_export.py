"""The admin data path: all-or-nothing CSV import (UTF-8 and Excel's format), and export."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from bot.models import Base, ContactAssignment, School
from bot.runtime import Services
from bot.services.csv_formats import ParsedFile, parse_file
from bot.services.directory_admin import apply_import, export_contacts, export_schools
from knowledge.errors import KnowledgeError

SCHOOL_HEADER = "name,kind,operator,skolenhetskod,address,stadsdel,area_id,aliases,source\n"


def parse(services: Services, text: str | bytes, name: str = "fil.csv") -> ParsedFile:
    raw = text.encode("utf-8") if isinstance(text, str) else text
    return parse_file(name, raw, services.geography.area_ids)


async def count(services: Services, model: type[Base]) -> int:
    async with services.database.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def import_files(services: Services, *parsed: ParsedFile) -> None:
    async with services.database.transaction() as session:
        await apply_import(session, list(parsed))
    async with services.database.transaction() as session:
        await services.index.rebuild(session)


async def test_free_standing_school_with_code_is_served_like_a_municipal_one(
    services: Services,
) -> None:
    csv_text = SCHOOL_HEADER + (
        "Vällingby Montessoriskola,grundskola,fristående,12345678,"
        "Testvägen 1,Vällingby,hasselby-vallingby,Montessori Vällingby,egen uppgift\n"
    )
    await import_files(services, parse(services, csv_text))
    async with services.database.transaction() as session:
        answer = await services.index.answer(
            session, "montessoriskolan vallingby", date(2026, 11, 22)
        )
        assert answer.card is not None
        assert answer.card.school is not None
        assert answer.card.school.operator == "fristående"
        assert answer.card.cooperation is not None  # the area's contact serves it too
        school = await session.scalar(select(School).where(School.skolenhetskod == "12345678"))
        assert school is not None and school.aliases == ["Montessori Vällingby"]


async def test_excel_file_in_windows_1252_with_semicolons_is_read(services: Services) -> None:
    text = "name;kind;area_id\nÅsöskolans särskilda grupp;RSU;sodermalm\n"
    parsed = parse(services, text.encode("cp1252"))
    assert parsed.schools[0].name == "Åsöskolans särskilda grupp"
    assert parsed.schools[0].kind.value == "sarskild_undervisningsgrupp"
    await import_files(services, parsed)
    assert await count(services, School) == 190


async def test_one_bad_row_aborts_the_whole_import_with_line_numbers(services: Services) -> None:
    before = await count(services, School)
    csv_text = SCHOOL_HEADER + (
        "Bra skola A,grundskola,,,,,bromma,,\n"
        "Bra skola B,grundskola,,,,,bromma,,\n"
        "Dålig skola,grundskola,,1234,,,atlantis,,\n"
        "Bra skola C,förskola,,,,,bromma,,\n"
    )
    with pytest.raises(KnowledgeError) as caught:
        parse(services, csv_text)
    messages = [str(p) for p in caught.value.problems]
    assert any("rad 4" in m and "skolenhetskod" in m for m in messages)
    assert any("rad 4" in m and "area_id" in m and "atlantis" in m for m in messages)
    assert any("rad 5" in m and "kind" in m for m in messages)
    assert await count(services, School) == before


async def test_a_conflict_in_the_second_file_rolls_back_the_first(services: Services) -> None:
    schools = parse(services, SCHOOL_HEADER + "Ny skola,grundskola,,,,,bromma,,\n")
    contacts = parse(
        services,
        "role,area_id,school,name,phone,valid_from\n"
        "samverkan,bromma,,Ny Person,08-465 004 50,2025-01-01\n",  # before the current entry
    )
    with pytest.raises(KnowledgeError) as caught:
        await import_files(services, schools, contacts)
    assert "valid_from" in str(caught.value)
    assert await count(services, School) == 189


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ("samverkan,bromma,,Anna,0812,,2026-12-01", "phone"),
        ("samverkan,bromma,,Anna,,anna@,2026-12-01", "email"),
        ("samverkan,bromma,,Anna,08-465 004 50,,1/12", "valid_from"),
        ("samverkan,bromma,,Anna,,,2026-12-01", "phone"),
        ("chef,bromma,,Anna,08-465 004 50,,2026-12-01", "role"),
        ("samverkan,,,Anna,08-465 004 50,,2026-12-01", "area_id"),
        ("socialjour,bromma,,Jouren,08-465 004 50,,2026-12-01", "area_id"),
        ("samverkan,bromma,,Elev 640823-3234,08-465 004 50,,2026-12-01", "name"),
        ("samverkan,bromma,," + "A" * 300 + ",08-465 004 50,,2026-12-01", "name"),
    ],
)
def test_contact_rows_are_validated_field_by_field(
    services: Services, row: str, field: str
) -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse(services, "role,area_id,school,name,phone,email,valid_from\n" + row + "\n")
    problem = caught.value.problems[0]
    assert (problem.line, problem.field) == (2, field)
    assert "640823" not in str(caught.value)  # never echo a personnummer


@pytest.mark.parametrize(
    "text",
    [
        "",
        "vad,är,detta\n1,2,3\n",
        SCHOOL_HEADER,
        SCHOOL_HEADER + "Skola,grundskola,,,,,bromma,,,extra,fält\n",
        SCHOOL_HEADER + '"oavslutad,grundskola\n',
    ],
    ids=["empty", "unknown-header", "no-rows", "too-many-fields", "broken-quote"],
)
def test_malformed_files_are_refused_with_a_line(services: Services, text: str) -> None:
    with pytest.raises(KnowledgeError) as caught:
        parse(services, text)
    assert caught.value.problems


async def test_new_contact_takes_over_on_its_date_and_history_is_kept(services: Services) -> None:
    contacts = parse(
        services,
        "role,area_id,school,name,title,phone,email,valid_from,confirmed_on\n"
        "samverkan,bromma,,Ny Person (exempel),Socialsekreterare,+46 70 174 06 50,"
        "ny@example.com,2026-12-01,2026-11-20\n",
    )
    await import_files(services, contacts)
    async with services.database.transaction() as session:
        before = await services.contacts.card_for_area(session, "bromma", date(2026, 11, 30))
        after = await services.contacts.card_for_area(session, "bromma", date(2026, 12, 1))
        rows = list(
            await session.scalars(
                select(ContactAssignment).where(
                    ContactAssignment.area_id == "bromma", ContactAssignment.role == "samverkan"
                )
            )
        )
    assert before and before.cooperation and before.cooperation.name == "Lena Lind (exempel)"
    assert after and after.cooperation and after.cooperation.name == "Ny Person (exempel)"
    assert after.cooperation.phone == "070-174 06 50"
    assert sorted((r.valid_from, r.valid_to) for r in rows) == [
        (date(2026, 1, 1), date(2026, 12, 1)),
        (date(2026, 12, 1), None),
    ]


async def test_school_scoped_contact_overrides_the_area(services: Services) -> None:
    contacts = parse(
        services,
        "role,area_id,school,name,phone,valid_from\n"
        "samverkan,,Eriksdalsskolan,Skolans Egen (exempel),08-465 004 60,2026-02-01\n",
    )
    await import_files(services, contacts)
    async with services.database.transaction() as session:
        answer = await services.index.answer(session, "Eriksdalsskolan", date(2026, 11, 22))
        area_card = await services.contacts.card_for_area(session, "sodermalm", date(2026, 11, 22))
    assert answer.card and answer.card.cooperation
    assert answer.card.cooperation.name == "Skolans Egen (exempel)"
    assert (
        area_card and area_card.cooperation and area_card.cooperation.name == "Nora Vik (exempel)"
    )


@pytest.mark.parametrize("excel", [False, True], ids=["utf8", "excel"])
async def test_export_then_import_changes_nothing(services: Services, excel: bool) -> None:
    zone = services.settings.timezone
    async with services.database.transaction() as session:
        schools_csv = await export_schools(session, excel=excel)
        contacts_csv = await export_contacts(session, timezone=zone, excel=excel)
    assert schools_csv.count(b"\r\n") == 190
    parsed = [parse(services, schools_csv, "s.csv"), parse(services, contacts_csv, "c.csv")]
    async with services.database.transaction() as session:
        summary = await apply_import(session, parsed)
    assert (summary.schools_added, summary.schools_updated) == (0, 189)
    assert (summary.contacts_added, summary.contacts_replaced) == (0, 0)
    assert summary.contacts_confirmed == 23
    async with services.database.transaction() as session:
        again = await export_contacts(session, timezone=zone, excel=excel)
    assert again == contacts_csv


async def test_only_a_school_import_makes_running_bots_rebuild_their_index(
    services: Services,
) -> None:
    from bot.services.directory_admin import current_revision

    async with services.database.transaction() as session:
        start = await current_revision(session)
    contacts = parse(
        services,
        "role,area_id,school,name,phone,valid_from\n"
        "samverkan,bromma,,Ny Person (exempel),08-465 004 50,2026-12-01\n",
    )
    await import_files(services, contacts)
    async with services.database.transaction() as session:
        assert await current_revision(session) == start
    await import_files(
        services, parse(services, SCHOOL_HEADER + "Ny skola,grundskola,,,,,bromma,,\n")
    )
    async with services.database.transaction() as session:
        assert await current_revision(session) == start + 1


async def test_export_writes_the_stockholm_day_of_a_confirmation(services: Services) -> None:
    from datetime import UTC, datetime

    async with services.database.transaction() as session:
        row = await session.scalar(
            select(ContactAssignment).where(ContactAssignment.area_id == "bromma")
        )
        assert row is not None
        # 23:30 UTC on 14 March is 00:30 on 15 March in Stockholm.
        row.confirmed_at = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)
    async with services.database.transaction() as session:
        exported = await export_contacts(session, timezone="Europe/Stockholm")
    bromma = [line for line in exported.decode().splitlines() if ",bromma," in line]
    assert any(line.endswith(",2026-03-15,ja,,,gäller") for line in bromma), bromma
