"""Find, and mask, Swedish personnummer and samordningsnummer in free text.

The bot must never process, store or log a message that holds one (DESIGN.md §7), so this
module only reports *where* a number is; no function here returns, logs or raises with the
digits themselves.

Rules (Skatteverket, rättslig vägledning; see also domain.md §4):

* Personnummer, folkbokföringslagen 18 §: birth date YYMMDD, a three-digit birth number and
  one check digit, written YYMMDD-NNNC. The hyphen becomes "+" from the year the person turns
  100. Registers keep 12 digits, YYYYMMDDNNNC (century 18, 19 or 20).
  https://www4.skatteverket.se/rattsligvagledning/edition/2020.9/330245.html
* Check digit: Luhn (modulus 10, weights 2-1) over the nine digits YYMMDDNNN, never the
  century digits. Multiply alternately by 2 and 1, add the digits of the products, and the
  check digit is (10 - last digit of the sum) mod 10; equivalently, the sum over all ten digits
  with the check digit weighted 1 is divisible by 10. Skatteverket's worked example is the man
  born 23 August 1964 with birth number 323.
* Samordningsnummer, folkbokföringslagen 18 a §: same layout and check digit, but 60 is added
  to the day (days 61-91).
  https://www4.skatteverket.se/rattsligvagledning/edition/2016.5/330251.html
* Interim numbers (used by some health-care systems) put a letter from T, R, S, U, W, X, J, K,
  L, M, N in the first birth-number position; they carry no national check digit. Source: the
  personnummer project's package specification (github.com/personnummer/meta).

What counts as a hit, and the decisions behind it:

* A token of 10 or 12 digits, optionally with one separator between date and birth number:
  "-", "+", a space, a no-break space (U+00A0, U+202F), or a typographic dash (U+2010-U+2014,
  U+2212: phones turn "-" into these). A single space on either side of "-" or "+" is allowed
  too ("YYMMDD - NNNC"). The 12-digit form needs century 18, 19 or 20.
* The token must stand alone among digits: a 10-digit run inside a longer digit run is not a
  hit. Letters may touch it ("pnr:YYMMDD-NNNC" is still caught).
* The date part must be a real date: month 01-12 and day valid for the month, or day 61-91
  (samordningsnummer) with day - 60 valid. For the 10-digit form the century is unknown, so
  29 February is accepted whenever YY is divisible by 4. There is no check against today's
  date (no clock in a pure function); a future birth date still counts.
* Luhn must pass, except in the "typo or interim" rule below. Organisation numbers pass Luhn
  but have "month" 20 or more, so date validation lets them through.
* Typo or interim: a valid date, an explicit "-" or "+" separator, and four characters
  (three digits, or an interim letter and two digits, then a digit) are a hit even when Luhn
  fails, because a mistyped number still identifies a child. This applies to the 10- and the
  12-digit form. Without a separator (or with only a space) a failing number is not a hit:
  ten loose digits are too often a phone number.
* Unicode decimal digits (e.g. Arabic-Indic or full-width) count as digits, as Python's
  ``\\d`` and ``int`` treat them.
* Not supported, on purpose: spaces or dashes inside the date ("YY MM DD-NNNC",
  "YYYY-MM-DD-NNNC"). They are rare for personnummer and would make phone numbers, amounts
  and ISO dates followed by a time match far more often.
* Residual false positive: a Swedish mobile number written as ten bare digits is a hit when
  its digits happen to form a valid date and pass Luhn (well under 1 % of numbers). The cost
  is a user rephrasing; a missed personnummer would be a privacy breach.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "MASK",
    "HitKind",
    "HitReason",
    "PersonalNumberHit",
    "contains_personal_number",
    "find_personal_numbers",
    "mask_personal_numbers",
]

HitKind = Literal["personnummer", "samordningsnummer", "interim_or_typo"]
HitReason = Literal["check_digit_ok", "check_digit_mismatch", "interim_letter"]

MASK: Final = "[personnummer borttaget]"


@dataclass(frozen=True, slots=True)
class PersonalNumberHit:
    """Where a personal number sits in a text; deliberately holds no digits of it."""

    start: int
    end: int
    kind: HitKind
    reason: HitReason


_SPACE = "[\\x20\\u00a0\\u202f]"
_DASH_OR_PLUS = "[-+\\u2010-\\u2014\\u2212]"
_INTERIM_LETTERS = "TRSUWXJKLMNtrsuwxjklmn"  # either case: people type "t" too

# The pattern starts with a plain digit (the "not preceded by a digit" look-behind comes after
# it) so that the regex engine can skip quickly to the next digit; leading with the
# look-behind made a 4,000-character message about three times slower.
_CANDIDATE: Final = re.compile(
    rf"""
    (?P<head>\d(?<!\d\d)\d{{5}}(?:\d\d)?)    # YYMMDD, or CCYYMMDD
    (?P<sep>{_SPACE}?{_DASH_OR_PLUS}{_SPACE}?|{_SPACE})?
    (?P<serial>\d{{3}}|[{_INTERIM_LETTERS}]\d{{2}})
    (?P<check>\d)
    (?!\d)
    """,
    re.VERBOSE,
)
_CENTURIES: Final = frozenset({18, 19, 20})

# Longest month lengths; 29 February is checked against the year separately.
_DAYS_IN_MONTH: Final = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_SAMORDNING_DAY_OFFSET: Final = 60
# Digit sum of 2*d for d = 0..9 (the "double" step of Luhn).
_LUHN_DOUBLED: Final = (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)


def find_personal_numbers(text: str) -> list[PersonalNumberHit]:
    """Return every personnummer-like token in ``text``, in order of position."""
    hits: list[PersonalNumberHit] = []
    for match in _CANDIDATE.finditer(text):
        hit = _classify(match)
        if hit is not None:
            hits.append(hit)
    return hits


def contains_personal_number(text: str) -> bool:
    """Tell whether ``text`` holds anything ``find_personal_numbers`` would report."""
    return any(_classify(match) is not None for match in _CANDIDATE.finditer(text))


def mask_personal_numbers(text: str) -> str:
    """Return ``text`` with every hit replaced by ``MASK``; use it before logging anything."""
    hits = find_personal_numbers(text)
    if not hits:
        return text
    parts: list[str] = []
    position = 0
    for hit in hits:
        parts.append(text[position : hit.start])
        parts.append(MASK)
        position = hit.end
    parts.append(text[position:])
    return "".join(parts)


def _classify(match: re.Match[str]) -> PersonalNumberHit | None:
    head = match["head"]
    century = int(head[:2]) if len(head) == 8 else None
    if century is not None and century not in _CENTURIES:
        return None
    date = head[-6:]
    date_kind = _date_kind(century, date)
    if date_kind is None:
        return None
    start, end = match.span()
    serial = match["serial"]
    explicit_separator = bool(match["sep"]) and not match["sep"].isspace()
    if not serial.isdigit():
        if not explicit_separator:
            return None
        return PersonalNumberHit(start, end, "interim_or_typo", "interim_letter")
    if _luhn_ok(date + serial + match["check"]):
        return PersonalNumberHit(start, end, date_kind, "check_digit_ok")
    if explicit_separator:
        return PersonalNumberHit(start, end, "interim_or_typo", "check_digit_mismatch")
    return None


def _date_kind(
    century: int | None, date: str
) -> Literal["personnummer", "samordningsnummer"] | None:
    """Classify YYMMDD as a personnummer or samordningsnummer date, or None if invalid."""
    month = int(date[2:4])
    day = int(date[4:6])
    if not 1 <= month <= 12:
        return None
    kind: Literal["personnummer", "samordningsnummer"] = "personnummer"
    if day > _SAMORDNING_DAY_OFFSET:
        day -= _SAMORDNING_DAY_OFFSET
        kind = "samordningsnummer"
    if not 1 <= day <= _DAYS_IN_MONTH[month - 1]:
        return None
    if month == 2 and day == 29:
        year = int(date[0:2])
        leap = calendar.isleap(century * 100 + year) if century is not None else year % 4 == 0
        if not leap:
            return None
    return kind


def _luhn_ok(digits: str) -> bool:
    """Check ten digits YYMMDDNNNC: weights 2,1,2,… from the left, check digit weighted 1."""
    total = 0
    for index, char in enumerate(digits):
        value = int(char)
        total += _LUHN_DOUBLED[value] if index % 2 == 0 else value
    return total % 10 == 0
