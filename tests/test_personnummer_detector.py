"""Tests for the personnummer / samordningsnummer detector in bot.services.privacy.

All numbers are fictional: Skatteverket's published examples (the 1964-08-23 man, the
samordningsnummer for 1970-10-03), the widely used test number for 1912-12-12, or values built
for a single rule. `test_literals_claimed_valid_pass_luhn` and its siblings check every literal
with an independent Luhn implementation, so a mistyped literal cannot make a case vacuous.
"""

from __future__ import annotations

import re

import pytest

from bot.services.privacy import (
    MASK,
    contains_personal_number,
    find_personal_numbers,
    mask_personal_numbers,
)

NBSP = "\u00a0"
NARROW_NBSP = "\u202f"
EN_DASH = "\u2013"

# (text, the exact substring that must be reported, kind)
POSITIVE = [
    # Formats, 10 digits.
    pytest.param("640823-3234", "640823-3234", "personnummer", id="10-dash"),
    pytest.param("121212+1212", "121212+1212", "personnummer", id="10-plus-aged-100"),
    pytest.param("640823 3234", "640823 3234", "personnummer", id="10-space"),
    pytest.param(f"640823{NBSP}3234", f"640823{NBSP}3234", "personnummer", id="10-nbsp"),
    pytest.param(
        f"640823{NARROW_NBSP}3234", f"640823{NARROW_NBSP}3234", "personnummer", id="10-narrow-nbsp"
    ),
    pytest.param(f"640823{EN_DASH}3234", f"640823{EN_DASH}3234", "personnummer", id="10-en-dash"),
    pytest.param("640823 - 3234", "640823 - 3234", "personnummer", id="10-spaced-dash"),
    pytest.param("6408233234", "6408233234", "personnummer", id="10-bare"),
    # Formats, 12 digits.
    pytest.param("196408233234", "196408233234", "personnummer", id="12-bare"),
    pytest.param("19640823-3234", "19640823-3234", "personnummer", id="12-dash"),
    pytest.param("19640823 3234", "19640823 3234", "personnummer", id="12-space"),
    pytest.param("19121212+1212", "19121212+1212", "personnummer", id="12-plus-tolerated"),
    pytest.param("20121212-1212", "20121212-1212", "personnummer", id="12-century-20"),
    pytest.param("18640823-3234", "18640823-3234", "personnummer", id="12-century-18"),
    # Samordningsnummer (day + 60).
    pytest.param("701063-2391", "701063-2391", "samordningsnummer", id="samordning-10-dash"),
    pytest.param("7010632391", "7010632391", "samordningsnummer", id="samordning-10-bare"),
    pytest.param("19701063-2391", "19701063-2391", "samordningsnummer", id="samordning-12-dash"),
    pytest.param("701091-1233", "701091-1233", "samordningsnummer", id="samordning-day-91"),
    # Leap days.
    pytest.param("000229-1235", "000229-1235", "personnummer", id="leap-day-10"),
    pytest.param("20000229-1235", "20000229-1235", "personnummer", id="leap-day-2000"),
    # Inside sentences.
    pytest.param(
        "Eleven 640823-3234 har varit borta i tre veckor.",
        "640823-3234",
        "personnummer",
        id="sentence-middle",
    ),
    pytest.param(
        "Gäller eleven (640823-3234) i klass 4B", "640823-3234", "personnummer", id="parentheses"
    ),
    pytest.param("Personnummer: 640823-3234.", "640823-3234", "personnummer", id="after-colon"),
    pytest.param("pnr:640823-3234", "640823-3234", "personnummer", id="colon-no-space"),
    pytest.param("pnr640823-3234", "640823-3234", "personnummer", id="letters-touching"),
    pytest.param(
        "Hej,\nbarnet heter X\n640823-3234\nMvh", "640823-3234", "personnummer", id="own-line"
    ),
    pytest.param("Är det 6408233234?", "6408233234", "personnummer", id="before-question-mark"),
    pytest.param('"196408233234",', "196408233234", "personnummer", id="quoted-with-comma"),
    pytest.param(
        "Samordningsnr 701063-2391, ej folkbokförd",
        "701063-2391",
        "samordningsnummer",
        id="samordning-sentence",
    ),
    pytest.param("٦٤٠٨٢٣-٣٢٣٤", "٦٤٠٨٢٣-٣٢٣٤", "personnummer", id="arabic-indic-digits"),
    # Valid date, explicit separator, wrong check digit: a typo still identifies a child.
    pytest.param("640823-3235", "640823-3235", "interim_or_typo", id="typo-dash"),
    pytest.param("640823+3235", "640823+3235", "interim_or_typo", id="typo-plus"),
    pytest.param("19640823-3235", "19640823-3235", "interim_or_typo", id="typo-12-dash"),
    pytest.param("701063-2392", "701063-2392", "interim_or_typo", id="typo-samordning"),
    pytest.param(
        "Eleven 640823-3235 har", "640823-3235", "interim_or_typo", id="typo-in-sentence"
    ),
    # Interim numbers: a letter in the birth number, no national check digit.
    pytest.param("000101-T220", "000101-T220", "interim_or_typo", id="interim-T"),
    pytest.param("000101-t220", "000101-t220", "interim_or_typo", id="interim-lowercase"),
    pytest.param("20000101-R220", "20000101-R220", "interim_or_typo", id="interim-12-R"),
]

