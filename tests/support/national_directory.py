"""Directories for the lookup benchmark and accuracy test: the shipped one and a national one.

`shipped_entries()` is what the bot indexes: the shipped geography plus the example schools.
`generate_national_entries()` adds a deterministic, Sweden-sized list of made-up schools with
real-looking names ("Norra Björkvikskolan", "Kunskapsskolan Lindholm", "Vittra Ekdalen") so
the lookup can be timed and checked at national scale; `typo_queries()` misspells them the
way people do.
"""

from __future__ import annotations

import csv
import random
import unicodedata

from bot.services.lookup import EntryKind, IndexEntry
from bot.services.text_normalise import core, normalise, spelling_key
from knowledge.directory import EXAMPLE_SCHOOLS_FILE, shipped_geography

FIRST_PARTS = (
    "Ek", "Björk", "Sjö", "Berg", "Dal", "Hög", "Lind", "Söder", "Norr", "Väster", "Öster",
    "Gran", "Tall", "Al", "Ask", "Hag", "Mal", "Sand", "Sten", "Kvarn", "Lunds", "Strand",
    "Äng", "Råg", "Havs", "Skogs", "Kyrk", "Torp", "Åker", "Hassel", "Sol", "Måns", "Rosen",
    "Lill", "Stor", "Bäck", "Fågel", "Hjort", "Ulv", "Bro", "Kalv", "Lönn", "Rönn", "Vass",
    "Myr", "Hall", "Klint", "Rid", "Kungs", "Drottning", "Prins", "Gull", "Silver", "Järn",
    "Karl", "Olofs", "Anders", "Eriks", "Märta", "Vik",
)  # fmt: skip
SECOND_PARTS = (
    "by", "holm", "berg", "dal", "vik", "hagen", "backen", "lund", "torp", "åsen", "sund",
    "näs", "ängen", "mossen", "kulla", "bo", "hult", "rum", "stad", "gården", "hamra",
    "ö", "strand", "myra", "höjden", "fors", "bro", "ryd", "slätten", "tuna",
)  # fmt: skip
DIRECTIONS = ("", "", "", "Norra", "Södra", "Östra", "Västra", "Stora", "Lilla", "Nya")
PATTERNS = (
    "{p}skolan",
    "{p}skolan",
    "{p}sskolan",
    "{p} skola",
    "{p}s skola",
    "{p}gymnasiet",
    "{p}s gymnasium",
    "Internationella Engelska skolan i {p}",
    "Montessoriskolan {p}",
    "Kunskapsskolan {p}",
    "Vittra {p}",
    "Friskolan {p}",
)


def shipped_entries() -> list[IndexEntry]:
    """The entries the bot indexes from the shipped files; a school's ref is its row index."""
    geography = shipped_geography()
    entries = [
        IndexEntry(EntryKind.AREA, area.id, area.name, area.id, area.aliases)
        for area in geography.areas
    ]
    entries += [
        IndexEntry(EntryKind.NEIGHBOURHOOD, n.name, n.name, n.area_id)
        for n in geography.neighbourhoods
    ]
    entries += [
        IndexEntry(EntryKind.MUNICIPALITY, m.code, m.name, None)
        for m in geography.other_municipalities
    ]
    with EXAMPLE_SCHOOLS_FILE.open(encoding="utf-8", newline="") as handle:
        entries += [
            IndexEntry(EntryKind.SCHOOL, str(row_index), row["name"], row["area_id"])
            for row_index, row in enumerate(csv.DictReader(handle))
        ]
    return entries


def _match_key(name: str) -> str:
    return core(spelling_key(normalise(name))).text


def generate_national_entries(n: int, seed: int) -> list[IndexEntry]:
    """Return `n` made-up schools with unique matching keys, disjoint from the shipped names.

    Unique keys make every typo query have one right answer; a real national register has
    duplicates ("Ekbackeskolan" in several towns), which the lookup reports as AMBIGUOUS.
    """
    rng = random.Random(seed)
    taken: set[str] = set()
    for entry in shipped_entries():
        taken.update(_match_key(text) for text in (entry.name, *entry.aliases))
    area_ids = sorted(shipped_geography().area_ids)
    # "Hall" + "lund" would give "Halllund"; Swedish spelling drops one of three equal letters.
    places = [
        first + second
        for first in FIRST_PARTS
        for second in SECOND_PARTS
        if not (first[-1] == first[-2] == second[0])
    ]
    combos = [(direction, place) for direction in DIRECTIONS for place in places]
    rng.shuffle(combos)
    entries: list[IndexEntry] = []
    for direction, place in combos:
        if len(entries) == n:
            break
        pattern = rng.choice(PATTERNS)
        name = pattern.format(p=place.capitalize())
        if direction:
            name = f"{direction} {name}"
        key = _match_key(name)
        if key in taken:
            continue
        taken.add(key)
        ref = f"gen-{len(entries)}"
        entries.append(IndexEntry(EntryKind.SCHOOL, ref, name, rng.choice(area_ids)))
    if len(entries) < n:
        raise ValueError(f"only {len(entries)} distinct names can be generated, asked for {n}")
    return entries


def _strip_swedish(text: str) -> str:
    return "".join(
        ch for ch in unicodedata.normalize("NFKD", text) if unicodedata.category(ch) != "Mn"
    )


def misspell(name: str, rng: random.Random) -> str:
    """Return one realistic misspelling: drop, swap, replace or double a letter, or lose å/ä/ö."""
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    action = rng.choice(("drop", "swap", "replace", "double", "strip", "lower"))
    i = rng.choice(letters[1:-1]) if len(letters) > 2 else letters[0]
    if action == "drop":
        typo = name[:i] + name[i + 1 :]
    elif action == "swap" and i + 1 < len(name) and name[i + 1].isalpha():
        typo = name[:i] + name[i + 1] + name[i] + name[i + 2 :]
    elif action == "replace":
        typo = name[:i] + rng.choice("aeiouyklmnrst") + name[i + 1 :]
    elif action == "double":
        typo = name[:i] + name[i] + name[i:]
    elif action == "strip" and _strip_swedish(name) != name:
        typo = _strip_swedish(name)
    else:
        typo = name.lower()
    return _strip_swedish(typo) if rng.random() < 0.3 else typo


def typo_queries(entries: list[IndexEntry], n: int, seed: int) -> list[tuple[str, str]]:
    """Return `n` (misspelt name, expected ref) pairs drawn from `entries`."""
    rng = random.Random(seed)
    chosen = rng.sample(entries, n) if n <= len(entries) else rng.choices(entries, k=n)
    return [(misspell(entry.name, rng), entry.ref) for entry in chosen]
