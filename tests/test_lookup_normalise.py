"""Normalisation of Swedish names and the lookup's behaviour on hostile input."""

from __future__ import annotations

import time

import pytest

from bot.services.lookup import EntryKind, IndexEntry, LookupIndex, Outcome, normalise
from bot.services.text_normalise import (
    MAX_QUERY_CHARS,
    SchoolKind,
    clean,
    core,
    is_qualifier,
    spelling_key,
)


def core_of(text: str) -> str:
    return core(spelling_key(normalise(text))).text


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Södermalm", "sodermalm"),
        ("SKARPNÄCK", "skarpnack"),
        ("Hässelby-Vällingby", "hasselby vallingby"),
        ("hasselby_vallingby", "hasselby vallingby"),
        ("Enskede-Årsta-Vantör", "enskede arsta vantor"),
        ("  Norra   Reals\tgymnasium  ", "norra reals gymnasium"),
        ("S:t Eriks gymnasium", "sankt eriks gymnasium"),
        ("St Eriks", "sankt eriks"),
        ("St. Eriks", "sankt eriks"),
        ("Hjorthagens g:la skola", "hjorthagens gamla skola"),
        ("Hotell- och restaurangskolan", "hotell och restaurangskolan"),
        ("Café Müller Ørsted", "cafe muller orsted"),
        ("Eriksdalsskolan?!", "eriksdalsskolan"),
        ("Straße", "strasse"),
        ("Ｓöder", "soder"),  # full-width letter from a phone keyboard
    ],
)
def test_normalise_folds_swedish_text(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "Rinkeby\u200f",  # right-to-left mark
        "\u202eRinkeby",  # right-to-left override
        "Rink\u200beby",  # zero-width space inside the word
        "Rinkeby\x00\x07",  # control characters
        "\ufeffRinkeby",  # byte order mark
    ],
)
def test_control_and_bidi_characters_are_stripped(raw: str) -> None:
    assert normalise(raw) == "rinkeby"
    assert clean(raw) == "Rinkeby"


@pytest.mark.parametrize(
    ("variant", "name"),
    [
        ("fridhemskolan", "Fridhemsskolan"),
        ("Haegersten", "Hägersten"),
        ("Soedermalm", "Södermalm"),
        ("Aarsta", "Årsta"),
        ("Wällingby", "Vällingby"),
        ("Blakeberg", "Blackeberg"),
        ("Bjornboda", "Björnboda"),
        ("Bjomboda", "Björnboda"),  # rn read as m
        ("Sk0ndal", "Sköndal"),  # zero for o
        ("Hammarbysko1an", "Hammarbyskolan"),  # one for l
        ("Kärrtorp", "Karrtorp"),
    ],
)
def test_spelling_key_forgives_common_misspellings(variant: str, name: str) -> None:
    assert spelling_key(normalise(variant)) == spelling_key(normalise(name))


@pytest.mark.parametrize(
    ("query", "name"),
    [
        ("Eriksdal", "Eriksdalsskolan"),
        ("eriksdal skola", "Eriksdalsskolan"),
        ("Bagarmossen skola", "Bagarmossens skola"),
        ("Norra Real", "Norra Reals gymnasium"),
        ("Kungsholmens gymn", "Kungsholmens gymnasium"),
        ("vem ska jag ringa om eriksdalsskolan", "Eriksdalsskolan"),
        ("who do I contact for Eriksdal school", "Eriksdalsskolan"),
        ("socialtjänsten i stadsdelsområdet Bromma", "Bromma"),
        ("Blackebergsgymnasiet", "Blackebergs gymnasium"),
    ],
)
def test_core_drops_generic_words_suffixes_and_genitive(query: str, name: str) -> None:
    assert core_of(query) == core_of(name)
    assert core_of(query)  # something distinctive is left


@pytest.mark.parametrize(
    ("query", "other"),
    [
        ("Solna", "Solhemsskolan"),
        ("Norra Real", "Östra Reals gymnasium"),
        ("Hjorthagens skola", "Hjorthagens g:la skola"),
        ("Sundby", "Sundbyberg"),
    ],
)
def test_core_keeps_distinctive_words_apart(query: str, other: str) -> None:
    assert core_of(query) != core_of(other)


@pytest.mark.parametrize(
    ("text", "kind", "stems"),
    [
        ("Rinkeby", None, ()),
        ("Rinkeby skola", SchoolKind.GRUNDSKOLA, ()),
        ("rinkebyskolan", SchoolKind.GRUNDSKOLA, ("rinkeby",)),
        ("Spånga gymnasium", SchoolKind.GYMNASIUM, ()),
        ("Kungsholmens gymn", SchoolKind.GYMNASIUM, ()),
        ("gymnasieskolan Spånga", SchoolKind.GYMNASIUM, ()),
        ("Blackebergsgymnasiet", SchoolKind.GYMNASIUM, ("blakeberg",)),
        ("Eriksdal school", SchoolKind.ANY, ()),
        ("Södra Latin high school", SchoolKind.GYMNASIUM, ()),
    ],
)
def test_core_records_which_kind_of_school_was_asked_for(
    text: str, kind: SchoolKind | None, stems: tuple[str, ...]
) -> None:
    result = core(spelling_key(normalise(text)))
    assert result.school_kind == kind
    assert result.school_stems == stems


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [("Norra", True), ("Södra", True), ("nya", True), ("S:t", True), ("Kista", False)],
)
def test_qualifiers_are_known_by_their_core(text: str, qualifier: bool) -> None:
    assert is_qualifier(core_of(text)) is qualifier


