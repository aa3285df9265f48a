"""The shipped geography loads and validates; a broken file names file, line and field."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from knowledge.directory import KNOWLEDGE_DIR, load_geography, shipped_geography
from knowledge.errors import KnowledgeError


def test_shipped_geography_has_the_eleven_areas_and_their_old_names() -> None:
    geography = shipped_geography()
    assert len(geography.areas) == 11
    assert len(geography.neighbourhoods) == 117
    assert "Rinkeby-Kista" in geography.area("jarva").aliases
    assert "Hägersten-Liljeholmen" in geography.area("hagersten-alvsjo").aliases
    assert {m.name for m in geography.other_municipalities} >= {"Solna", "Nacka", "Sundbyberg"}
    assert "Stockholm" not in {m.name for m in geography.other_municipalities}
    assert geography.emergency_number == "112"


@pytest.fixture
def knowledge_copy(tmp_path: Path) -> Path:
    target = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, target, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    return target


def break_line(path: Path, line_number: int, old: str, new: str) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    assert old in lines[line_number - 1]
    lines[line_number - 1] = lines[line_number - 1].replace(old, new, 1)
    path.write_text("".join(lines), encoding="utf-8")


def test_unknown_area_in_stadsdelar_names_file_line_and_field(knowledge_copy: Path) -> None:
    break_line(knowledge_copy / "directory" / "stadsdelar.csv", 5, ",bromma,", ",brommaa,")
    with pytest.raises(KnowledgeError) as caught:
        load_geography(knowledge_copy)
    message = str(caught.value)
    assert "stadsdelar.csv" in message and "rad 5" in message and "fält 'area_id'" in message


def test_missing_value_is_reported_with_its_line(knowledge_copy: Path) -> None:
    break_line(
        knowledge_copy / "directory" / "stadsdelsomraden.csv", 3, "Enskede-Årsta-Vantörs", ""
    )
    with pytest.raises(KnowledgeError) as caught:
        load_geography(knowledge_copy)
    problem = caught.value.problems[0]
    assert (problem.line, problem.field) == (3, "genitive_name")


def test_a_missing_area_is_refused(knowledge_copy: Path) -> None:
    path = knowledge_copy / "directory" / "stadsdelsomraden.csv"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(KnowledgeError, match="11 stadsdelsområden"):
        load_geography(knowledge_copy)


def test_example_contacts_are_fictitious() -> None:
    path = KNOWLEDGE_DIR / "directory" / "example_contacts.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 23
    for row in rows:
        assert "(exempel)" in row["name"] and row["example"] == "ja"
        # Only the number ranges PTS reserves for fiction, and only example.com addresses.
        assert row["phone"].startswith(("070-174 06 ", "08-465 004 ")), row["phone"]
        assert not row["email"] or row["email"].endswith("@example.com")
