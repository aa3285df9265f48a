"""One strict parser: numbers, ids and dates from people and buttons are ASCII digits only."""

from __future__ import annotations

from datetime import date

import pytest

from bot.services.dates import DateNotUnderstood, parse_day
from bot.services.fields import FieldError, normalise_phone
from bot.services.parsing import is_ascii_digits, parse_id, parse_int, parse_row_id

EXOTIC = ["²", "①", "٣", "３", "12²", "٣٤٥", "1\u200b2", "-5", "+5", " ", "", "1 2", "9" * 40]


@pytest.mark.parametrize("text", EXOTIC)
def test_the_parser_reads_only_ascii_digits(text: str) -> None:
    assert parse_int(text) is None
    assert parse_id(text) is None
    assert not is_ascii_digits(text, max_digits=16)


def test_the_parser_reads_plain_numbers_within_bounds() -> None:
    assert parse_int("42") == 42
    assert parse_int(" 7 ") == 7
    assert parse_int("0", minimum=1) is None
    assert parse_int("91", maximum=90) is None
    assert parse_id("7000000001") == 7000000001
    assert parse_row_id("1234567890") is None  # a 32-bit id column: at most 9 digits


@pytest.mark.parametrize("text", ["١/١٢", "1/１２", "２０２７-01-01", "3 december ２０２７"])
def test_dates_in_other_digits_are_not_understood(text: str) -> None:
    with pytest.raises(DateNotUnderstood):
        parse_day(text, date(2026, 12, 2))


def test_a_phone_number_in_other_digits_is_refused() -> None:
    with pytest.raises(FieldError):
        normalise_phone("٠٨-٤٦٥ ٠٠٤ ١٢")
