"""Phone numbers in international form: every directory format, and nothing invented."""

from __future__ import annotations

import pytest

from bot.services.phones import parse_phone, tappable


@pytest.mark.parametrize(
    ("raw", "e164", "international", "national"),
    [
        ("08-465 004 00", "+46846500400", "+46 8 465 004 00", "08-465 004 00"),
        ("070-174 06 05", "+46701740605", "+46 70 174 06 05", "070-174 06 05"),
        ("08 465 004 00", "+46846500400", "+46 8 465 004 00", "08-465 004 00"),
        ("0846500400", "+46846500400", "+46 8 465 004 00", "08-465 004 00"),
        ("+46 8 465 004 00", "+46846500400", "+46 8 465 004 00", "08-465 004 00"),
        ("+46 (0)8-465 004 00", "+46846500400", "+46 8 465 004 00", "08-465 004 00"),
        ("+46 08 465 004 00", "+46846500400", "+46 8 465 004 00", "08-465 004 00"),
        ("0046 8 465 004 00", "+46846500400", "+46 8 465 004 00", "08-465 004 00"),
        ("(08) 465 004 12", "+46846500412", "+46 8 465 004 12", "08-465 004 12"),
        ("+46701740605", "+46701740605", "+46 70 174 06 05", "070-174 06 05"),
        ("070–174\u00a006 05", "+46701740605", "+46 70 174 06 05", "070-174 06 05"),
        ("0120-123 45", "+4612012345", "+46 120 123 45", "0120-123 45"),
        ("031-123 45 67", "+46311234567", "+46 31 123 45 67", "031-123 45 67"),
        ("+44 20 7946 0958", "+442079460958", "+44 20 7946 0958", None),
    ],
)
def test_directory_formats_become_international(
    raw: str, e164: str, international: str, national: str | None
) -> None:
    number = parse_phone(raw)
    assert number is not None
    assert (number.e164, number.international, number.national) == (e164, international, national)
    # the same digits, only the trunk 0 swapped for the country code: nothing invented
    digits = "".join(c for c in raw.replace("(0)", "") if c.isdigit())
    assert number.e164.removeprefix("+").endswith(
        digits.lstrip("0").removeprefix("46").lstrip("0")
    )


@pytest.mark.parametrize(
    "raw",
    [
        "112",  # emergency: dialled as it is, never "+46 112"
        "1177",
        "08-465 004 00 ankn. 12",  # an extension: shown as written
        "08-12",  # too short
        "08-465 004 00 12 34",  # too long
        "växeln",
        "0046",
        "+",
        "++46 8 465 004 00",
        "08-465 ²04 00",  # unicode digits
        "",
        "   ",
    ],
)
def test_what_cannot_be_read_safely_is_left_alone(raw: str) -> None:
    assert parse_phone(raw) is None
    assert tappable(raw) == (raw.strip() or None)


def test_card_text_puts_the_tappable_form_first() -> None:
    assert tappable("08-465 004 99") == "+46 8 465 004 99 (08-465 004 99)"
    assert tappable(None) is None