NEGATIVE = [
    # Check digit wrong and no explicit "-"/"+": too close to phone numbers to flag.
    pytest.param("6408233235", id="typo-bare-10"),
    pytest.param("196408233235", id="typo-bare-12"),
    pytest.param("640823 3235", id="typo-space-separator"),
    pytest.param("000101T220", id="interim-without-separator"),
    pytest.param("000101-Q220", id="letter-not-used-for-interim"),
    # Invalid dates (each literal passes Luhn, see test_negative_literals_pass_luhn).
    pytest.param("641323-1231", id="month-13"),
    pytest.param("640023-1236", id="month-00"),
    pytest.param("640832-1237", id="day-32"),
    pytest.param("640800-1235", id="day-00"),
    pytest.param("640230-1235", id="feb-30"),
    pytest.param("010229-1234", id="feb-29-year-not-divisible-by-4"),
    pytest.param("19000229-1235", id="feb-29-1900-not-leap"),
    pytest.param("640860-1232", id="day-60"),
    pytest.param("641092-1230", id="day-92"),
    # Century other than 18/19/20 in the 12-digit form.
    pytest.param("21640823-3234", id="century-21"),
    pytest.param("176408233234", id="century-17-bare"),
    # Organisation numbers ("month" >= 20), which pass Luhn.
    pytest.param("212000-0142", id="org-stockholms-kommun"),
    pytest.param("2120000142", id="org-bare"),
    pytest.param("556016-0680", id="org-aktiebolag"),
    pytest.param("Huvudman 212000-0142 (kommunal)", id="org-in-sentence"),
    # Phone numbers.
    pytest.param("08-465 004 12", id="phone-stockholm-spaced"),
    pytest.param("070-174 06 05", id="phone-mobile-spaced"),
    pytest.param("+46 70 174 06 05", id="phone-international-spaced"),
    pytest.param("0701740605", id="phone-mobile-bare"),
    pytest.param("+46701740605", id="phone-international-bare"),
    pytest.param("08-46500498", id="phone-stockholm-dash"),
    pytest.param("070-1740607", id="phone-mobile-one-dash"),
    pytest.param("Ring 08-465 004 12 eller 070-174 06 05.", id="phones-in-sentence"),
    # Skolenhetskoder (8 digits).
    pytest.param("29824923", id="skolenhetskod"),
    pytest.param("Skolenhetskod 29824923 och 10015408", id="skolenhetskoder-in-sentence"),
    # Dates, times and amounts.
    pytest.param("2026-11-22", id="iso-date"),
    pytest.param("22/11", id="day-month"),
    pytest.param("20261122", id="date-8-digits"),
    pytest.param("Mötet 2026-11-22 kl 14.30", id="date-and-time"),
    pytest.param("1 250 000 kr", id="amount-spaced"),
    pytest.param("1250000 kr", id="amount-bare"),
    pytest.param("12 500 000,00 kr", id="amount-decimals"),
    pytest.param("Dnr 106-360/2016", id="diarienummer"),
    # Digits embedded in longer runs.
    pytest.param("12346408233234567", id="inside-longer-run"),
    pytest.param("96408233234", id="digit-before-bare"),
    pytest.param("64082332341", id="digit-after-bare"),
    pytest.param("9640823-3234", id="digit-before-dash"),
    pytest.param("640823-32341", id="digit-after-dash"),
    pytest.param("1196408233234", id="13-digits"),
    pytest.param("", id="empty"),
]

