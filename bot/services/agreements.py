"""The local cooperation agreement (samverkansöverenskommelse) of each area, and its age.

The 2016 motion asks every district to revise its agreement regularly. Each area records the
day it was last revised; an agreement older than `MAX_AGE_MONTHS` (or never recorded) is
overdue, and a weekly job reminds the area's admins.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area
from bot.services import audit
from bot.services.authz import Actor, require_area
from bot.services.dates import DateNotUnderstood, parse_day
from bot.services.errors import AdminError, UnknownTarget
from bot.services.text_normalise import normalise
from knowledge.directory import AreaInfo

MAX_AGE_MONTHS = 12
ACTION = "agreement.revise"


class FutureRevision(AdminError):
    """A revision date after today."""


@dataclass(frozen=True)
class AgreementStatus:
    area_id: str
    area_name: str
    revised_on: date | None
    overdue: bool


class AreaNotUnderstood(AdminError):
    """The text names no stadsdelsområde (by name, slug or former name)."""


def find_area(areas: Iterable[AreaInfo], text: str) -> str | None:
    """The area whose name, slug or former name is `text` (case, accents, punctuation ignored).

    Folded as the lookup folds names (`normalise`), so "Enskede-Årsta-Vantör", "enskede arsta
    vantor" and "Södermalm," all name their area.
    """
    wanted = normalise(text)
    for area in areas:
        if wanted in {normalise(area.id), normalise(area.name), *map(normalise, area.aliases)}:
            return area.id
    return None


def parse_revision(text: str, areas: Iterable[AreaInfo], today: date) -> tuple[str, date]:
    """Read "Södermalm 2026-03-15" or "Farsta 15 mars 2026" as (area id, day).

    The date is the last one to three words. Without a year, a day that would lie ahead means
    the same day last year: an agreement is recorded after it was revised.
    """
    known = tuple(areas)
    words = text.split()
    date_error: DateNotUnderstood | None = None
    for size in (1, 2, 3):
        if len(words) <= size:
            break
        area_id = find_area(known, " ".join(words[:-size]))
        if area_id is None:
            continue
        raw = " ".join(words[-size:])
        try:
            day = parse_day(raw, today)
        except DateNotUnderstood as error:
            date_error = error
            continue
        if day > today and not re.search(r"[0-9]{4}", raw):
            day = months_before(day, 12)
        return area_id, day
    if date_error is not None:
        raise date_error
    raise AreaNotUnderstood(text)


def months_before(day: date, months: int) -> date:
    """The same day `months` earlier (the last day of a shorter month when it has none)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    for candidate in (day.day, 30, 29, 28):
        try:
            return date(year, month + 1, min(day.day, candidate))
        except ValueError:
            continue
    raise AssertionError("unreachable")  # pragma: no cover


def is_overdue(revised_on: date | None, today: date) -> bool:
    """Never recorded, or revised more than `MAX_AGE_MONTHS` ago."""
    return revised_on is None or revised_on < months_before(today, MAX_AGE_MONTHS)


async def statuses(
    session: AsyncSession, today: date, area_filter: frozenset[str] | None = None
) -> list[AgreementStatus]:
    """Every area's agreement date (or only `area_filter`'s), by area name."""
    query = select(Area.id, Area.name, Area.agreement_revised_on).order_by(Area.name)
    if area_filter is not None:
        query = query.where(Area.id.in_(sorted(area_filter)))
    result = await session.execute(query)
    return [
        AgreementStatus(area_id, name, revised_on, is_overdue(revised_on, today))
        for area_id, name, revised_on in result.tuples()
    ]


async def record_revision(
    session: AsyncSession, actor: Actor, area_id: str, revised_on: date, today: date
) -> AgreementStatus:
    """An admin of the area (or a city admin) records the day the agreement was revised."""
    await require_area(session, actor, area_id, ACTION, f"a:{area_id}")
    area = await session.get(Area, area_id)
    if area is None:
        raise UnknownTarget(area_id)
    if revised_on > today:
        raise FutureRevision(revised_on.isoformat())
    before = area.agreement_revised_on
    area.agreement_revised_on = revised_on
    await audit.record(
        session,
        actor.label,
        ACTION,
        f"a:{area_id}",
        before={"revised_on": before.isoformat() if before else None},
        after={"revised_on": revised_on.isoformat()},
    )
    return AgreementStatus(area.id, area.name, revised_on, is_overdue(revised_on, today))


def reminders(
    overdue: Iterable[AgreementStatus],
    admins_by_area: dict[str, list[int]],
    city_admin_ids: Iterable[int],
) -> dict[int, list[AgreementStatus]]:
    """Who is reminded of which overdue areas: the area's admins, else the city admins."""
    city_admins = sorted(set(city_admin_ids))
    by_recipient: dict[int, list[AgreementStatus]] = {}
    for status in overdue:
        if not status.overdue:
            continue
        for recipient in sorted(set(admins_by_area.get(status.area_id, []))) or city_admins:
            by_recipient.setdefault(recipient, []).append(status)
    return by_recipient
