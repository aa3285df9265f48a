"""How often a pin or a postcode leads to the right place: written by hand, measured, reported.

The pins are places as a teacher would drop them (a centrum, a station, a square), chosen from
what is known about Stockholm, not from the polygons: inside every one of the 11 areas, near
area borders, and outside the city. The postcodes are real ones from the national list: single-
area postorter, postorter that span areas (the answer must then be a choice, never a guess),
and postcodes of other municipalities, some with a Stockholm-sounding postort.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from bot.services.home import HomeFinder, HomeLookup, shipped_home_finder
from bot.services.lookup import Outcome

REQUIRED_HIT_RATE = 0.95


@dataclass(frozen=True)
class Pin:
    name: str
    lat: float
    lon: float
    area_id: str | None  # None: outside the City of Stockholm


PINS: tuple[Pin, ...] = (
    # Norra innerstaden
    Pin("Sergels torg", 59.3326, 18.0649, "norra-innerstaden"),
    Pin("Stureplan", 59.3355, 18.0735, "norra-innerstaden"),
    Pin("Odenplan", 59.3430, 18.0497, "norra-innerstaden"),
    Pin("Gärdet, Valhallavägen", 59.3440, 18.0990, "norra-innerstaden"),
    Pin("Skansen, Djurgården", 59.3262, 18.1036, "norra-innerstaden"),
    # Kungsholmen
    Pin("Fridhemsplan", 59.3321, 18.0286, "kungsholmen"),
    Pin("Stadshuset", 59.3275, 18.0543, "kungsholmen"),
    Pin("Stora Essingen", 59.3225, 17.9900, "kungsholmen"),
    # Södermalm
    Pin("Stortorget, Gamla stan", 59.3250, 18.0707, "sodermalm"),
    Pin("Medborgarplatsen", 59.3143, 18.0735, "sodermalm"),
    Pin("Hornstull", 59.3158, 18.0340, "sodermalm"),
    Pin("Hammarby allé, Hammarby sjöstad", 59.3043, 18.0975, "sodermalm"),
    # Hägersten-Älvsjö
    Pin("Liljeholmen", 59.3108, 18.0229, "hagersten-alvsjo"),
    Pin("Älvsjö station", 59.2785, 18.0105, "hagersten-alvsjo"),
    Pin("Fruängen", 59.2860, 17.9650, "hagersten-alvsjo"),
    Pin("Telefonplan", 59.2982, 17.9970, "hagersten-alvsjo"),
    # Skärholmen
    Pin("Skärholmens centrum", 59.2770, 17.9070, "skarholmen"),
    Pin("Vårberg", 59.2760, 17.8900, "skarholmen"),
    Pin("Bredäng", 59.2950, 17.9330, "skarholmen"),
    # Bromma
    Pin("Brommaplan", 59.3384, 17.9394, "bromma"),
    Pin("Alvik", 59.3337, 17.9802, "bromma"),
    Pin("Abrahamsberg", 59.3366, 17.9530, "bromma"),
    Pin("Bromma flygplats", 59.3540, 17.9415, "bromma"),
    # Hässelby-Vällingby
    Pin("Vällingby centrum", 59.3633, 17.8721, "hasselby-vallingby"),
    Pin("Hässelby gård", 59.3669, 17.8436, "hasselby-vallingby"),
    Pin("Hässelby strand", 59.3612, 17.8324, "hasselby-vallingby"),
    Pin("Råcksta", 59.3548, 17.8820, "hasselby-vallingby"),
    # Järva
    Pin("Kista galleria", 59.4030, 17.9446, "jarva"),
    Pin("Rinkeby torg", 59.3880, 17.9290, "jarva"),
    Pin("Tensta centrum", 59.3945, 17.9012, "jarva"),
    Pin("Husby", 59.4100, 17.9270, "jarva"),
    Pin("Akalla", 59.4147, 17.9131, "jarva"),
    # Enskede-Årsta-Vantör
    Pin("Globen", 59.2936, 18.0833, "enskede-arsta-vantor"),
    Pin("Högdalen", 59.2636, 18.0430, "enskede-arsta-vantor"),
    Pin("Rågsved", 59.2566, 18.0280, "enskede-arsta-vantor"),
    Pin("Enskede gård", 59.2890, 18.0700, "enskede-arsta-vantor"),
    # Farsta
    Pin("Farsta centrum", 59.2436, 18.0929, "farsta"),
    Pin("Hökarängen", 59.2577, 18.0824, "farsta"),
    Pin("Gubbängen", 59.2627, 18.0820, "farsta"),
    # Skarpnäck
    Pin("Skarpnäcks centrum", 59.2667, 18.1331, "skarpnack"),
    Pin("Bagarmossen", 59.2760, 18.1315, "skarpnack"),
    Pin("Kärrtorp", 59.2845, 18.1145, "skarpnack"),
    # Near borders: one side of a bridge, a street or a park from the next area
    Pin("Hornstulls strand, south shore of Södermalm", 59.3148, 18.0300, "sodermalm"),
    Pin("Liljeholmskajen, across the water from Hornstull", 59.3120, 18.0270, "hagersten-alvsjo"),
    Pin("Gullmarsplan, south of Hammarby sjöstad", 59.2990, 18.0810, "enskede-arsta-vantor"),
    Pin("Tallkrogen, next to Enskede", 59.2710, 18.0855, "farsta"),
    Pin("Kristineberg, across the water from Alvik", 59.3327, 18.0010, "kungsholmen"),
    # Outside the City of Stockholm
    Pin("Solna centrum", 59.3600, 18.0003, None),
    Pin("Sundbyberg centrum", 59.3611, 17.9718, None),
    Pin("Nacka Forum", 59.3107, 18.1634, None),
    Pin("Lidingö centrum", 59.3667, 18.1330, None),
    Pin("Huddinge centrum", 59.2365, 17.9816, None),
    Pin("Jakobsberg, Järfälla", 59.4230, 17.8350, None),
    Pin("Tyresö centrum", 59.2440, 18.2290, None),
    Pin("Göteborg, Brunnsparken", 57.7072, 11.9696, None),
)


@dataclass(frozen=True)
class Postcode:
    text: str
    outcome: Outcome
    expected: tuple[str, ...]  # the area(s) offered, or the municipality named


def one(text: str, area_id: str) -> Postcode:
    return Postcode(text, Outcome.CONFIDENT, (area_id,))


def choice(text: str, *area_ids: str) -> Postcode:
    return Postcode(text, Outcome.AMBIGUOUS, area_ids)


def outside(text: str, municipality: str) -> Postcode:
    return Postcode(text, Outcome.OUTSIDE, (municipality,))


POSTCODES: tuple[Postcode, ...] = (
    one("163 72", "jarva"),
    one("barnet bor i 164 40", "jarva"),
    one("postnummer 16855", "bromma"),
    one("123 00", "farsta"),
    one("12738", "skarholmen"),
    one("129 39", "hagersten-alvsjo"),
    one("162 44", "hasselby-vallingby"),
    one("165 70", "hasselby-vallingby"),
    one("120 50", "enskede-arsta-vantor"),
    one("124 32", "enskede-arsta-vantor"),
    one("128 41", "skarpnack"),
    one("128 06", "farsta"),
    one("120 47", "enskede-arsta-vantor"),
    choice("111 22", "norra-innerstaden", "kungsholmen", "sodermalm", "hagersten-alvsjo"),
    choice("118 53", "norra-innerstaden", "kungsholmen", "sodermalm", "hagersten-alvsjo"),
    choice("121 50", "skarpnack", "enskede-arsta-vantor"),
    choice("125 30", "hagersten-alvsjo", "enskede-arsta-vantor"),
    choice("122 62", "enskede-arsta-vantor", "farsta"),
    outside("171 41", "Solna"),
    outside("131 31", "Nacka"),
    outside("181 30", "Lidingö"),
    outside("141 30", "Huddinge"),
    outside("211 19", "Malmö"),
    outside("411 02", "Göteborg"),
    outside("981 20", "Kiruna"),
    outside("123 52", "Huddinge"),  # postort Farsta, but Huddinge kommun
    outside("128 47", "Nacka"),  # postort Bagarmossen, but Nacka kommun
    outside("172 63", "Sundbyberg"),
)


@cache
def finder() -> HomeFinder:
    return shipped_home_finder()


def pin_hit(pin: Pin) -> bool:
    result = finder().by_location(pin.lat, pin.lon).result
    if pin.area_id is None:
        return result.outcome is Outcome.OUTSIDE and not result.matches
    return result.outcome is Outcome.CONFIDENT and result.matches[0].entry.area_id == pin.area_id


def postcode_hit(case: Postcode) -> bool:
    found: HomeLookup | None = finder().by_postcode(case.text)
    if found is None or found.result.outcome is not case.outcome:
        return False
    matches = found.result.matches
    if case.outcome is Outcome.OUTSIDE:
        return matches[0].entry.name == case.expected[0]
    return tuple(m.entry.area_id for m in matches) == case.expected


def test_the_sets_are_large_and_cover_every_area() -> None:
    assert len(PINS) + len(POSTCODES) >= 40
    areas = {pin.area_id for pin in PINS if pin.area_id}
    assert len(areas) == 11
    assert sum(pin.area_id is None for pin in PINS) >= 5


def test_hit_rate_of_pins_and_postcodes() -> None:
    misses = [f"pin {p.name}" for p in PINS if not pin_hit(p)]
    misses += [f"postcode {c.text}" for c in POSTCODES if not postcode_hit(c)]
    total = len(PINS) + len(POSTCODES)
    rate = 1 - len(misses) / total
    print(f"\nhome hit rate: {rate:.3f} ({total - len(misses)}/{total}); misses: {misses}")
    assert rate >= REQUIRED_HIT_RATE, misses


def test_a_postort_spanning_areas_is_never_answered_with_one() -> None:
    for case in POSTCODES:
        if case.outcome is Outcome.AMBIGUOUS:
            found = finder().by_postcode(case.text)
            assert found is not None and found.result.outcome is Outcome.AMBIGUOUS
            assert found.suggest_pin
