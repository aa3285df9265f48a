"""Where a child lives, from a map pin or a postcode, answered like a typed place.

The answer is a `LookupResult`, so every caller (the home question, the guide, the CLI) renders
it as it renders a typed stadsdel: `confident` with the stadsdel or area, `ambiguous` with the
candidate areas, `outside` with the municipality when the postcode list names one, `none` when
nothing honest can be said. A pin outside the city's polygons is `outside` without a name: the
polygons end at the city's border and say nothing about which municipality lies beyond it.

Privacy: the pin and the postcode are used for this one answer and forgotten. Nothing here
stores or logs them, and the result carries only names (stadsdel, postort, area, municipality),
never the number or the coordinates.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property

from bot.services.geo import CityMap
from bot.services.lookup import EntryKind, IndexEntry, LookupResult, Match, Outcome
from bot.services.text_normalise import core, is_too_long, normalise, spelling_key
from knowledge.directory import HOME_MUNICIPALITY, Geography, shipped_geography
from knowledge.home_maps import HomeMaps, shipped_home_maps

# "163 72", "16372", "163\u00a072"; not part of a longer number.
POSTCODE = re.compile(r"(?<![\d-])(\d{3})[ \u00a0]?(\d{2})(?![\d-])")
# Besides the postcode a message may hold a few words ("barnet bor i", "postnummer"), never
# other digits: then it is a phone number, a date or something else, not a postcode.
MAX_OTHER_WORDS = 6
_POSTCODE_WORDS = frozenset({"postnummer", "postnr", "postkod", "postcode", "zip", "pnr"})
# Shown as the query of a pin's or postcode's result: what the user sent is not repeated.
PIN_QUERY = "📍"
POSTCODE_QUERY = "📮"
EXACT = 100.0


@dataclass(frozen=True)
class HomeLookup:
    """A pin's or postcode's answer, and what the reply needs beyond the lookup result."""

    result: LookupResult
    by_pin: bool
    postort: str | None = None  # the postcode's postort (a name, never the number)

    @property
    def suggest_pin(self) -> bool:
        """A postcode that did not settle the area: a pin would."""
        return not self.by_pin and self.result.outcome in (Outcome.AMBIGUOUS, Outcome.NONE)


def find_postcode(text: str) -> str | None:
    """The five digits of the one postcode a short message consists of, else None."""
    if is_too_long(text):
        return None
    found = list(POSTCODE.finditer(text))
    if len(found) != 1:
        return None
    rest = POSTCODE.sub(" ", text)
    if any(ch.isdigit() for ch in rest):
        return None
    words = [w for w in core(spelling_key(normalise(rest))).tokens if w not in _POSTCODE_WORDS]
    if len(words) > MAX_OTHER_WORDS:
        return None
    return found[0].group(1) + found[0].group(2)


class HomeFinder:
    """Pins through the stadsdel polygons, postcodes through the national postcode list."""

    def __init__(self, maps: HomeMaps | Callable[[], HomeMaps], geography: Geography) -> None:
        """`maps` or a loader for them: the polygons and postcodes are read on first use (a
        lookup of a name never needs them)."""
        self._load = maps if callable(maps) else lambda: maps
        self._areas = {area.id: area.name for area in geography.areas}

    @cached_property
    def _maps(self) -> HomeMaps:
        return self._load()

    @cached_property
    def _map(self) -> CityMap:
        return CityMap(self._maps.shapes)

    @property
    def city_map(self) -> CityMap:
        return self._map

    def by_location(self, lat: float, lon: float) -> HomeLookup:
        placed = self._map.locate(lat, lon)
        if placed is None:
            return HomeLookup(LookupResult(PIN_QUERY, Outcome.OUTSIDE, ()), by_pin=True)
        entry = IndexEntry(
            EntryKind.NEIGHBOURHOOD, placed.stadsdel, placed.stadsdel, placed.area_id
        )
        return HomeLookup(
            LookupResult(PIN_QUERY, Outcome.CONFIDENT, (Match(entry, EXACT),)), by_pin=True
        )

    def by_postcode(self, text: str) -> HomeLookup | None:
        """The answer for a message that is a postcode; None when it is not one."""
        code = find_postcode(text)
        if code is None:
            return None
        known = self._maps.postcodes.get(code)
        if known is None:
            return HomeLookup(LookupResult(POSTCODE_QUERY, Outcome.NONE, ()), by_pin=False)
        if known.municipality_code != HOME_MUNICIPALITY:
            municipality = self._maps.municipalities[known.municipality_code]
            entry = IndexEntry(EntryKind.MUNICIPALITY, municipality.code, municipality.name, None)
            result = LookupResult(POSTCODE_QUERY, Outcome.OUTSIDE, (Match(entry, EXACT),))
            return HomeLookup(result, by_pin=False, postort=known.postort)
        areas = self._maps.postorter.get(known.postort, ())
        matches = tuple(
            Match(IndexEntry(EntryKind.AREA, area_id, self._areas[area_id], area_id), EXACT)
            for area_id in areas
        )
        outcome = {0: Outcome.NONE, 1: Outcome.CONFIDENT}.get(len(matches), Outcome.AMBIGUOUS)
        return HomeLookup(
            LookupResult(POSTCODE_QUERY, outcome, matches), by_pin=False, postort=known.postort
        )


@cache
def shipped_home_finder() -> HomeFinder:
    """Built once per process: the polygons and 15,000 postcodes are read on first use."""
    return HomeFinder(shipped_home_maps, shipped_geography())
