"""Validation of admin-entered fields."""

from __future__ import annotations

import pytest

from bot.services.fields import (
    FieldError,
    clean_text,
    normalise_email,
    normalise_phone,
    normalise_skolenhetskod,
    parse_iso_date,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("08-465 004 12", "08-465 004 12"),
        ("+46 8 465 004 12", "08-465 004 12"),
        ("0046846500412", "08-465 004 12"),
        ("08 465 004 12", "08-465 004 12"),
        ("(08) 465 004 12", "08-465 004 12"),
        ("070-174 06 05", "070-174 06 05"),
        ("+46701740605", "070-174 06 05"),
        ("08-123 45 67", "08-123 45 67"),
        ("031-390 06 00", "031-390 06 00"),
    ],
)
def test_swedish_phone_formats_are_normalised(raw: str, expected: str) -> None:
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "abc", "+1 212 555 0100", "08-12", "0812345678901"])
def test_bad_phone_numbers_are_refused_with_an_example(raw: str) -> None:
    with pytest.raises(FieldError, match="exempel"):
        normalise_phone(raw)


@pytest.mark.parametrize("raw", ["a@b", "namn@", "@stockholm.se", "två ord@x.se", "a<b>@x.se"])
def test_bad_email_is_refused(raw: str) -> None:
    with pytest.raises(FieldError):
        normalise_email(raw)


def test_email_is_lower_cased() -> None:
    assert normalise_email(" Anna.Berg@Stockholm.SE ") == "anna.berg@stockholm.se"


def test_text_is_cleaned_and_limited() -> None:
    assert clean_text("\u202e Anna\x00 ") == "Anna"
    with pytest.raises(FieldError, match="för långt"):
        clean_text("A" * 121, max_length=120)


def test_codes_and_dates() -> None:
    assert normalise_skolenhetskod("") is None
    assert normalise_skolenhetskod("12345678") == "12345678"
    with pytest.raises(FieldError):
        normalise_skolenhetskod("1234567")
    assert parse_iso_date("2026-12-01").isoformat() == "2026-12-01"
    with pytest.raises(FieldError):
        parse_iso_date("1/12")
