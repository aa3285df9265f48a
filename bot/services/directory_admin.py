"""Keep the directory in the database: geography sync, seeding, all-or-nothing import, export.

An import changes nothing unless every row of every file is valid and applies cleanly: the caller
runs it inside one transaction, and any problem raises before commit.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_date, session_now
from bot.models import (
    Absence,
    Area,
    Contact,
    ContactAssignment,
    Neighbourhood,
    School,
)
from bot.services import revisions
from bot.services.csv_formats import (
    CONTACT_COLUMNS,
    SCHOOL_COLUMNS,
    ContactRow,
    FileKind,
    ParsedFile,
    SchoolRow,
    read_file,
    write_rows,
)
from bot.services.home import shipped_home_finder
from bot.services.parsing import is_ascii_digits
from bot.services.scopes import in_force
from knowledge.directory import (
    EXAMPLE_CONTACTS_FILE,
    EXAMPLE_SCHOOLS_FILE,
    SCHOOL_OVERRIDES_FILE,
    Geography,
    read_csv_rows,
)
from knowledge.errors import KnowledgeError, Problem

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ImportSummary:
    schools_added: int = 0
    schools_updated: int = 0
    contacts_added: int = 0
    contacts_confirmed: int = 0
    contacts_replaced: int = 0


async def sync_geography(session: AsyncSession, geography: Geography) -> None:
    """Make the areas and stadsdelar tables match the shipped knowledge files."""
    existing_areas = {a.id: a for a in await session.scalars(select(Area))}
    for info in geography.areas:
        area = existing_areas.get(info.id) or Area(id=info.id)
        area.name, area.genitive_name, area.aliases = (
            info.name,
            info.genitive_name,
            list(info.aliases),
        )
        session.add(area)
    await session.flush()
    existing = {n.name: n for n in await session.scalars(select(Neighbourhood))}
    for hood in geography.neighbourhoods:
        row = existing.get(hood.name) or Neighbourhood(name=hood.name)
        row.area_id = hood.area_id
        session.add(row)


async def current_revision(session: AsyncSession) -> int:
    """The directory's revision: moves with every change to schools or areas (`revisions`)."""
    return (await revisions.current(session)).directory


async def is_directory_empty(session: AsyncSession) -> bool:
    count = await session.scalar(select(func.count()).select_from(School))
    return not count


async def seed_example_directory(session: AsyncSession, geography: Geography) -> None:
    """Load the shipped schools and the fictitious example contacts into an empty database."""
    files = [read_file(EXAMPLE_SCHOOLS_FILE, geography.area_ids)]
    files.append(read_file(EXAMPLE_CONTACTS_FILE, geography.area_ids))
    await apply_import(session, files)
    overrides = {
        row["name"]: row["operator"]
        for _, row in read_csv_rows(SCHOOL_OVERRIDES_FILE, ("name", "operator", "source"))
    }
    for school in await session.scalars(select(School).where(School.name.in_(overrides))):
        school.operator = overrides[school.name]
    log.info("Seeded the example directory (fictitious contacts)")


async def apply_import(session: AsyncSession, files: Sequence[ParsedFile]) -> ImportSummary:
    """Apply parsed files in order (schools before contacts); raise on the first conflict."""
    ordered = sorted(files, key=lambda f: 0 if f.kind is FileKind.SCHOOLS else 1)
    added = updated = c_added = c_confirmed = c_replaced = 0
    problems: list[Problem] = []
    for parsed in ordered:
        for school_row in parsed.schools:
            school_row = place_school_row(parsed.path, school_row, problems)
            if not school_row.area_id:
                continue  # not in the city: reported in `problems`, nothing is applied
            was_new = await _upsert_school(session, school_row)
            added += was_new
            updated += not was_new
        await session.flush()
        for contact_row in sorted(parsed.contacts, key=lambda c: c.valid_from):
            outcome = await _apply_contact(session, parsed.path, contact_row, problems)
            c_added += outcome == "added"
            c_confirmed += outcome == "confirmed"
            c_replaced += outcome == "replaced"
    if problems:
        raise KnowledgeError(problems)
    # No revision to bump here: writing schools moves the directory's counter and writing
    # contacts the contacts' one, in this transaction (`bot.services.revisions`).
    return ImportSummary(added, updated, c_added, c_confirmed, c_replaced)


async def _upsert_school(session: AsyncSession, row: SchoolRow) -> bool:
    school = None
    if row.skolenhetskod:
        school = await session.scalar(
            select(School).where(School.skolenhetskod == row.skolenhetskod)
        )
    if school is None:
        school = await session.scalar(
            select(School).where(School.name == row.name, School.area_id == row.area_id)
        )
    is_new = school is None
    if school is None:
        school = School()
        session.add(school)
    school.name, school.kind, school.operator = row.name, row.kind.value, row.operator.value
    school.skolenhetskod, school.address, school.stadsdel = (
        row.skolenhetskod,
        row.address,
        row.stadsdel,
    )
    school.area_id, school.aliases, school.source = row.area_id, list(row.aliases), row.source
    school.lat, school.lon = row.lat, row.lon
    return is_new


