"""Keep the directory in the database: geography sync, seeding, all-or-nothing import, export.

An import changes nothing unless every row of every file is valid and applies cleanly: the caller
runs it inside one transaction, and any problem raises before commit.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local_date, session_now
from bot.models import (
    Area,
    Contact,
    ContactAssignment,
    DirectoryRevision,
    Neighbourhood,
    School,
)
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


async def bump_revision(session: AsyncSession) -> None:
    """Tell running bots that the directory changed, so they rebuild their lookup index."""
    row = await session.get(DirectoryRevision, 1)
    if row is None:
        session.add(DirectoryRevision(id=1, revision=1, changed_at=session_now(session)))
    else:
        row.revision += 1
        row.changed_at = session_now(session)


async def current_revision(session: AsyncSession) -> int:
    row = await session.get(DirectoryRevision, 1)
    return row.revision if row else 0


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
    if any(parsed.kind is FileKind.SCHOOLS for parsed in files):
        # The lookup index holds names only; contacts are read per lookup, so a contact
        # import need not make every running bot rebuild it.
        await bump_revision(session)
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
    return is_new


async def _resolve_school(session: AsyncSession, reference: str) -> list[School]:
    if reference.isdigit() and len(reference) == 8:
        found = await session.scalars(select(School).where(School.skolenhetskod == reference))
    else:
        found = await session.scalars(
            select(School).where(func.lower(School.name) == reference.lower())
        )
    return list(found)


def _same_person(contact: Contact, row: ContactRow) -> bool:
    return (contact.name, contact.phone, contact.email) == (row.name, row.phone, row.email)


async def _apply_contact(
    session: AsyncSession, path: str, row: ContactRow, problems: list[Problem]
) -> str:
    scope, area_id, school_id = "city", None, None
    if row.school:
        schools = await _resolve_school(session, row.school)
        if len(schools) != 1:
            why = "ingen skola" if not schools else f"{len(schools)} skolor"
            problems.append(Problem(path, row.line, "school", f"{why} med namnet/koden"))
            return "skipped"
        scope, school_id = "school", schools[0].id
    elif row.area_id:
        scope, area_id = "area", row.area_id
    current = await session.scalar(
        select(ContactAssignment)
        .where(
            ContactAssignment.role == row.role.value,
            ContactAssignment.scope == scope,
            ContactAssignment.area_id.is_(None)
            if area_id is None
            else ContactAssignment.area_id == area_id,
            ContactAssignment.school_id.is_(None)
            if school_id is None
            else ContactAssignment.school_id == school_id,
            ContactAssignment.valid_to.is_(None),
        )
        .order_by(ContactAssignment.valid_from.desc())
    )
    confirmed = (
        datetime.combine(row.confirmed_on, time(12), tzinfo=UTC)
        if row.confirmed_on
        else session_now(session)
    )
    if current is not None:
        contact = await session.get(Contact, current.contact_id)
        if contact is not None and _same_person(contact, row):
            contact.title, contact.hours, contact.url = row.title, row.hours, row.url
            contact.is_example = row.example
            current.confirmed_at = confirmed
            return "confirmed"
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
    contact = Contact(
        name=row.name,
        title=row.title,
        phone=row.phone,
        email=row.email,
        hours=row.hours,
        url=row.url,
        is_example=row.example,
    )
    session.add(contact)
    await session.flush()
    session.add(
        ContactAssignment(
            contact_id=contact.id,
            role=row.role.value,
            scope=scope,
            area_id=area_id,
            school_id=school_id,
            valid_from=row.valid_from,
            confirmed_at=confirmed,
        )
    )
    await session.flush()
    return "added" if current is None else "replaced"


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
        )
        for s in schools
    ]
    return write_rows(SCHOOL_COLUMNS, rows, excel=excel)


async def export_contacts(session: AsyncSession, *, timezone: str, excel: bool = False) -> bytes:
    """Open assignments (current and future) in the import format: a round trip is a no-op."""
    result = await session.execute(
        select(ContactAssignment, Contact, School.name)
        .join(Contact, Contact.id == ContactAssignment.contact_id)
        .outerjoin(School, School.id == ContactAssignment.school_id)
        .where(ContactAssignment.valid_to.is_(None))
        .order_by(ContactAssignment.role, ContactAssignment.area_id, ContactAssignment.valid_from)
    )
    rows = [
        (
            a.role,
            a.area_id,
            school_name,
            c.name,
            c.title,
            c.phone,
            c.email,
            c.hours,
            c.url,
            a.valid_from.isoformat(),
            local_date(a.confirmed_at, timezone).isoformat(),
            "ja" if c.is_example else "nej",
        )
        for a, c, school_name in result.tuples()
    ]
    return write_rows(CONTACT_COLUMNS, rows, excel=excel)
