"""Who the handover notices reach: how many staff follow each school and each area.

Counts only, never who. A follow paused because its user blocked the bot is not counted: the
notices do not reach that person. A school's notices go to its own followers and to its area's
(`follows.followers_of_change`), so an area's followers are counted on a line of their own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, Follow, School


@dataclass(frozen=True)
class SchoolReach:
    school_id: int
    name: str
    skolenhetskod: str | None
    followers: int


@dataclass(frozen=True)
class AreaReach:
    area_id: str
    name: str
    area_followers: int
    schools: tuple[SchoolReach, ...]

    @property
    def schools_reached(self) -> int:
        """Schools with at least one follower of their own."""
        return sum(1 for school in self.schools if school.followers)

    @property
    def school_followers(self) -> int:
        return sum(school.followers for school in self.schools)


async def follower_counts(
    session: AsyncSession, area_filter: Iterable[str] | None = None
) -> list[AreaReach]:
    """Per area (all, or those in `area_filter`): its followers and each school's."""
    active = Follow.active.is_(True)
    per_school = (
        select(School.id, School.name, School.skolenhetskod, School.area_id, func.count(Follow.id))
        .outerjoin(Follow, and_(Follow.school_id == School.id, active))
        .group_by(School.id, School.name, School.skolenhetskod, School.area_id)
    )
    per_area = (
        select(Area.id, Area.name, func.count(Follow.id))
        .outerjoin(Follow, and_(Follow.area_id == Area.id, active))
        .group_by(Area.id, Area.name)
        .order_by(Area.name)
    )
    if area_filter is not None:
        wanted = sorted(area_filter)
        per_school = per_school.where(School.area_id.in_(wanted))
        per_area = per_area.where(Area.id.in_(wanted))
    schools: dict[str, list[SchoolReach]] = {}
    for school_id, name, code, area_id, count in await session.execute(per_school):
        schools.setdefault(area_id, []).append(SchoolReach(school_id, name, code, int(count)))
    return [
        AreaReach(
            area_id,
            name,
            int(count),
            tuple(
                sorted(schools.get(area_id, []), key=lambda s: (s.name.casefold(), s.school_id))
            ),
        )
        for area_id, name, count in await session.execute(per_area)
    ]


def _cell(text: str) -> str:
    """A name a spreadsheet would run as a formula is written as text (OWASP CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(areas: list[AreaReach]) -> str:
    """One row per area (its own followers; `school_id` empty) and one per school."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["area_id", "school_id", "skolenhetskod", "school", "followers"])
    for area in areas:
        writer.writerow([area.area_id, "", "", "", area.area_followers])
        for school in area.schools:
            writer.writerow(
                [
                    area.area_id,
                    school.school_id,
                    school.skolenhetskod or "",
                    _cell(school.name),
                    school.followers,
                ]
            )
    return buffer.getvalue()