def test_normalise_caps_very_long_text() -> None:
    assert len(normalise("Eriksdalsskolan " * 1000)) <= MAX_QUERY_CHARS
    assert len(clean("x" * 10_000)) == MAX_QUERY_CHARS


# --- the lookup on hostile input --------------------------------------------------------------

INDEX = LookupIndex.build(
    [
        IndexEntry(EntryKind.SCHOOL, "1", "Eriksdalsskolan", "sodermalm"),
        IndexEntry(EntryKind.SCHOOL, "2", "Rinkebyskolan", "jarva"),
        IndexEntry(EntryKind.NEIGHBOURHOOD, "Rinkeby", "Rinkeby", "jarva"),
        IndexEntry(EntryKind.AREA, "jarva", "Järva", "jarva", ("Rinkeby-Kista", "Rinkeby")),
        IndexEntry(EntryKind.MUNICIPALITY, "0184", "Solna", None),
    ]
)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "   ",
        "\n\t",
        "🙂🙂🙂",
        "🏫",
        "12345",
        "070-174 06 11",
        "?!.,;:-",
        "\u200f\u200e\u202e",
        "\x00\x01\x02",
        "skola",  # only a generic word
        "vem ska jag ringa",
        "who do I call",
        "qwzx",
    ],
)
def test_meaningless_input_gives_none(query: str) -> None:
    result = INDEX.search(query)
    assert result.outcome is Outcome.NONE
    assert result.matches == ()


@pytest.mark.parametrize("length", [201, 1_000, 10_000, 100_000])
def test_very_long_input_gives_none_quickly(length: int) -> None:
    query = ("vem ska jag ringa om Eriksdalsskolan " * (length // 16 + 1))[:length]
    started = time.perf_counter()
    result = INDEX.search(query)
    assert time.perf_counter() - started < 0.05
    assert result.outcome is Outcome.NONE
    assert result.matches == ()
    assert len(result.query) == MAX_QUERY_CHARS


def test_query_of_maximum_length_is_still_matched() -> None:
    query = "vem ska jag ringa om Eriksdalsskolan".ljust(MAX_QUERY_CHARS - 1, "?") + "  \u200f"
    result = INDEX.search(query)
    assert result.outcome is Outcome.CONFIDENT
    assert result.matches[0].entry.name == "Eriksdalsskolan"


@pytest.mark.parametrize("start", range(0x20, 0x3000, 150))
def test_any_unicode_does_not_raise(start: int) -> None:
    noise = "".join(chr(code) for code in range(start, start + 150 * 7, 7))[:150]
    result = INDEX.search(noise)
    assert result.outcome in set(Outcome)
    assert all(0 <= m.score <= 100 for m in result.matches)


@pytest.mark.parametrize(
    "query",
    ["Ринкеби", "رينكبي", "林克比", "R\u0308inkeby", "\ud800Rinkeby", "Rinkeby\U0001f3eb"],
)
def test_other_scripts_and_broken_text_do_not_raise(query: str) -> None:
    assert INDEX.search(query).outcome in set(Outcome)


def test_query_is_echoed_cleaned() -> None:
    result = INDEX.search("  Eriksdals\u200fskolan \n")
    assert result.query == "Eriksdalsskolan"
    assert result.outcome is Outcome.CONFIDENT


def test_limit_caps_the_matches() -> None:
    index = LookupIndex.build(
        IndexEntry(EntryKind.SCHOOL, str(n), f"Ekbacke {name}", "farsta")
        for n, name in enumerate(["norra", "södra", "östra", "västra", "nya", "gamla", "lilla"])
    )
    assert len(index) == 7
    result = index.search("Ekbacke", limit=3)
    assert result.outcome is Outcome.AMBIGUOUS
    assert len(result.matches) == 3
    assert [m.score for m in result.matches] == sorted(
        (m.score for m in result.matches), reverse=True
    )


def test_outside_for_municipality_and_scores_are_in_range() -> None:
    result = INDEX.search("solna")
    assert result.outcome is Outcome.OUTSIDE
    assert all(0 <= m.score <= 100 for m in result.matches)


def test_empty_index_gives_none() -> None:
    empty = LookupIndex.build([])
    assert len(empty) == 0
    assert empty.search("Rinkeby").outcome is Outcome.NONE
