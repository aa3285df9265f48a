"""Has a contact's phone time passed for today? Read from its free-text hours ("09.00–11.00").

The intake unit's card says "telefontid 09.00–11.00"; at 14:00 the card should say what to do
instead. Hours are free text that admins write, so this reads only what it can be sure of:
clock ranges such as "9–11", "09.00-11.00", "13:00–15:30". Without a range, nothing is said.
"""

from __future__ import annotations

import re
from datetime import datetime, time

_RANGE = re.compile(
    r"(?<!\d)(\d{1,2})(?:[.:](\d{2}))?\s*(?:–|-|—|till)\s*(\d{1,2})(?:[.:](\d{2}))?(?!\d)"
)


_PHONE_WORD = re.compile(r"telefon|phone", re.IGNORECASE)


def phone_ranges(hours: str | None) -> list[tuple[time, time]]:
    """The phone's clock ranges in `hours`: those after "telefontid"/"phone" if it is named
    ("Vardagar 08.00–16.30, telefontid 09.00–11.00" → 09–11), else every range written."""
    text = hours or ""
    named = _PHONE_WORD.search(text)
    if named is not None:
        text = text[named.end() :]
    ranges: list[tuple[time, time]] = []
    for match in _RANGE.finditer(text):
        start_h, start_m, end_h, end_m = match.groups()
        try:
            start = time(int(start_h), int(start_m or 0))
            end = time(int(end_h), int(end_m or 0))
        except ValueError:
            continue
        if start < end:
            ranges.append((start, end))
    return ranges


def phone_hours_passed(hours: str | None, moment: datetime) -> bool:
    """True when `hours` names phone times and the last one today is over (or it is a weekend).

    `moment` is local time where the contact is. Before the first range it is not "passed": the
    phone opens later today.
    """
    ranges = phone_ranges(hours)
    if not ranges:
        return False
    if moment.weekday() >= 5:
        return True
    return moment.time() >= max(end for _, end in ranges)
