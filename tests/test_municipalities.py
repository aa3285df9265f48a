"""All 290 municipalities by name, and the lookup command for postcodes and pins."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from app.cli import main
from knowledge.directory import shipped_geography
from tests.test_lookup_accuracy import shipped_index

# Names that, without å/ä/ö or as Swedish words, are something else as well: Håbo and Habo are
# the same letters; Varberg is also Vårberg in Skärholmen; "Nora" is how "Norra" is misspelt;
# "Åre" folds to the English word "are". These are answered as a choice or not at all.
COLLISIONS = frozenset({"Håbo", "Varberg", "Nora", "Åre"})


def test_the_289_other_municipalities_are_known_with_and_without_kommun() -> None:
    others = shipped_geography().other_municipalities
    assert len(others) == 289
    missed = []
    for municipality in others:
        if municipality.name in COLLISIONS:
            continue
        for typed in (municipality.name, f"{municipality.name} kommun"):
            result = shipped_index().search(typed)
            if (
                result.outcome.value != "outside"
                or result.matches[0].entry.name != municipality.name
            ):
                missed.append(typed)
    assert missed == []


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Gotebrog", "Göteborg"),
        ("goteborgs kommun", "Göteborg"),
        ("ornskoldsvik", "Örnsköldsvik"),
        ("upplands bro", "Upplands-Bro"),
        ("Norrkoping kommun", "Norrköping"),
        ("Upsala", "Uppsala"),
        ("skolan i Kiruna", "Kiruna"),
    ],
)
def test_municipalities_with_typos(typed: str, name: str) -> None:
    result = shipped_index().search(typed)
    assert result.outcome.value == "outside"
    assert result.matches[0].entry.name == name


@pytest.fixture
def cli_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return tmp_path


def test_lookup_json_answers_postcodes_and_pins(
    cli_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lookup", "--json", "163 72"]) == 0
    spanga = json.loads(capsys.readouterr().out)
    assert spanga["outcome"] == "confident"
    assert spanga["matches"][0]["area_id"] == "jarva"
    assert spanga["intake"]["intake"]["name"] == "Mottagningen barn och unga, Järva (exempel)"
    assert "163" not in json.dumps(spanga)  # the postcode is not repeated

    assert main(["lookup", "--json", "123 52"]) == 0
    huddinge = json.loads(capsys.readouterr().out)
    assert huddinge["outcome"] == "outside"
    assert huddinge["matches"][0]["name"] == "Huddinge"

    assert main(["lookup", "--json", "111 22"]) == 0
    inner = json.loads(capsys.readouterr().out)
    assert inner["outcome"] == "ambiguous"
    assert [m["area_id"] for m in inner["matches"]][:2] == ["norra-innerstaden", "kungsholmen"]

    assert main(["lookup", "--json", "--location", "59.3880,17.9290"]) == 0
    rinkeby = json.loads(capsys.readouterr().out)
    assert rinkeby["outcome"] == "confident"
    assert rinkeby["matches"][0] == {
        "kind": "neighbourhood",
        "name": "Rinkeby",
        "area_id": "jarva",
        "score": 100.0,
    }

    assert main(["lookup", "--json", "--location", "59.3600,18.0003"]) == 0
    solna = json.loads(capsys.readouterr().out)
    assert (solna["outcome"], solna["matches"]) == ("outside", [])

    assert main(["lookup", "--location", "norr om stan"]) == 2
