"""Load the maps behind "where does the child live?": stadsdel polygons, postcodes, municipalities.

Facts, not admin data (sources and licences in `knowledge/geo/README.md`), read once per process
and validated like the rest of `knowledge/`: a broken file stops the start naming file, line and
field. Geometry work (shapely) happens in `bot.services.geo`; this module only reads and checks.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

from knowledge.directory import (
    EXPECTED_MUNICIPALITY_COUNT,
    HOME_MUNICIPALITY,
    KNOWLEDGE_DIR,
    read_csv_rows,
    shipped_geography,
)
from knowledge.errors import KnowledgeError, Problem, relative_path

GEO_DIR = KNOWLEDGE_DIR / "geo"


# The polygon file names each stadsdel in capitals; one label is cut short in the source
# (knowledge/geo/README.md).
_LABEL_FIXES = {"ULVSUNDA INDUSTRIOMR": "Ulvsunda industriområde"}

Ring = tuple[tuple[float, float], ...]  # (lon, lat) pairs, WGS84


@dataclass(frozen=True)
class StadsdelShape:
    """One stadsdel's polygon: its outer ring and its holes, in (lon, lat)."""

    name: str
    area_id: str
    rings: tuple[Ring, ...]


@dataclass(frozen=True)
class Postcode:
    postort: str
    municipality_code: str


@dataclass(frozen=True)
class MunicipalityName:
    code: str
    name: str  # "Solna"
    full_name: str  # "Solna kommun"


@dataclass(frozen=True)
class HomeMaps:
    shapes: tuple[StadsdelShape, ...]
    postcodes: Mapping[str, Postcode]
    municipalities: Mapping[str, MunicipalityName]
    # Each postort of Stockholm and the areas it lies in; empty when nothing tells.
    postorter: Mapping[str, tuple[str, ...]]


def _ring(raw: Any) -> Ring:
    return tuple((float(lon), float(lat)) for lon, lat, *_ in raw)


def load_shapes(path: Path, area_of: Mapping[str, str]) -> tuple[StadsdelShape, ...]:
    """The stadsdel polygons (GeoJSON, CRS84); every label must name a known stadsdel."""
    rel = relative_path(path)
    try:
        features = json.loads(path.read_text(encoding="utf-8"))["features"]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise KnowledgeError.single(rel, f"kan inte läsas som GeoJSON: {error}") from None
    by_upper = {name.upper(): name for name in area_of}
    shapes: list[StadsdelShape] = []
    problems: list[Problem] = []
    for number, feature in enumerate(features, start=1):
        label = str(feature.get("properties", {}).get("name", ""))
        name = _LABEL_FIXES.get(label) or by_upper.get(label)
        geometry = feature.get("geometry") or {}
        if name is None or geometry.get("type") not in ("Polygon", "MultiPolygon"):
            problems.append(Problem(rel, None, f"features[{number}]", f"okänd stadsdel {label!r}"))
            continue
        polygons = (
            [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
        )
        for polygon in polygons:
            shapes.append(StadsdelShape(name, area_of[name], tuple(_ring(r) for r in polygon)))
    missing = set(area_of) - {shape.name for shape in shapes}
    if missing:
        problems.append(Problem(rel, None, None, f"polygon saknas för {sorted(missing)}"))
    if problems:
        raise KnowledgeError(problems)
    return tuple(shapes)


def load_municipalities(path: Path) -> dict[str, MunicipalityName]:
    columns = ("municipality_code", "municipality_name", "municipality_name_short")
    result = {
        row["municipality_code"]: MunicipalityName(
            row["municipality_code"], row["municipality_name_short"], row["municipality_name"]
        )
        for _, row in read_csv_rows(path, columns)
    }
    if len(result) != EXPECTED_MUNICIPALITY_COUNT or HOME_MUNICIPALITY not in result:
        raise KnowledgeError.single(
            relative_path(path),
            f"{EXPECTED_MUNICIPALITY_COUNT} kommuner väntades, fann {len(result)}",
        )
    return result


def load_postcodes(path: Path, municipalities: Mapping[str, object]) -> dict[str, Postcode]:
    rel = relative_path(path)
    result: dict[str, Postcode] = {}
    columns = ("postal_code", "locality", "municipality_code")
    for line, row in read_csv_rows(path, columns):
        code = row["postal_code"]
        if len(code) != 5 or not code.isdigit():
            raise KnowledgeError.single(rel, f"ogiltigt postnummer {code!r}", line, "postal_code")
        if row["municipality_code"] not in municipalities:
            raise KnowledgeError.single(rel, "okänd kommunkod", line, "municipality_code")
        result[code] = Postcode(row["locality"], row["municipality_code"])
    return result


def load_postorter(
    path: Path, area_ids: frozenset[str], postcodes: Mapping[str, Postcode]
) -> dict[str, tuple[str, ...]]:
    """Stockholm's postorter and their areas; every postort of the city must be listed."""
    rel = relative_path(path)
    result: dict[str, tuple[str, ...]] = {}
    for line, row in read_csv_rows(path, ("postort", "basis")):
        areas = tuple(a.strip() for a in row.get("area_ids", "").split(";") if a.strip())
        unknown = [a for a in areas if a not in area_ids]
        if unknown:
            raise KnowledgeError.single(rel, f"okänt område {unknown[0]!r}", line, "area_ids")
        result[row["postort"]] = areas
    home = {p.postort for p in postcodes.values() if p.municipality_code == HOME_MUNICIPALITY}
    missing = sorted(home - set(result))
    if missing:
        raise KnowledgeError.single(rel, f"postorter i Stockholm saknas: {', '.join(missing)}")
    return result


def load_home_maps(geo_dir: Path = GEO_DIR) -> HomeMaps:
    geography = shipped_geography()
    area_of = {hood.name: hood.area_id for hood in geography.neighbourhoods}
    municipalities = load_municipalities(geo_dir / "municipalities.csv")
    postcodes = load_postcodes(geo_dir / "postal_to_municipality.csv", municipalities)
    return HomeMaps(
        shapes=load_shapes(geo_dir / "stadsdelar.geo.json", area_of),
        postcodes=MappingProxyType(postcodes),
        municipalities=MappingProxyType(municipalities),
        postorter=MappingProxyType(
            load_postorter(geo_dir / "postorter.csv", geography.area_ids, postcodes)
        ),
    )


@cache
def shipped_home_maps() -> HomeMaps:
    """The shipped maps, loaded once per process."""
    return load_home_maps()