# Literals in NEGATIVE that pass Luhn on their last ten digits, so only the rule named in the
# case id (date, century, organisation number, boundary) can be what rejects them.
NEGATIVE_THAT_PASS_LUHN = [
    "641323-1231",
    "640023-1236",
    "640832-1237",
    "640800-1235",
    "640230-1235",
    "010229-1234",
    "19000229-1235",
    "640860-1232",
    "641092-1230",
    "21640823-3234",
    "176408233234",
    "212000-0142",
    "556016-0680",
    "96408233234",
    "9640823-3234",
]


def independent_luhn_ok(number: str) -> bool:
    """Luhn the textbook way (right to left), on the last ten digits of ``number``."""
    digits = re.sub(r"\D", "", number)[-10:]
    assert len(digits) == 10
    total = 0
    for position_from_right, char in enumerate(reversed(digits)):
        value = int(char)
        if position_from_right % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


@pytest.mark.parametrize(("text", "number", "kind"), POSITIVE)
def test_detects_personal_number(text: str, number: str, kind: str) -> None:
    hits = find_personal_numbers(text)

    assert [(text[hit.start : hit.end], hit.kind) for hit in hits] == [(number, kind)]
    assert contains_personal_number(text)


@pytest.mark.parametrize(("text", "number", "kind"), POSITIVE)
def test_mask_removes_the_number(text: str, number: str, kind: str) -> None:
    masked = mask_personal_numbers(text)

    assert number not in masked
    assert masked == text.replace(number, MASK, 1)


@pytest.mark.parametrize("text", NEGATIVE)
def test_ignores_look_alike(text: str) -> None:
    assert find_personal_numbers(text) == []
    assert not contains_personal_number(text)
    assert mask_personal_numbers(text) == text


@pytest.mark.parametrize(
    "number", [p.values[1] for p in POSITIVE if p.values[2] != "interim_or_typo"]
)
def test_literals_claimed_valid_pass_luhn(number: str) -> None:
    assert independent_luhn_ok(number)


@pytest.mark.parametrize("number", [p.values[1] for p in POSITIVE if str(p.id).startswith("typo")])
def test_typo_literals_fail_luhn(number: str) -> None:
    assert not independent_luhn_ok(number)


@pytest.mark.parametrize("number", NEGATIVE_THAT_PASS_LUHN)
def test_negative_literals_pass_luhn(number: str) -> None:
    assert independent_luhn_ok(number)


def test_typo_and_interim_carry_their_reason() -> None:
    [typo] = find_personal_numbers("640823-3235")
    [interim] = find_personal_numbers("000101-T220")
    [valid] = find_personal_numbers("640823-3234")

    assert typo.reason == "check_digit_mismatch"
    assert interim.reason == "interim_letter"
    assert valid.reason == "check_digit_ok"


def test_finds_every_number_and_masks_them_all() -> None:
    text = "A: 640823-3234, B: 701063-2391 och C (000101-T220). Ring 08-465 004 12."

    hits = find_personal_numbers(text)
    masked = mask_personal_numbers(text)

    assert [hit.kind for hit in hits] == ["personnummer", "samordningsnummer", "interim_or_typo"]
    assert masked == f"A: {MASK}, B: {MASK} och C ({MASK}). Ring 08-465 004 12."


def test_hit_holds_no_digits_of_the_number() -> None:
    [hit] = find_personal_numbers("Eleven 640823-3234 har")

    assert "6408" not in repr(hit)
    assert "3234" not in repr(hit)


def test_finds_number_at_the_end_of_a_long_message() -> None:
    text = "Lång bakgrund om eleven, 1 250 000 kr, 08-465 004 12. " * 75 + "640823-3234"

    [hit] = find_personal_numbers(text)

    assert len(text) > 4000
    assert text[hit.start :] == "640823-3234"


def test_bare_mobile_number_that_passes_luhn_is_flagged_by_design() -> None:
    # 070-174 06 07 written as ten bare digits is a valid samordningsnummer for 14 Jan 2007 with
    # a correct check digit. We accept this false positive: it cannot be told apart, and the
    # cost is a rephrased message.
    assert independent_luhn_ok("0701740607")
    assert contains_personal_number("0701740607")
    assert not contains_personal_number("070-174 06 07")