def place_school_row(path: str, row: SchoolRow, problems: list[Problem]) -> SchoolRow:
    """A row with coordinates gets its stadsdel and area from where the school stands."""
    if row.lat is None or row.lon is None:
        return row
    placed = shipped_home_finder().city_map.locate(row.lat, row.lon)
    if placed is None:
        problems.append(Problem(path, row.line, "lat", "platsen ligger utanför Stockholms stad"))
        return replace(row, area_id="")
    return replace(row, area_id=placed.area_id, stadsdel=placed.stadsdel)


async def _resolve_school(session: AsyncSession, reference: str) -> list[School]:
    if is_ascii_digits(reference) and len(reference) == 8:
        found = await session.scalars(select(School).where(School.skolenhetskod == reference))
    else:
        found = await session.scalars(
            select(School).where(func.lower(School.name) == reference.lower())
        )
    return list(found)


def _same_person(contact: Contact, row: ContactRow) -> bool:
    return (contact.name, contact.phone, contact.email) == (row.name, row.phone, row.email)


Where = tuple[str, str | None, int | None]  # (scope, area id, school id) of a contact row


async def _row_scope(
    session: AsyncSession, path: str, row: ContactRow, problems: list[Problem]
) -> Where | None:
    if row.school:
        schools = await _resolve_school(session, row.school)
        if len(schools) != 1:
            why = "ingen skola" if not schools else f"{len(schools)} skolor"
            problems.append(Problem(path, row.line, "school", f"{why} med namnet/koden"))
            return None
        return "school", None, schools[0].id
    if row.area_id:
        return "area", row.area_id, None
    return "city", None, None


def _in_scope(row: ContactRow, where: Where) -> list[ColumnElement[bool]]:
    scope, area_id, school_id = where
    return [
        ContactAssignment.role == row.role.value,
        ContactAssignment.scope == scope,
        ContactAssignment.area_id.is_(None)
        if area_id is None
        else ContactAssignment.area_id == area_id,
        ContactAssignment.school_id.is_(None)
        if school_id is None
        else ContactAssignment.school_id == school_id,
    ]


def _confirmed_at(session: AsyncSession, row: ContactRow) -> datetime:
    if row.confirmed_on:
        return datetime.combine(row.confirmed_on, time(12), tzinfo=UTC)
    return session_now(session)


async def _confirm_same(session: AsyncSession, row: ContactRow, where: Where) -> bool:
    """The row is an entry already there (today's or a planned one): confirm it."""
    found = (
        await session.execute(
            select(ContactAssignment, Contact)
            .join(Contact, Contact.id == ContactAssignment.contact_id)
            .where(*_in_scope(row, where), ContactAssignment.valid_from == row.valid_from)
        )
    ).tuples()
    for assignment, contact in found:
        if _same_person(contact, row):
            contact.title, contact.hours, contact.url = row.title, row.hours, row.url
            contact.is_example = row.example
            assignment.confirmed_at = _confirmed_at(session, row)
            return True
    return False


async def _apply_contact(
    session: AsyncSession, path: str, row: ContactRow, problems: list[Problem]
) -> str:
    where = await _row_scope(session, path, row, problems)
    if where is None:
        return "skipped"
    if row.deputy_for is not None:
        return await _apply_deputy(session, path, row, where, problems)
    if await _confirm_same(session, row, where):
        return "confirmed"
    current = await session.scalar(
        select(ContactAssignment)
        .where(*_in_scope(row, where), ContactAssignment.valid_to.is_(None))
        .order_by(ContactAssignment.valid_from.desc())
    )
    if current is not None:
        if row.valid_from <= current.valid_from:
            problems.append(
                Problem(
                    path,
                    row.line,
                    "valid_from",
                    f"nuvarande uppgift gäller redan från {current.valid_from.isoformat()}; "
                    "en ersättare måste börja senare",
                )
            )
            return "skipped"
        current.valid_to = row.valid_from
    contact = _new_contact(row)
    session.add(contact)
    await session.flush()
    scope, area_id, school_id = where
    session.add(
        ContactAssignment(
            contact_id=contact.id,
            role=row.role.value,
            scope=scope,
            area_id=area_id,
            school_id=school_id,
            valid_from=row.valid_from,
            confirmed_at=_confirmed_at(session, row),
        )
    )
    await session.flush()
    return "added" if current is None else "replaced"


def _new_contact(row: ContactRow) -> Contact:
    return Contact(
        name=row.name,
        title=row.title,
        phone=row.phone,
        email=row.email,
        hours=row.hours,
        url=row.url,
        is_example=row.example,
    )


