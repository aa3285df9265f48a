"""Apply Skolverket's school-unit register to the directory: all or nothing, idempotent.

- A unit is matched by skolenhetskod, else by normalised name and street, else by name alone
  when exactly one school without a code carries it in the same area (the example directory's
  buildings). Nothing is duplicated; a second import of the same data changes nothing.
- Its area comes from where it stands: the coordinates in the city's stadsdel polygons, else
  a postcode whose postort lies in one area, else the area it already had. A new unit that
  cannot be placed is not imported and is listed in the report.
- A unit that is no longer active (VILANDE, UPPHORT, PLANERAD), or that has left the register
  (only known when the data is the whole municipality), is marked closed, never deleted: its
  history stays, it leaves the lookup, and its followers are told once (outbox).

The caller runs `apply_register` in one transaction; any problem raises before commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Follow, School, SchoolStatus
from bot.services.geo import Placed
from bot.services.home import HomeFinder
from bot.services.outbox import enqueue
from bot.services.register_format import RegisterUnit
from bot.services.text_normalise import normalise
from knowledge.directory import Geography
from knowledge.errors import KnowledgeError

# A whole municipality's data that lacks more than this share of the schools imported before is
# taken for a fragment (a partial save, a failed export), not for half the schools closing.
MAX_GONE_SHARE = 0.5
MIN_CODED_FOR_GUARD = 20
SCHOOL_CLOSED = "school_closed"  # the outbox kind; `handlers.notices` renders it
SOURCE = "Skolverket, Skolenhetsregistret (öppet API v2), skolenhetskod {code}"


@dataclass
class RegisterReport:
    """What an import did; names, so the report can list them."""

    read: int = 0
    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: int = 0  # not active and not in the directory, or no school form the bot serves
    notified: int = 0

    @property
    def changes_anything(self) -> bool:
        return bool(self.new or self.changed or self.closed)


def street_key(address: str | None) -> str:
    """The street part of an address ("Ritarvägen 9-11, 168 31 Bromma" → "ritarvagen 9 11")."""
    return normalise((address or "").split(",", 1)[0])


class _Directory:
    """The schools as they are before the import, indexed for matching."""

    def __init__(self, schools: Sequence[School]) -> None:
        self.schools = list(schools)
        self.by_code = {s.skolenhetskod: s for s in schools if s.skolenhetskod}
        self.by_name_street: dict[tuple[str, str], School] = {}
        self.by_name_area: dict[tuple[str, str], list[School]] = {}
        for school in schools:
            if school.skolenhetskod:
                continue
            key = (normalise(school.name), street_key(school.address))
            self.by_name_street.setdefault(key, school)
            self.by_name_area.setdefault((normalise(school.name), school.area_id), []).append(
                school
            )
        self.names = {(s.name.casefold(), s.area_id): s for s in schools}

    def match(self, unit: RegisterUnit, area_id: str | None) -> School | None:
        found = self.by_code.get(unit.code)
        if found is not None:
            return found
        name = normalise(unit.name)
        found = self.by_name_street.get((name, street_key(unit.street)))
        if found is not None and not found.skolenhetskod:
            return found
        same = self.by_name_area.get((name, area_id or ""), [])
        uncoded = [s for s in same if not s.skolenhetskod]
        return uncoded[0] if len(uncoded) == 1 else None


class RegisterImport:
    """One import: the units, where they stand, what changes, who is told."""

    def __init__(self, session: AsyncSession, finder: HomeFinder, geography: Geography) -> None:
        self.session = session
        self.finder = finder
        self.area_names = {area.id: area.name for area in geography.areas}

    def place(self, unit: RegisterUnit) -> Placed | str | None:
        """The unit's stadsdel (by coordinates), else its area id (by postcode), else None."""
        if unit.lat is not None and unit.lon is not None:
            placed = self.finder.city_map.locate(unit.lat, unit.lon)
            if placed is not None:
                return placed
        if unit.postcode is not None:
            home = self.finder.by_postcode(unit.postcode)
            if home is not None and home.result.outcome.value == "confident":
                area_id = home.result.matches[0].entry.area_id
                return area_id
        return None

    async def apply(
        self, units: Sequence[RegisterUnit], *, complete: bool, now: datetime
    ) -> RegisterReport:
        report = RegisterReport(read=len(units))
        directory = _Directory(list(await self.session.scalars(select(School))))
        seen: set[str] = set()
        for unit in units:
            seen.add(unit.code)
            await self._apply_unit(directory, unit, report, now)
        if complete:
            gone = [
                school
                for school in directory.schools
                if school.skolenhetskod
                and school.skolenhetskod not in seen
                and school.status == SchoolStatus.OPEN.value
            ]
            _check_not_a_fragment(gone, directory)
            for school in gone:
                await self._close(school, report, now)
        # Changed schools move the directory's revision in this transaction (`revisions`).
        await self.session.flush()
        return report

    async def _apply_unit(
        self, directory: _Directory, unit: RegisterUnit, report: RegisterReport, now: datetime
    ) -> None:
        placed = self.place(unit)
        area_id = placed.area_id if isinstance(placed, Placed) else placed
        school = directory.match(unit, area_id)
        if not unit.is_active or not unit.is_school:
            if school is not None and school.status == SchoolStatus.OPEN.value:
                await self._close(school, report, now)
            else:
                report.skipped += 1
            return
        if area_id is None and school is None:
            report.unplaced.append(f"{unit.name} ({unit.code})")
            return
        is_new = school is None
        if school is None:
            school = School(aliases=[])
            self.session.add(school)
            directory.schools.append(school)
        before = _state(school)
        self._update(school, unit, placed, directory)
        if is_new:
            report.new.append(f"{school.name} ({unit.code})")
        elif _state(school) != before:
            report.changed.append(f"{school.name} ({unit.code})")
        else:
            report.unchanged += 1

    def _update(
        self,
        school: School,
        unit: RegisterUnit,
        placed: Placed | str | None,
        directory: _Directory,
    ) -> None:
        if isinstance(placed, Placed):
            school.area_id, school.stadsdel = placed.area_id, placed.stadsdel
        elif placed is not None:
            school.area_id, school.stadsdel = placed, None
        school.name = _unique_name(unit, school, directory)
        directory.names[(school.name.casefold(), school.area_id)] = school
        school.kind = unit.kind.value
        if unit.operator is not None:
            school.operator = unit.operator.value
        school.skolenhetskod = unit.code
        school.address = unit.address or school.address
        school.postcode = unit.postcode
        school.lat, school.lon = unit.lat, unit.lon
        school.school_forms = [form for form in unit.school_forms]
        school.source = SOURCE.format(code=unit.code)
        school.status, school.closed_at = SchoolStatus.OPEN.value, None

    async def _close(self, school: School, report: RegisterReport, now: datetime) -> None:
        school.status, school.closed_at = SchoolStatus.CLOSED.value, now
        report.closed.append(f"{school.name} ({school.skolenhetskod or '–'})")
        await self.session.flush()
        followers = await self.session.scalars(
            select(Follow.user_id).where(Follow.school_id == school.id, Follow.active.is_(True))
        )
        payload = {
            "school_name": school.name,
            "area_name": self.area_names.get(school.area_id, ""),
        }
        report.notified += await enqueue(
            self.session,
            kind=SCHOOL_CLOSED,
            payload=payload,
            recipients=list(followers),
            dedupe_prefix=f"{SCHOOL_CLOSED}:{school.id}:{now.date().isoformat()}",
            now=now,
            area_id=school.area_id,
        )


def _check_not_a_fragment(gone: Sequence[School], directory: _Directory) -> None:
    """Refuse data that would close most coded schools: a partial file, not a closing wave."""
    coded = sum(1 for school in directory.schools if school.skolenhetskod)
    if coded >= MIN_CODED_FOR_GUARD and len(gone) > MAX_GONE_SHARE * coded:
        raise KnowledgeError.single(
            "Skolenhetsregistret",
            f"{len(gone)} av {coded} skolor saknas i datan och skulle stängas; det ser ut som "
            "en ofullständig fil. Inget har ändrats.",
        )


def _state(school: School) -> tuple[object, ...]:
    return (
        school.name,
        school.kind,
        school.operator,
        school.skolenhetskod,
        school.address,
        school.stadsdel,
        school.area_id,
        school.postcode,
        school.lat,
        school.lon,
        tuple(school.school_forms or ()),
        school.source,
        school.status,
    )


def _unique_name(unit: RegisterUnit, school: School, directory: _Directory) -> str:
    """The register's name, unless another school of the area has it (names are unique there)."""
    holder = directory.names.get((unit.name.casefold(), school.area_id))
    if holder is None or holder is school:
        return unit.name
    return f"{unit.name} ({unit.code})"
