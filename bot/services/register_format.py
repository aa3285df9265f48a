"""Read Skolverket's school-unit register (Skolenhetsregistret, open API v2) responses.

The shapes follow the API's published OpenAPI specification ("Skolenhetsregistret öppna API
v2", `skolenhetsregistret_v2_openapi.yaml`) as public clients generate types from it:

- the list, `GET /v2/school-units?municipality_code=0180`, is a `SchoolUnitResponse`:
  `{"meta": {"extractDate"}, "data": {"type": "schoolunit", "attributes": [SchoolUnit]}}`,
  each `SchoolUnit` only `schoolUnitCode`, `name` and `status`;
- one unit, `GET /v2/school-units/{schoolUnitCode}`, is a `SchoolUnitInfoResponse`:
  `{"meta", "links", "data": {"type", "schoolUnitCode", "attributes": SchoolUnitInfo},
  "included": {"type": "organization", "organizationNumber", "attributes": {"displayName",
  "organizerType"}}}`. `SchoolUnitInfo` carries `displayName`, `status`, `addresses` (each
  with `type` BESOKSADRESS/POSTADRESS/…, `streetAddress`, `postalCode`, `locality` and
  `geoCoordinates` with `latitude`/`longitude` as strings), `municipalityCode` and
  `schoolTypes` (GR, GRAN, GY, GYAN, SP, SAM, FKLASS, FTH, OPPFTH, VUX).

Status is one of AKTIV, VILANDE, UPPHORT, PLANERAD; only AKTIV is an open school. Reading is
strict about what the bot needs (code, name, status) and collects every problem, naming the
file and the unit, before anything is applied.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from bot.models import Operator, SchoolKind
from knowledge.errors import KnowledgeError, Problem


class UnitStatus(StrEnum):
    ACTIVE = "AKTIV"
    DORMANT = "VILANDE"
    CLOSED = "UPPHORT"
    PLANNED = "PLANERAD"


# The school forms the bot serves (children and young people in school); a unit with only
# after-school care (FTH, OPPFTH) or adult education (VUX) is not imported.
SCHOOL_FORMS = ("FKLASS", "GR", "GRAN", "SP", "SAM", "GY", "GYAN")
_GRUNDSKOLA_FORMS = frozenset({"GR", "SP", "SAM", "FKLASS"})
# Skolverket's organizer types (CodeOrganizerType) → the operator the card shows.
_OPERATORS = {
    "KOMMUN": Operator.MUNICIPAL,
    "KOMMFORB": Operator.MUNICIPAL,
    "REGION": Operator.MUNICIPAL,
    "ENSKILD": Operator.INDEPENDENT,
    "STAT": Operator.STATE,
    "SPECIAL": Operator.STATE,
    "SAME": Operator.STATE,
}
VISITING = "BESOKSADRESS"
_CODE = re.compile(r"\d{8}")
_POSTCODE = re.compile(r"(\d{3}) ?(\d{2})")


@dataclass(frozen=True)
class RegisterUnit:
    """One school unit as the bot keeps it."""

    code: str
    name: str
    status: UnitStatus
    operator: Operator | None
    school_forms: tuple[str, ...]
    street: str | None
    postcode: str | None  # "16372"
    locality: str | None
    lat: float | None
    lon: float | None
    municipality_code: str | None

    @property
    def is_active(self) -> bool:
        return self.status is UnitStatus.ACTIVE

    @property
    def is_school(self) -> bool:
        """Whether it teaches a school form the bot serves (not only fritidshem or komvux)."""
        return any(form in SCHOOL_FORMS for form in self.school_forms)

    @property
    def kind(self) -> SchoolKind:
        forms = set(self.school_forms)
        if forms & _GRUNDSKOLA_FORMS:
            return SchoolKind.GRUNDSKOLA
        if "GY" in forms:
            return SchoolKind.GYMNASIUM
        return SchoolKind.ANPASSAD_SKOLA

    @property
    def address(self) -> str | None:
        """As the CSV files write it: "Street 1, 163 72 Spånga"."""
        place = " ".join(
            part
            for part in (
                f"{self.postcode[:3]} {self.postcode[3:]}" if self.postcode else None,
                self.locality,
            )
            if part
        )
        return ", ".join(part for part in (self.street, place) if part) or None


@dataclass(frozen=True)
class RegisterListEntry:
    code: str
    name: str
    status: str


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _coordinate(value: Any) -> float | None:
    """The API gives coordinates as strings ("59.16286545184274"); a comma is tolerated."""
    if isinstance(value, int | float):
        return float(value)
    text = _text(value)
    if text is None:
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        return None


def _forms(forms: Any) -> tuple[str, ...]:
    if not isinstance(forms, list):
        return ()
    return tuple(form for form in forms if isinstance(form, str))


def _visiting_address(addresses: Any) -> Mapping[str, Any]:
    if not isinstance(addresses, list):
        return {}
    candidates = [a for a in addresses if isinstance(a, dict)]
    for address in candidates:
        if address.get("type") == VISITING:
            return address
    return candidates[0] if candidates else {}


def _organizer_type(included: Any) -> str | None:
    """`included` is one organization in the specification; some clients save a list."""
    items = included if isinstance(included, list) else [included]
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("attributes"), dict):
            return _text(item["attributes"].get("organizerType"))
    return None


def parse_unit(response: Any, where: str, problems: list[Problem]) -> RegisterUnit | None:
    """One `SchoolUnitInfoResponse`; problems are collected, None when the unit is unusable."""
    data = response.get("data") if isinstance(response, dict) else None
    attributes = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(data, dict) or not isinstance(attributes, dict):
        problems.append(Problem(where, None, "data.attributes", "saknas: inget skolenhetssvar"))
        return None
    code = _text(data.get("schoolUnitCode")) or ""
    label = f"{where} [{code or '?'}]"
    name = _text(attributes.get("displayName"))
    status = _text(attributes.get("status"))
    before = len(problems)
    if not _CODE.fullmatch(code):
        problems.append(Problem(label, None, "data.schoolUnitCode", "ska vara åtta siffror"))
    if name is None:
        problems.append(Problem(label, None, "displayName", "namn saknas"))
    if status not in set(UnitStatus):
        problems.append(Problem(label, None, "status", f"okänd status {status!r}"))
    if len(problems) > before or name is None or status is None:
        return None
    address = _visiting_address(attributes.get("addresses"))
    found = address.get("geoCoordinates")
    geo: Mapping[str, Any] = found if isinstance(found, dict) else {}
    postcode = _POSTCODE.fullmatch(_text(address.get("postalCode")) or "")
    forms = attributes.get("schoolTypes")
    organizer = _organizer_type(response.get("included"))
    return RegisterUnit(
        code=code,
        name=name,
        status=UnitStatus(status),
        operator=_OPERATORS.get(organizer or ""),
        school_forms=_forms(forms),
        street=_text(address.get("streetAddress")),
        postcode=postcode.group(1) + postcode.group(2) if postcode else None,
        locality=_text(address.get("locality")),
        lat=_coordinate(geo.get("latitude")),
        lon=_coordinate(geo.get("longitude")),
        municipality_code=_text(attributes.get("municipalityCode")),
    )


def parse_units(responses: Sequence[Any], where: str) -> list[RegisterUnit]:
    """Every unit of a saved file; raises with every problem, so nothing half-read is applied."""
    problems: list[Problem] = []
    units = [parse_unit(r, f"{where} #{n}", problems) for n, r in enumerate(responses, start=1)]
    seen: dict[str, int] = {}
    for number, unit in enumerate(units, start=1):
        if unit is not None and seen.setdefault(unit.code, number) != number:
            problems.append(
                Problem(
                    f"{where} #{number}",
                    None,
                    "schoolUnitCode",
                    f"samma kod som #{seen[unit.code]}",
                )
            )
    if problems:
        raise KnowledgeError(problems)
    return [unit for unit in units if unit is not None]


def parse_saved(path: str, raw: bytes) -> tuple[list[RegisterUnit], bool]:
    """A saved response: an array of unit responses (the whole municipality) or one response.

    Returns the units and whether the file is a whole municipality: only then does a unit
    missing from it count as having left the register.
    """
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise KnowledgeError.single(path, f"kan inte läsas som JSON: {error}") from None
    if isinstance(document, list):
        if not document:
            raise KnowledgeError.single(path, "filen har inga skolenheter")
        return parse_units(document, path), True
    if isinstance(document, dict) and isinstance(document.get("data"), dict):
        if isinstance(document["data"].get("attributes"), list):
            raise KnowledgeError.single(
                path,
                "det här är listan (bara kod, namn och status); spara varje enhets eget svar "
                "(/v2/school-units/{kod}) eller kör import-register utan --file",
            )
        return parse_units([document], path), False
    raise KnowledgeError.single(path, "okänt format: väntade en skolenhet eller en lista av dem")


def parse_list(document: Any, where: str) -> list[RegisterListEntry]:
    """The list endpoint's `SchoolUnitResponse`: code, name and status of each unit."""
    data = document.get("data") if isinstance(document, dict) else None
    items = data.get("attributes") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise KnowledgeError.single(where, "svaret saknar data.attributes (listan)")
    entries = []
    for item in items:
        if not isinstance(item, dict):
            continue
        code = _text(item.get("schoolUnitCode")) or ""
        if _CODE.fullmatch(code):
            entries.append(
                RegisterListEntry(code, _text(item.get("name")) or "", str(item.get("status")))
            )
    return entries