async def _apply_deputy(
    session: AsyncSession, path: str, row: ContactRow, where: Where, problems: list[Problem]
) -> str:
    """A deputy's row: the absence already there, or a new one for the contact it names."""
    assert row.back_on is not None
    found = (
        await session.execute(
            select(ContactAssignment.id)
            .join(Contact, Contact.id == ContactAssignment.contact_id)
            .where(
                *_in_scope(row, where), in_force(row.valid_from), Contact.name == row.deputy_for
            )
        )
    ).scalar()
    if found is None:
        message = f"ingen kontaktperson '{row.deputy_for}' här den {row.valid_from.isoformat()}"
        problems.append(Problem(path, row.line, "deputy_for", message))
        return "skipped"
    absences = (
        await session.execute(
            select(Absence, Contact)
            .join(Contact, Contact.id == Absence.deputy_id)
            .where(
                Absence.assignment_id == found,
                Absence.starts_on < row.back_on,
                Absence.back_on > row.valid_from,
            )
        )
    ).tuples()
    for absence, deputy in absences:
        same = (absence.starts_on, absence.back_on) == (row.valid_from, row.back_on)
        if same and _same_person(deputy, row):
            return "confirmed"
        problems.append(Problem(path, row.line, "valid_from", "en annan frånvaro gäller då"))
        return "skipped"
    deputy = _new_contact(row)
    session.add(deputy)
    await session.flush()
    session.add(
        Absence(
            assignment_id=found,
            deputy_id=deputy.id,
            starts_on=row.valid_from,
            back_on=row.back_on,
            idempotency_key=f"import:{secrets.token_hex(12)}",
            recorded_by="import",
            recorded_at=session_now(session),
        )
    )
    await session.flush()
    return "added"


async def export_schools(session: AsyncSession, *, excel: bool = False) -> bytes:
    schools = await session.scalars(select(School).order_by(School.area_id, School.name))
    rows = [
        (
            s.name,
            s.kind,
            s.operator,
            s.skolenhetskod,
            s.address,
            s.stadsdel,
            s.area_id,
            ";".join(s.aliases),
            s.source,
            s.lat,
            s.lon,
        )
        for s in schools
    ]
    return write_rows(SCHOOL_COLUMNS, rows, excel=excel)


async def export_contacts(
    session: AsyncSession,
    *,
    timezone: str,
    excel: bool = False,
    area_ids: frozenset[str] | None = None,
) -> bytes:
    """The directory in the import format, per scope and role: today's contact, the deputy
    when one covers (or is planned), and a planned successor with its date. A round trip is a
    no-op. `area_ids`: only these areas and their schools (None: everything, the city too)."""
    today = local_date(session_now(session), timezone)
    query = (
        select(ContactAssignment, Contact, School)
        .join(Contact, Contact.id == ContactAssignment.contact_id)
        .outerjoin(School, School.id == ContactAssignment.school_id)
        .where(or_(ContactAssignment.valid_to.is_(None), ContactAssignment.valid_to > today))
        .order_by(
            ContactAssignment.role,
            func.coalesce(ContactAssignment.area_id, School.area_id, ""),
            func.coalesce(School.name, ""),
            ContactAssignment.valid_from,
        )
    )
    if area_ids is not None:
        query = query.where(
            or_(ContactAssignment.area_id.in_(area_ids), School.area_id.in_(area_ids))
        )
    found = (await session.execute(query)).tuples().all()
    deputies = await _deputies(session, [a.id for a, _, _ in found], today)
    rows: list[tuple[object, ...]] = []
    for assignment, contact, school in found:
        status = "gäller" if assignment.valid_from <= today else "planerad"
        confirmed = local_date(assignment.confirmed_at, timezone).isoformat()
        base = _row(assignment, contact, school, assignment.valid_from, confirmed)
        rows.append((*base, None, None, status))
        for absence, deputy in deputies.get(assignment.id, []):
            base = _row(assignment, deputy, school, absence.starts_on, "")
            rows.append((*base, contact.name, absence.back_on.isoformat(), "ersättare"))
    return write_rows(CONTACT_COLUMNS, rows, excel=excel)


async def _deputies(
    session: AsyncSession, assignment_ids: list[int], today: date
) -> dict[int, list[tuple[Absence, Contact]]]:
    """The absences not over by today, with their deputies, per assignment."""
    found: dict[int, list[tuple[Absence, Contact]]] = {}
    if not assignment_ids:
        return found
    rows = await session.execute(
        select(Absence, Contact)
        .join(Contact, Contact.id == Absence.deputy_id)
        .where(Absence.assignment_id.in_(assignment_ids), Absence.back_on > today)
        .order_by(Absence.starts_on, Absence.id)
    )
    for absence, deputy in rows.tuples():
        found.setdefault(absence.assignment_id, []).append((absence, deputy))
    return found


def _row(
    assignment: ContactAssignment,
    contact: Contact,
    school: School | None,
    valid_from: date,
    confirmed_on: str,
) -> tuple[object, ...]:
    """The fields up to `example`, in `CONTACT_COLUMNS` order."""
    return (
        assignment.role,
        assignment.area_id,
        school.name if school else None,
        contact.name,
        contact.title,
        contact.phone,
        contact.email,
        contact.hours,
        contact.url,
        valid_from.isoformat(),
        confirmed_on,
        "ja" if contact.is_example else "nej",
    )
