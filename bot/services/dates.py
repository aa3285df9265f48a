"""Dates as admins type them, in Swedish or English, relative to today in Stockholm.

Accepted: "idag"/"i dag"/"today", "imorgon"/"i morgon"/"tomorrow", "i övermorgon",
"2026-12-01", "1/12", "1/12/2026", "1.12", "1 december", "1 dec 2026", "den 1:a december",
"1 December", "1st December", "December 1, 2026".

Day/month order is the Swedish one (1/12 is the first of December). Without a year, the date is
in the current year, unless that lies more than `NEXT_YEAR_AFTER_DAYS` behind today: then it is
next year ("5/1" typed in December means January). A date just behind today stays in the past,
so the caller refuses it rather than silently moving a handover a year ahead.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from bot.services.fields import FieldError, clean_text

NEXT_YEAR_AFTER_DAYS = 60

RELATIVE = {
    "idag": 0,
    "i dag": 0,
    "today": 0,
    "imorgon": 1,
    "i morgon": 1,
    "imorron": 1,
    "tomorrow": 1,
    "i övermorgon": 2,
    "övermorgon": 2,
}

MONTHS = {
    "januari": 1,
    "january": 1,
    "jan": 1,
    "februari": 2,
    "february": 2,
    "feb": 2,
    "mars": 3,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "maj": 5,
    "may": 5,
    "juni": 6,
    "june": 6,
    "jun": 6,
    "juli": 7,
    "july": 7,
    "jul": 7,
    "augusti": 8,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sept": 9,
    "sep": 9,
    "oktober": 10,
    "october": 10,
    "okt": 10,
    "oct": 10,
    "november": 11,
    "nov": 11,
    "december": 12,
    "dec": 12,
}

# "[0-9]", not "\d": "\d" also matches Arabic-Indic and full-width digits (bot.services.parsing).
_ISO = re.compile(r"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})$")
_NUMERIC = re.compile(r"^([0-9]{1,2})[/.]([0-9]{1,2})(?:[/. ]([0-9]{4}|[0-9]{2}))?$")
_DAY_MONTH = re.compile(r"^([0-9]{1,2}) ([a-zåäö]+)(?: ([0-9]{4}))?$")
_MONTH_DAY = re.compile(r"^([a-z]+) ([0-9]{1,2})(?: ([0-9]{4}))?$")
_ORDINAL = re.compile(r"([0-9])(?::a|:e|st|nd|rd|th)\b")


class DateNotUnderstood(FieldError):
    """The text is not a date in any accepted form."""


def parse_day(raw: str, today: date) -> date:
    """The date the text means; raises `DateNotUnderstood`."""
    try:
        text = clean_text(raw, max_length=40, required=True).lower()
    except FieldError as error:
        raise DateNotUnderstood(str(error)) from error
    text = re.sub(r"[,]", " ", text)
    text = re.sub(r"\s+", " ", text).strip().rstrip(".")
    text = re.sub(r"^(?:den|the|fr\.?o\.?m\.?|från|from) ", "", text)
    text = _ORDINAL.sub(r"\1", text).replace(" of ", " ")
    text = re.sub(r"([a-z])\.(?= |$)", r"\1", text)  # "1 dec." → "1 dec"
    if text in RELATIVE:
        return today + timedelta(days=RELATIVE[text])
    if found := _ISO.match(text):
        return _make(int(found[1]), int(found[2]), int(found[3]))
    if found := _NUMERIC.match(text):
        return _with_year(int(found[1]), int(found[2]), found[3], today)
    if (found := _DAY_MONTH.match(text)) and found[2] in MONTHS:
        return _with_year(int(found[1]), MONTHS[found[2]], found[3], today)
    if (found := _MONTH_DAY.match(text)) and found[1] in MONTHS:
        return _with_year(int(found[2]), MONTHS[found[1]], found[3], today)
    raise DateNotUnderstood("är inget datum (exempel: imorgon, 1/12 eller 1 december)")


def _with_year(day: int, month: int, year_text: str | None, today: date) -> date:
    if year_text is not None:
        year = int(year_text)
        return _make(year + 2000 if year < 100 else year, month, day)
    candidate = _make(today.year, month, day)
    if (today - candidate).days > NEXT_YEAR_AFTER_DAYS:
        return _make(today.year + 1, month, day)
    return candidate


def _make(year: int, month: int, day: int) -> date:
    try:
        return date(year, month, day)
    except ValueError as error:
        raise DateNotUnderstood("finns inte i kalendern") from error
