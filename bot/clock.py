"""Time in one place, so tests and services agree on "now" and on the day in Stockholm."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """SQLite hands back naive datetimes even for timezone-aware columns; they are UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_date(moment: datetime, timezone: str) -> date:
    """The calendar day a stored moment falls on where the users are (e.g. Europe/Stockholm).

    A moment stored at 00:30 in Stockholm is the previous day in UTC; showing or comparing
    `.date()` of the UTC value would be a day off.
    """
    return as_utc(moment).astimezone(ZoneInfo(timezone)).date()
