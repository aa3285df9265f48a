"""Scopes: the area or the one school that a contact, a follow or a permission is about.

Keys are short and stable, so they fit in callback data (64 bytes) and in follows:
"a:<area id>" for an area, "s:<school id>" for a school.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, ContactAssignment, ContactRole, School
from bot.services.lookup import EntryKind, Match
from bot.services.parsing import parse_row_id

SCOPE_KEY = re.compile(r"^(a|s):([a-z0-9-]{1,40})$")


@dataclass(frozen=True)
class Scope:
    area_id: str
    area_name: str
    school_id: int | None = None
    school_name: str | None = None

    @property
    def is_school(self) -> bool:
        return self.school_id is not None

    @property
    def key(self) -> str:
        return f"s:{self.school_id}" if self.school_id is not None else f"a:{self.area_id}"

    @property
    def name(self) -> str:
        return self.school_name if self.school_name is not None else self.area_name

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "area_id": self.area_id,
            "area_name": self.area_name,
            "school_name": self.school_name,
        }


@dataclass(frozen=True)
class Candidate:
    """A school or area a lookup found: its scope key, the name matched, and its area."""

    key: str
    name: str
    area_id: str


@dataclass(frozen=True)
class ScopeSearch:
    """What a typed name means as a scope: one sure choice, candidates to offer, or elsewhere."""

    chosen: Candidate | None
    candidates: list[Candidate]
    outside: bool  # a place known to be another municipality


async def resolve_scope(session: AsyncSession, key: str) -> Scope | None:
    """The scope a key names, or None when it is malformed or names nothing."""
    found = SCOPE_KEY.match(key)
    if found is None:
        return None
    kind, ref = found.groups()
    if kind == "a":
        area = await session.get(Area, ref)
        return Scope(area.id, area.name) if area else None
    school_id = parse_row_id(ref)
    if school_id is None:
        return None
    school = await session.get(School, school_id)
    if school is None:
        return None
    area = await session.get(Area, school.area_id)
    if area is None:  # pragma: no cover - guarded by a foreign key
        return None
    return Scope(area.id, area.name, school.id, school.name)


def in_force(on: date) -> ColumnElement[bool]:
    """The condition for an assignment in force on `on`: begun that day or earlier, not ended.

    `valid_to` is the first day an assignment no longer holds (the successor's `valid_from`).
    """
    return and_(
        ContactAssignment.valid_from <= on,
        or_(ContactAssignment.valid_to.is_(None), ContactAssignment.valid_to > on),
    )


def assignment_in_scope(scope: Scope, role: ContactRole) -> list[ColumnElement[bool]]:
    """Conditions for the assignments that belong to the scope itself (not inherited)."""
    conditions = [ContactAssignment.role == role.value]
    if scope.school_id is not None:
        conditions.append(ContactAssignment.school_id == scope.school_id)
    else:
        conditions += [
            ContactAssignment.scope == "area",
            ContactAssignment.area_id == scope.area_id,
        ]
    return conditions


async def open_assignment(
    session: AsyncSession, scope: Scope, role: ContactRole
) -> ContactAssignment | None:
    """The scope's own newest assignment (the one without an end), which a handover replaces."""
    found: ContactAssignment | None = await session.scalar(
        select(ContactAssignment)
        .where(*assignment_in_scope(scope, role), ContactAssignment.valid_to.is_(None))
        .order_by(ContactAssignment.valid_from.desc(), ContactAssignment.id.desc())
        .limit(1)
    )
    return found


async def assignment_on(
    session: AsyncSession, scope: Scope, role: ContactRole, on: date
) -> ContactAssignment | None:
    """The assignment in force for the scope on a day: the school's own, else its area's."""
    own = await session.scalar(_on(assignment_in_scope(scope, role), on))
    if own is not None or scope.school_id is None:
        return own
    area = Scope(scope.area_id, scope.area_name)
    inherited: ContactAssignment | None = await session.scalar(
        _on(assignment_in_scope(area, role), on)
    )
    return inherited


def _on(conditions: list[ColumnElement[bool]], on: date) -> Select[tuple[ContactAssignment]]:
    return (
        select(ContactAssignment)
        .where(*conditions, in_force(on))
        .order_by(ContactAssignment.valid_from.desc(), ContactAssignment.id.desc())
        .limit(1)
    )


async def change_days(
    session: AsyncSession, scope: Scope, role: ContactRole, after: date, until: date
) -> list[date]:
    """The days in (after, until] on which an assignment that may show in the scope begins or
    ends (for a school, its area's too), in order: the only days its contact can change."""
    scopes = [scope] if scope.school_id is None else [scope, Scope(scope.area_id, scope.area_name)]
    conditions = or_(*(and_(*assignment_in_scope(s, role)) for s in scopes))
    starts = select(ContactAssignment.valid_from.label("day")).where(
        conditions, ContactAssignment.valid_from > after, ContactAssignment.valid_from <= until
    )
    ends = select(ContactAssignment.valid_to.label("day")).where(
        conditions, ContactAssignment.valid_to > after, ContactAssignment.valid_to <= until
    )
    days: list[date | None] = list((await session.execute(union(starts, ends))).scalars())
    return sorted(day for day in days if day is not None)


async def area_scopes(session: AsyncSession, area_ids: frozenset[str] | None) -> list[Scope]:
    """The areas, in name order; None means all of them."""
    query = select(Area).order_by(Area.name)
    if area_ids is not None:
        query = query.where(Area.id.in_(area_ids))
    return [Scope(area.id, area.name) for area in await session.scalars(query)]


def scope_candidates(matches: Iterable[Match]) -> list[Candidate]:
    """A candidate per lookup match that is a school or a Stockholm place, deduplicated."""
    found: dict[str, Candidate] = {}
    for match in matches:
        entry = match.entry
        if entry.area_id is None or entry.kind is EntryKind.MUNICIPALITY:
            continue
        key = f"s:{entry.ref}" if entry.kind is EntryKind.SCHOOL else f"a:{entry.area_id}"
        found.setdefault(key, Candidate(key, entry.name, entry.area_id))
    return list(found.values())
