"""One strict reading of numbers, ids and digit runs from user input: ASCII digits only.

`str.isdigit()` accepts "²" and "①" (which `int()` then refuses) and `\\d` and `int()` accept
Arabic-Indic or full-width digits. Input from a person or a button is read here instead, so a
forged or exotic digit gets the polite "not understood" answer and never an exception or a
silently converted value. (The personnummer detector is the one deliberate exception: it
counts every decimal digit, to catch more.)
"""

from __future__ import annotations

import re
from typing import Final

__all__ = [
    "DIGITS",
    "MAX_ID_DIGITS",
    "digits",
    "is_ascii_digits",
    "parse_id",
    "parse_int",
    "parse_row_id",
]

# For regular expressions over user input or callback data: "[0-9]", never "\\d".
DIGITS: Final = "[0-9]"
# Telegram ids fit in 52 bits (16 digits); database ids are far shorter.
MAX_ID_DIGITS: Final = 16
_ASCII_DIGITS: Final = re.compile(r"[0-9]+")


def is_ascii_digits(text: str, *, max_digits: int | None = None) -> bool:
    """True for one or more of 0-9 and nothing else (no sign, space or other digits)."""
    if not _ASCII_DIGITS.fullmatch(text):
        return False
    return max_digits is None or len(text) <= max_digits


def parse_int(
    text: str, *, max_digits: int = 9, minimum: int | None = None, maximum: int | None = None
) -> int | None:
    """The number the text is, or None: ASCII digits, at most `max_digits`, within bounds."""
    text = text.strip()
    if not is_ascii_digits(text, max_digits=max_digits):
        return None
    value = int(text)
    if minimum is not None and value < minimum:
        return None
    if maximum is not None and value > maximum:
        return None
    return value


def parse_id(text: str) -> int | None:
    """A positive id (a Telegram user id, a row id) or None."""
    return parse_int(text, max_digits=MAX_ID_DIGITS, minimum=1)


def parse_row_id(text: str) -> int | None:
    """A database row id (a 32-bit integer column) or None."""
    return parse_int(text, max_digits=9, minimum=1)


def digits(low: int, high: int) -> str:
    """A regular-expression fragment for `low` to `high` ASCII digits."""
    return f"{DIGITS}{{{low},{high}}}"
