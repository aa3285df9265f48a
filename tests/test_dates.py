"""Dates as admins type them (bot.services.dates), relative to a fixed today."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.dates import DateNotUnderstood, parse_day

TODAY = date(2026, 11, 22)  # a Sunday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("idag", date(2026, 11, 22)),
        ("I dag", date(2026, 11, 22)),
        ("today", date(2026, 11, 22)),
        ("imorgon", date(2026, 11, 23)),
        ("i morgon", date(2026, 11, 23)),
        ("Tomorrow", date(2026, 11, 23)),
        ("i övermorgon", date(2026, 11, 24)),
        ("2026-12-01", date(2026, 12, 1)),
        ("1/12", date(2026, 12, 1)),
        ("1.12", date(2026, 12, 1)),
        ("1/12/2026", date(2026, 12, 1)),
        ("1/12 27", date(2027, 12, 1)),
        ("1 december", date(2026, 12, 1)),
        ("den 1:a december", date(2026, 12, 1)),
        ("1 dec.", date(2026, 12, 1)),
        ("1 december 2027", date(2027, 12, 1)),
        ("1 December", date(2026, 12, 1)),
        ("1st December", date(2026, 12, 1)),
        ("December 1, 2026", date(2026, 12, 1)),
        ("the 3rd of January", date(2027, 1, 3)),
        ("5/1", date(2027, 1, 5)),  # January, typed in November: next January
        ("20/11", date(2026, 11, 20)),  # two days ago stays in the past (the caller refuses)
        ("från 2 mars", date(2027, 3, 2)),
    ],
)
def test_accepted_forms(text: str, expected: date) -> None:
    assert parse_day(text, TODAY) == expected


@pytest.mark.parametrize(
    "text",
    ["", "   ", "snart", "31/2", "2026-13-01", "32 december", "1 smarch", "12345", "x" * 300],
)
def test_not_a_date_is_refused(text: str) -> None:
    with pytest.raises(DateNotUnderstood):
        parse_day(text, TODAY)
