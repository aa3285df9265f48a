"""Validation of admin-entered fields."""

from __future__ import annotations

import pytest

from bot.services.fields import (
    FieldError,
    PersonalNumberInText,
    check_contact_detail,
    check_free_text,
    clean_text,
    normalise_email,
    normalise_phone,
    normalise_skolenhetskod,
    parse_iso_date,
)
from bot.services.handovers import Person


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
        ("08-465 004 13", "08-465 004 13"),
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


def test_free_text_with_a_personnummer_is_refused_without_repeating_it() -> None:
    assert check_free_text("  Socialsekreterare ", max_length=120) == "Socialsekreterare"
    with pytest.raises(PersonalNumberInText) as caught:
        check_free_text("Gäller 640823-3234", max_length=120)
    assert "640823" not in str(caught.value)


@pytest.mark.parametrize(
    ("field", "raw", "expected"),
    [
        ("name", " Sara Ek ", "Sara Ek"),
        ("title", "   ", None),
        ("title", None, None),
        ("phone", "+46 8 465 004 20", "08-465 004 20"),
        ("email", "", None),
        ("email", "Sara.Ek@Example.com", "sara.ek@example.com"),
        ("hours", "Vardagar 8–16", "Vardagar 8–16"),
    ],
)
def test_contact_details_are_checked_one_way(field: str, raw: str | None, expected: str) -> None:
    assert check_contact_detail(field, raw) == expected


@pytest.mark.parametrize(
    ("field", "raw"),
    [("name", ""), ("name", None), ("phone", None), ("title", "Elev 640823-3234")],
)
def test_required_or_personal_contact_details_are_refused(field: str, raw: str | None) -> None:
    with pytest.raises(FieldError):
        check_contact_detail(field, raw)


def test_a_handover_person_is_checked_like_the_wizard_checks_each_answer() -> None:
    typed = Person("  Sara Ek", "+4684650042 0", title=" ", email="Sara@Example.com")
    assert typed.checked() == Person(
        "Sara Ek", "08-465 004 20", title=None, email="sara@example.com", hours=None
    )
    with pytest.raises(PersonalNumberInText):
        Person("Sara Ek", "08-465 004 20", hours="ring 19640823-3234").checked()
