"""The follow-up figures: how often each event happens, per day, area and school operator.

Only counters: no user, chat, message or query is ever part of a key, so no figure can be traced
back to a person. The city's follow-up model asks for use per district, and the motion asks that
free-standing schools take part as much as municipal ones: hence the operator split.

`count` is an upsert (INSERT … ON CONFLICT DO UPDATE SET count = count + 1) in the caller's
transaction. On PostgreSQL two concurrent increments of one key serialise on the row (the second
waits for the first to commit, then adds to the committed value), so none is lost; SQLite allows
one writer at a time anyway.

Lookups do not write: they add to a `UsageBuffer` in memory, which a job writes every
`FLUSH_SECONDS` and once more when the bot stops. A lookup then answers when the database is
read-only, and on SQLite does not take the one writer's lock.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import Database, announce
from bot.i18n import N_
from bot.models import Operator, UsageCount, UsageEvent
from bot.services.contacts import ContactCard
from bot.services.csv_formats import write_text

log = logging.getLogger(__name__)

NO_AREA = ""
# How often the buffered counts are written (`UsageBuffer.flush`): at most this much of the
# follow-up figures waits in memory, and is lost only if the process dies without stopping.
FLUSH_SECONDS = 30.0
NO_OPERATOR = ""
OPERATORS = frozenset({*(operator.value for operator in Operator), NO_OPERATOR})
CSV_HEADER = ("day", "area_id", "event", "operator", "count")
# What /statistik and `kontaktlotsen stats` call each event (the CSV keeps the machine keys).
EVENT_LABELS: dict[UsageEvent, str] = {
    UsageEvent.LOOKUP_ANSWERED: N_("Uppslag med svar"),
    UsageEvent.LOOKUP_NO_MATCH: N_("Uppslag utan träff"),
    UsageEvent.GUIDE_STARTED: N_("Guiden påbörjad"),
    UsageEvent.GUIDE_COMPLETED: N_("Guiden slutförd"),
    UsageEvent.HANDOVER_RECORDED: N_("Överlämningar"),
    UsageEvent.NOTIFICATION_DELIVERED: N_("Aviseringar levererade"),
    UsageEvent.NOTIFICATION_FAILED: N_("Aviseringar misslyckade"),
    UsageEvent.STALE_REMINDER_SENT: N_("Påminnelser, inaktuella"),
    UsageEvent.AGREEMENT_REMINDER_SENT: N_("Påminnelser, samverkan"),
    UsageEvent.CHECKIN_ACCEPTED: N_("Uppföljning beställd"),
    UsageEvent.CHECKIN_ASKED: N_("Uppföljning frågad"),
    UsageEvent.FEEDBACK_YES: N_("Återkoppling: ja"),
    UsageEvent.FEEDBACK_NO: N_("Återkoppling: nej"),
    UsageEvent.FEEDBACK_UNKNOWN: N_("Återkoppling: vet inte"),
    UsageEvent.MEETING_YES: N_("Anmälningsmöte: ja"),
    UsageEvent.MEETING_NO: N_("Anmälningsmöte: nej"),
    UsageEvent.MEETING_UNKNOWN: N_("Anmälningsmöte: vet inte"),
}


@dataclass(frozen=True)
class Counted:
    """What `count` announces to the database's listeners (the live metrics), after commit."""

    event: UsageEvent
    by: int = 1


def _upsert(session: AsyncSession) -> Any:
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert(UsageCount)
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        return sqlite_insert(UsageCount)
    raise NotImplementedError(f"usage counts need PostgreSQL or SQLite, not {dialect}")


def _check_operator(operator: str) -> None:
    if operator not in OPERATORS:
        raise ValueError(f"unknown operator {operator!r}")


async def _add(
    session: AsyncSession, on: date, event: str, area_id: str, operator: str, by: int
) -> None:
    statement = _upsert(session).values(
        day=on, area_id=area_id, event=event, operator=operator, count=by
    )
    statement = statement.on_conflict_do_update(
        index_elements=["day", "area_id", "event", "operator"],
        set_={"count": UsageCount.count + statement.excluded.count},
    )
    await session.execute(statement)


