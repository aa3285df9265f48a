"""Load the shipped geography: the 11 stadsdelsområden, their stadsdelar, the municipalities.

These are facts about Stockholm, not admin data: they are read from `knowledge/` at every start
and validated, and a broken file stops the start naming file, line and field. Schools and
contacts are admin data; the shipped example files for them go through the same CSV import an
admin uses (`bot/services/csv_formats.py`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from knowledge.errors import KnowledgeError, Problem, relative_path

KNOWLEDGE_DIR = Path(__file__).resolve().parent
DIRECTORY_DIR = KNOWLEDGE_DIR / "directory"
EXAMPLE_SCHOOLS_FILE = DIRECTORY_DIR / "schools.csv"
EXAMPLE_CONTACTS_FILE = DIRECTORY_DIR / "example_contacts.csv"
SCHOOL_OVERRIDES_FILE = DIRECTORY_DIR / "school_overrides.csv"

EXPECTED_AREA_COUNT = 11
EXPECTED_MUNICIPALITY_COUNT = 290
HOME_MUNICIPALITY = "0180"  # Stockholm, SCB's municipality code


@dataclass(frozen=True)
class AreaInfo:
    """A stadsdelsområde (since 1 July 2023) with the names people still use for it."""

    id: str
    name: str
    genitive_name: str
    aliases: tuple[str, ...]
    source: str


@dataclass(frozen=True)
class NeighbourhoodInfo:
    """A stadsdel, so that "the child lives in Bagarmossen" routes to Skarpnäck."""

    name: str
    area_id: str
    source: str


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str


@dataclass(frozen=True)
class Geography:
    areas: tuple[AreaInfo, ...]
    neighbourhoods: tuple[NeighbourhoodInfo, ...]
    other_municipalities: tuple[Municipality, ...]
    emergency_number: str

    def area(self, area_id: str) -> AreaInfo:
        for area in self.areas:
            if area.id == area_id:
                return area
        raise KeyError(area_id)

    @property
    def area_ids(self) -> frozenset[str]:
        return frozenset(a.id for a in self.areas)


def read_csv_rows(path: Path, required: tuple[str, ...]) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield (line number, row) from a UTF-8 CSV, failing on missing columns or empty values."""
    rel = relative_path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise KnowledgeError.single(rel, f"kolumn saknas: {', '.join(missing)}", line=1)
        problems: list[Problem] = []
        rows: list[tuple[int, dict[str, str]]] = []
        for row in reader:
            line = reader.line_num
            clean = {k: (v or "").strip() for k, v in row.items() if k is not None}
            for column in required:
                if not clean.get(column):
                    problems.append(Problem(rel, line, column, "värde saknas"))
            rows.append((line, clean))
        if problems:
            raise KnowledgeError(problems)
    yield from rows


def _load_areas(directory: Path) -> tuple[AreaInfo, ...]:
    path = directory / "stadsdelsomraden.csv"
    extra: dict[str, list[str]] = {}
    alias_path = directory / "area_aliases.csv"
    area_rows = list(read_csv_rows(path, ("id", "name", "genitive_name", "source")))
    if len(area_rows) != EXPECTED_AREA_COUNT:
        raise KnowledgeError.single(
            relative_path(path),
            f"{EXPECTED_AREA_COUNT} stadsdelsområden väntades, fann {len(area_rows)}",
        )
    known = {row["id"] for _, row in area_rows}
    for line, row in read_csv_rows(alias_path, ("area_id", "alias", "source")):
        if row["area_id"] not in known:
            raise KnowledgeError.single(
                relative_path(alias_path), f"okänt område '{row['area_id']}'", line, "area_id"
            )
        extra.setdefault(row["area_id"], []).append(row["alias"])
    areas = []
    for _, row in area_rows:
        former = [a.strip() for a in row.get("former_areas", "").split(";") if a.strip()]
        aliases = tuple(dict.fromkeys(former + extra.get(row["id"], [])))
        areas.append(
            AreaInfo(row["id"], row["name"], row["genitive_name"], aliases, row["source"])
        )
    return tuple(areas)


def _load_neighbourhoods(directory: Path, area_ids: set[str]) -> tuple[NeighbourhoodInfo, ...]:
    path = directory / "stadsdelar.csv"
    result = []
    for line, row in read_csv_rows(path, ("name", "area_id", "source")):
        if row["area_id"] not in area_ids:
            raise KnowledgeError.single(
                relative_path(path), f"okänt område '{row['area_id']}'", line, "area_id"
            )
        result.append(NeighbourhoodInfo(row["name"], row["area_id"], row["source"]))
    return tuple(result)


def _load_municipalities(path: Path) -> tuple[Municipality, ...]:
    """Sweden's 290 municipalities (SCB codes) but Stockholm itself, by their short names."""
    columns = ("municipality_code", "municipality_name_short")
    result = tuple(
        Municipality(row["municipality_code"], row["municipality_name_short"])
        for _, row in read_csv_rows(path, columns)
        if row["municipality_code"] != HOME_MUNICIPALITY
    )
    if len(result) != EXPECTED_MUNICIPALITY_COUNT - 1:
        raise KnowledgeError.single(
            relative_path(path),
            f"{EXPECTED_MUNICIPALITY_COUNT} kommuner (med Stockholm) väntades, "
            f"fann {len(result) + 1}",
        )
    return result


def _load_emergency_number(path: Path) -> str:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        number = str(data["acute_danger"]["number"])
        if not data["acute_danger"]["source"]:
            raise KeyError("source")
    except (KeyError, TypeError) as error:
        raise KnowledgeError.single(
            relative_path(path), "acute_danger.number/source saknas"
        ) from error
    return number


def load_geography(knowledge_dir: Path = KNOWLEDGE_DIR) -> Geography:
    """Read and validate areas, stadsdelar and the other 289 municipalities."""
    directory = knowledge_dir / "directory"
    areas = _load_areas(directory)
    neighbourhoods = _load_neighbourhoods(directory, {a.id for a in areas})
    return Geography(
        areas=areas,
        neighbourhoods=neighbourhoods,
        other_municipalities=_load_municipalities(knowledge_dir / "geo" / "municipalities.csv"),
        emergency_number=_load_emergency_number(knowledge_dir / "emergency.yaml"),
    )


@cache
def shipped_geography() -> Geography:
    """The geography shipped with the bot, loaded once per process."""
    return load_geography()
