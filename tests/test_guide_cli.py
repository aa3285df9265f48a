"""`kontaktlotsen guide --check|--mermaid`, and the guide check when the bot starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.cli import main
from bot.config import Settings
from bot.runtime import Services
from bot.services.guide_mermaid import to_mermaid
from knowledge.errors import KnowledgeError
from knowledge.guide import load_guide, shipped_guide

BROKEN = Path(__file__).parent / "fixtures" / "guide_broken" / "dangling_target.yaml"


@pytest.fixture
def no_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    # `guide` reads no settings and opens no database: broken settings do not matter.
    monkeypatch.setenv("DATABASE_URL", "not-a-database://")
    monkeypatch.setenv("LOG_LEVEL", "LOUD")


@pytest.mark.parametrize("language", ["sv", "en"])
def test_mermaid_prints_the_shipped_guide(
    no_env: None, capsys: pytest.CaptureFixture[str], language: str
) -> None:
    assert main(["guide", "--mermaid", "--lang", language]) == 0
    out = capsys.readouterr().out
    assert out == to_mermaid(shipped_guide(), language)
    assert ("Ring 112 nu" in out) == (language == "sv")


def test_check_passes_on_the_shipped_guide(
    no_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["guide", "--check"]) == 0
    assert "Guiden är hel: 41 steg, 15 punkter i checklistan." in capsys.readouterr().out


def test_check_names_file_line_and_field_of_a_broken_guide(
    no_env: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["guide", "--check", "--dir", str(BROKEN)]) == 1
    err = capsys.readouterr().err
    assert "dangling_target.yaml, rad 22, fält 'next'" in err
    assert "målet 'nope' finns inte" in err


def test_guide_needs_check_or_mermaid(no_env: None, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["guide"])


async def test_a_broken_guide_stops_the_start_before_the_database_is_touched(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    services = Services.create(settings, load_guide=lambda: load_guide(BROKEN))
    migrated = []
    monkeypatch.setattr(services.database, "migrate", lambda: migrated.append(True))
    try:
        with pytest.raises(KnowledgeError) as error:
            await services.start()
    finally:
        await services.stop()
    assert "dangling_target.yaml, rad 22, fält 'next'" in str(error.value)
    assert migrated == []
