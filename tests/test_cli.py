"""The `kontaktlotsen` command line: lookup (text and JSON), import, export, and the chat."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from app.cli import main
from app.terminal_chat import run_chat
from bot.config import Settings


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory without .env and a SQLite file of its own."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    return tmp_path


def test_lookup_json_prints_one_object_per_query(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("Eriksdalsskolan\nSolna\n\nHogwarts\n"))
    assert main(["lookup", "--json", "-"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["query"] for line in lines] == ["Eriksdalsskolan", "Solna", "Hogwarts"]
    first, solna, hogwarts = lines
    assert first["outcome"] == "confident"
    assert first["matches"][0] == {
        "kind": "school",
        "name": "Eriksdalsskolan",
        "area_id": "sodermalm",
        "score": first["matches"][0]["score"],
    }
    assert first["contacts"]["cooperation"]["name"] == "Nora Vik (exempel)"
    assert first["contacts"]["intake"]["intake"]["phone"] == "08-465 004 10"
    assert solna["outcome"] == "outside"
    assert solna["matches"][0]["kind"] == "municipality"
    assert hogwarts["outcome"] == "none"
    assert hogwarts["contacts"] is None


def test_lookup_text_output_joins_the_words(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["lookup", "vem", "ska", "jag", "ringa", "om", "eriksdalsskolan"]) == 0
    out = capsys.readouterr().out
    assert "confident" in out and "Eriksdalsskolan" in out and "Nora Vik" in out


def test_import_is_all_or_nothing_and_export_round_trips(
    cli_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = cli_env / "bad.csv"
    bad.write_text("name,kind,area_id\nNy skola,grundskola,bromma\nTrasig,grundskola,\n", "utf-8")
    assert main(["import", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.csv, rad 3, fält 'area_id'" in err
    assert main(["export", "schools", "-o", str(cli_env / "out.csv")]) == 0
    exported = (cli_env / "out.csv").read_text("utf-8")
    assert "Ny skola" not in exported
    assert exported.count("\n") == 190

    good = cli_env / "good.csv"
    good.write_text("name;kind;area_id\nNy skola;grundskola;bromma\n", "cp1252")
    assert main(["import", str(good)]) == 0
    assert "1 nya skolor" in capsys.readouterr().out
    assert main(["export", "schools", "--excel", "-o", str(cli_env / "excel.csv")]) == 0
    assert "Ny skola;grundskola;kommunal" in (cli_env / "excel.csv").read_text("utf-8-sig")


def test_run_without_token_falls_back_to_the_chat(
    cli_env: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builtins.input", lambda prompt="": (_ for _ in ()).throw(EOFError))
    assert main([]) == 0
    captured = capsys.readouterr()
    assert "Ingen TELEGRAM_BOT_TOKEN" in captured.err
    assert "Kontaktlotsen" in captured.out


async def test_terminal_chat_shows_card_and_numbered_buttons(settings: Settings) -> None:
    lines = iter(["Eriksdalsskolan", "1", "Bagarmossen", "/quit"])
    out = io.StringIO()
    await run_chat(settings, read_line=lambda: next(lines), out=out)
    transcript = out.getvalue()
    assert "<b>" not in transcript  # HTML is turned into plain text
    assert "[1] Barnet bor i ett annat område" in transcript
    assert "Eriksdalsskolan" in transcript and "Nora Vik (exempel)" in transcript
    assert "Bagarmossen ingår i stadsdelsområde Skarpnäck" in transcript


def test_terminal_chat_prints_no_info_log_lines(tmp_path: Path) -> None:
    """The chat shares the terminal with the log: a start-up INFO line is noise there."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")
    }
    environment["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/chat.sqlite3"
    finished = subprocess.run(
        [sys.executable, "-m", "app.cli", "chat"],
        input="/quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    assert "Kontaktlotsen i terminalen" in finished.stdout
    assert " INFO " not in finished.stderr, finished.stderr


LOOKUP_AND_LIST_MODULES = """
import sys
from app.cli import main
main(["lookup", "Eriksdalsskolan"])
heavy = {"telegram", "matplotlib", "alembic", "mako", "shapely", "numpy", "httpx", "PIL"}
print("loaded:", ",".join(sorted({m.split(".")[0] for m in sys.modules} & heavy)))
"""


def test_a_lookup_from_the_command_line_loads_no_library_it_does_not_use(tmp_path: Path) -> None:
    """Each of these costs tens of milliseconds at a cold start (bench/startup.py)."""
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")
    }
    environment["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/cli.sqlite3"
    for _ in range(2):  # the second start finds the schema up to date: no Alembic then
        finished = subprocess.run(
            [sys.executable, "-c", LOOKUP_AND_LIST_MODULES],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=environment,
            timeout=120,
            check=True,
        )
    assert "Nora Vik" in finished.stdout
    assert "loaded: \n" in finished.stdout, finished.stdout


def test_the_installed_command_prints_its_answer_and_exit_code(tmp_path: Path) -> None:
    """`run` (the console script) skips the last garbage collection; the output must still
    arrive whole and the exit code must be `main`'s."""
    [script] = [s for s in entry_points(group="console_scripts") if s.name == "kontaktlotsen"]
    assert script.value == "app.cli:run"
    environment = {
        key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")
    }
    environment["DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path}/run.sqlite3"
    command = [sys.executable, "-m", "app.cli", "lookup"]
    answered = subprocess.run(
        [*command, "--json", "Eriksdalsskolan"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=environment,
        timeout=120,
        check=False,
    )
    assert answered.returncode == 0, answered.stderr
    assert json.loads(answered.stdout)["contacts"]["cooperation"]["name"] == "Nora Vik (exempel)"
    refused = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=environment, timeout=120
    )
    assert refused.returncode == 2
    assert "Skriv en fråga" in refused.stderr