async def count(
    session: AsyncSession,
    on: date,
    event: UsageEvent,
    area_id: str | None,
    operator: str = NO_OPERATOR,
    *,
    by: int = 1,
) -> None:
    """Add `by` (default one) to the day's counter of `event` in `area_id` (None: no area)."""
    _check_operator(operator)
    await _add(session, on, UsageEvent(event).value, area_id or NO_AREA, operator, by)
    announce(session, Counted(UsageEvent(event), by))  # live metrics hear of it after commit


def lookup_key(card: ContactCard | None) -> tuple[UsageEvent, str | None, str]:
    """What a lookup counts as: answered with a card (its area, and the school's operator),
    or no match."""
    if card is None:
        return UsageEvent.LOOKUP_NO_MATCH, None, NO_OPERATOR
    operator = card.school.operator if card.school is not None else NO_OPERATOR
    return UsageEvent.LOOKUP_ANSWERED, card.area.id, operator


# A buffered counter: day, area id ("" for none), event, operator ("" for none).
UsageKey = tuple[date, str, str, str]


class UsageBuffer:
    """Counters kept in memory until `flush` writes them in one transaction.

    `notify` hears each count at once (the live metrics, `Database.notify`). A flush that fails
    puts its counts back, to be written by the next one; the keys carry no person, so what
    waits is a handful of numbers per day.
    """

    def __init__(self, notify: Callable[[object], None]) -> None:
        self.notify = notify
        self._pending: Counter[UsageKey] = Counter()

    @property
    def pending(self) -> int:
        return sum(self._pending.values())

    def add(
        self,
        on: date,
        event: UsageEvent,
        area_id: str | None,
        operator: str = NO_OPERATOR,
        *,
        by: int = 1,
    ) -> None:
        _check_operator(operator)
        self._pending[(on, area_id or NO_AREA, UsageEvent(event).value, operator)] += by
        self.notify(Counted(UsageEvent(event), by))

    def count_lookup(self, on: date, card: ContactCard | None) -> None:
        event, area_id, operator = lookup_key(card)
        self.add(on, event, area_id, operator)

    async def flush(self, database: Database) -> int:
        """Write what is buffered (one upsert per key, in key order); how many counts."""
        pending, self._pending = self._pending, Counter()
        if not pending:
            return 0
        try:
            async with database.transaction() as session:
                for (day, area_id, event, operator), by in sorted(pending.items()):
                    await _add(session, day, event, area_id, operator, by)
        except BaseException:
            self._pending.update(pending)  # written next time
            raise
        return sum(pending.values())


async def count_handover(session: AsyncSession, on: date, area_id: str) -> None:
    """A handover recorded in `area_id` (called once per new handover, not for a repeat)."""
    await count(session, on, UsageEvent.HANDOVER_RECORDED, area_id)


async def count_guide_started(session: AsyncSession, on: date) -> None:
    """/anmalan begun from its first step (a resumed guide is not a new start)."""
    await count(session, on, UsageEvent.GUIDE_STARTED, None)


async def count_guide_completed(session: AsyncSession, on: date) -> None:
    """The guide reached its checklist."""
    await count(session, on, UsageEvent.GUIDE_COMPLETED, None)


@dataclass(frozen=True)
class UsageRow:
    """One counter: `area_id` and `operator` are None where they do not apply."""

    day: date
    area_id: str | None
    event: str
    operator: str | None
    count: int


async def rows(
    session: AsyncSession,
    start: date,
    end: date,
    area_filter: frozenset[str] | None = None,
    *,
    include_no_area: bool = True,
) -> list[UsageRow]:
    """The counters for the days [start, end], ordered by day, area, event and operator.

    `area_filter` limits the per-area rows (None: all areas); `include_no_area` keeps the
    events that belong to no area (a lookup without a match, the guide).
    """
    query = (
        select(
            UsageCount.day,
            UsageCount.area_id,
            UsageCount.event,
            UsageCount.operator,
            UsageCount.count,
        )
        .where(UsageCount.day >= start, UsageCount.day <= end, UsageCount.count > 0)
        .order_by(UsageCount.day, UsageCount.area_id, UsageCount.event, UsageCount.operator)
    )
    if area_filter is not None:
        allowed: ColumnElement[bool] = UsageCount.area_id.in_(sorted(area_filter))
        if include_no_area:
            allowed = allowed | (UsageCount.area_id == NO_AREA)
        query = query.where(allowed)
    elif not include_no_area:
        query = query.where(UsageCount.area_id != NO_AREA)
    result = await session.execute(query)
    return [
        UsageRow(day, area_id or None, event, operator or None, int(value))
        for day, area_id, event, operator, value in result.tuples()
    ]


