"""Phone numbers from the directory, in the international form that phones can call and save.

Telegram's clients reliably make a number tappable only in international form ("+46 8 …"),
and a contact saved to the address book needs it to work from abroad too. The directory holds
numbers as the districts write them: "08-465 004 00", "070-174 06 05", "08 465 004 00",
"0846500400", "+46 8 465 004 00", "+46 (0)8-465 004 00", "0046 8 465 004 00".

`parse_phone` only rewrites what it can read without guessing: the same digits, the leading
0 (Swedish trunk prefix) swapped for +46, the districts' own grouping kept. Anything else — a
short number (112, 1177), an extension ("ankn. 12"), letters, a number of impossible length —
gives None, and the card shows the text exactly as the directory has it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

COUNTRY_CODE = "46"
# The national significant number (after the 0) of a Swedish number has 7 to 9 digits.
NSN_LENGTHS = range(7, 10)
# International numbers (E.164) have at most 15 digits including the country code.
E164_MAX = 15
# Swedish area codes (without the 0) that are two digits long; 8 (Stockholm) is the only
# one-digit code, the rest have three. Used only to group a number written without spaces.
_CODES = "10 11 13 16 18 19 20 21 23 26 31 33 35 36 40 42 44 46 54 60 63 70 72 73 76 77 79 90"
TWO_DIGIT_CODES = frozenset(_CODES.split(" "))

_SEPARATORS = re.compile(r"[\s\u00a0\u2009\u202f\-\u2010\u2011\u2012\u2013./]+")
_ALLOWED = re.compile(r"^\+?[\d\s\u00a0\u2009\u202f\-\u2010\u2011\u2012\u2013./()]+$")


@dataclass(frozen=True)
class PhoneNumber:
    """One number in three forms: E.164 for Telegram, spaced international, and national."""

    e164: str  # "+46846500400": what `sendContact` and a vCard get
    international: str  # "+46 8 465 004 00": what a card shows (tappable)
    national: str | None  # "08-465 004 00" for a Swedish number, None for a foreign one


def parse_phone(text: str | None) -> PhoneNumber | None:
    """The number in `text` in international form, or None when it cannot be read safely."""
    if text is None:
        return None
    raw = text.strip()
    if not raw or not _ALLOWED.match(raw) or raw.count("+") > 1:
        return None
    raw = raw.replace("(0)", " ")  # "+46 (0)8 …": the 0 is dialled only inside Sweden
    if "(" in raw or ")" in raw:
        raw = raw.replace("(", " ").replace(")", " ")
    groups = [g for g in _SEPARATORS.split(raw) if g]
    if raw.startswith("+"):
        groups[0] = groups[0][1:]
        return _international(groups)
    if groups[0].startswith("00"):
        groups[0] = groups[0][2:]
        return _international([g for g in groups if g])
    if groups[0].startswith("0"):
        return _swedish(groups[0][1:], groups[1:])
    return None  # a short number (112, 1177) or one without a trunk prefix: leave as written


def _international(groups: list[str]) -> PhoneNumber | None:
    digits = "".join(groups)
    if not digits.isascii() or not digits.isdigit() or not groups:
        return None
    if digits.startswith(COUNTRY_CODE):
        first = groups[0][len(COUNTRY_CODE) :]
        rest = groups[1:] if first == "" else [first, *groups[1:]]
        if rest and rest[0].startswith("0"):  # "+46 08 …" is written, but the 0 is wrong
            rest[0] = rest[0][1:]
            rest = [g for g in rest if g]
        return _swedish(rest[0], rest[1:]) if rest else None
    if not 8 <= len(digits) <= E164_MAX:
        return None
    return PhoneNumber("+" + digits, "+" + " ".join(groups), None)


def _swedish(first: str, rest: list[str]) -> PhoneNumber | None:
    """`first` is the first group after the trunk 0 (the area code when the writer split it)."""
    digits = first + "".join(rest)
    if not digits.isascii() or not digits.isdigit() or len(digits) not in NSN_LENGTHS:
        return None
    if digits.startswith("0"):  # "00…" or "0 0…": not a Swedish number we can read
        return None
    area, subscriber = _split_area(digits)
    if rest and area == first:  # the writer separated the area code: keep their grouping
        subscriber = rest
    return PhoneNumber(
        e164=f"+{COUNTRY_CODE}{digits}",
        international=" ".join([f"+{COUNTRY_CODE}", area, *subscriber]),
        national=f"0{area}-" + " ".join(subscriber),
    )


def _split_area(digits: str) -> tuple[str, list[str]]:
    """Area code and subscriber groups of a number written without usable separators."""
    if digits.startswith("8"):
        area = "8"
    elif digits[:2] in TWO_DIGIT_CODES:
        area = digits[:2]
    else:
        area = digits[:3]
    return area, group_subscriber(digits[len(area) :])


def group_subscriber(digits: str) -> list[str]:
    """Swedish grouping: pairs from the end, a leading three ("465 004 00", "123 45 67")."""
    if len(digits) <= 3:
        return [digits]
    if len(digits) % 2:
        return [digits[:3], *_pairs(digits[3:])]
    if len(digits) == 8:
        return [digits[:3], digits[3:6], digits[6:]]
    return _pairs(digits)


def _pairs(digits: str) -> list[str]:
    return [digits[i : i + 2] for i in range(0, len(digits), 2)]


def tappable(text: str | None) -> str | None:
    """The card's phone text: "+46 8 465 004 00 (08-465 004 00)", or the directory's own text
    when it cannot be read safely."""
    if text is None or not text.strip():
        return None
    number = parse_phone(text)
    if number is None:
        return text.strip()
    if number.national is None:
        return number.international
    return f"{number.international} ({number.national})"