async def total(session: AsyncSession, event: UsageEvent, start: date, end: date) -> int:
    """All counts of one event over [start, end], every area and operator together."""
    value = await session.scalar(
        select(func.coalesce(func.sum(UsageCount.count), 0)).where(
            UsageCount.event == event.value, UsageCount.day >= start, UsageCount.day <= end
        )
    )
    return int(value or 0)


def as_csv(usage: Iterable[UsageRow]) -> str:
    """One line per day × area × event × operator, for the annual follow-up report."""
    rows = (
        (row.day.isoformat(), row.area_id or "", row.event, row.operator or "", row.count)
        for row in usage
    )
    return write_text(CSV_HEADER, rows)


# --- Summaries for /statistik and `kontaktlotsen stats` ----------------------------------------


@dataclass(frozen=True)
class AreaLookups:
    """Answered lookups for one area, by what was looked up."""

    municipal: int = 0
    independent: int = 0
    area_only: int = 0  # a stadsdel or stadsdelsområde, not a school

    @property
    def total(self) -> int:
        return self.municipal + self.independent + self.area_only


@dataclass(frozen=True)
class Summary:
    start: date
    end: date
    lookups: dict[str, AreaLookups]
    events: dict[str, int]

    @property
    def lookup_total(self) -> AreaLookups:
        return AreaLookups(
            sum(a.municipal for a in self.lookups.values()),
            sum(a.independent for a in self.lookups.values()),
            sum(a.area_only for a in self.lookups.values()),
        )


def summarise(usage: Sequence[UsageRow], start: date, end: date) -> Summary:
    """Answered lookups per area (split by operator) and every event's total."""
    split: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    events: dict[str, int] = {event.value: 0 for event in UsageEvent}
    for row in usage:
        events[row.event] = events.get(row.event, 0) + row.count
        if row.event == UsageEvent.LOOKUP_ANSWERED.value and row.area_id:
            split[row.area_id][row.operator or NO_OPERATOR] += row.count
    lookups = {
        area_id: AreaLookups(
            by_operator[Operator.MUNICIPAL.value],
            by_operator[Operator.INDEPENDENT.value],
            by_operator[NO_OPERATOR],
        )
        for area_id, by_operator in sorted(split.items())
    }
    return Summary(start, end, lookups, events)


def week_start(day: date) -> date:
    """The Monday of the ISO week `day` is in."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class WeeklySeries:
    """Per ISO week (its Monday): answered lookups per area and operator, guide completions."""

    start: date
    end: date
    weeks: tuple[date, ...]
    lookups_by_area: dict[str, tuple[int, ...]]
    lookups_by_operator: dict[str, tuple[int, ...]]
    guide_completed: tuple[int, ...]


def weekly(usage: Sequence[UsageRow], start: date, end: date) -> WeeklySeries:
    weeks: list[date] = []
    monday = week_start(start)
    while monday <= end:
        weeks.append(monday)
        monday += timedelta(days=7)
    index = {week: i for i, week in enumerate(weeks)}
    by_area: dict[str, list[int]] = defaultdict(lambda: [0] * len(weeks))
    by_operator: dict[str, list[int]] = {op: [0] * len(weeks) for op in sorted(OPERATORS)}
    guide = [0] * len(weeks)
    for row in usage:
        i = index[week_start(row.day)]
        if row.event == UsageEvent.LOOKUP_ANSWERED.value and row.area_id:
            by_area[row.area_id][i] += row.count
            by_operator[row.operator or NO_OPERATOR][i] += row.count
        elif row.event == UsageEvent.GUIDE_COMPLETED.value:
            guide[i] += row.count
    return WeeklySeries(
        start,
        end,
        tuple(weeks),
        {area: tuple(values) for area, values in sorted(by_area.items())},
        {op: tuple(values) for op, values in by_operator.items()},
        tuple(guide),
    )
