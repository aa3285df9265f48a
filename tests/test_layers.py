"""The four layers import one way only: app → handlers → bot → knowledge.

Only the application shell (`app/`) and the Telegram adapters (`handlers/`) may import
`telegram`; the core and the knowledge stay testable and reusable by the CLI and the terminal
chat. Imports under `TYPE_CHECKING` count too: they are dependencies all the same.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("knowledge", "bot", "handlers", "app")  # lowest first
TELEGRAM_ALLOWED = {"handlers", "app"}
NEVER_IMPORTED_BY_THE_PRODUCT = {"tests", "bench"}


def imported_modules(source: str) -> list[tuple[int, str]]:
    """Every absolute module name the source imports, with its line."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


def violations(layer: str, path: Path, source: str) -> list[str]:
    """What this module of `layer` imports against the direction of the layers."""
    rank = LAYERS.index(layer)
    problems = []
    for line, module in imported_modules(source):
        top = module.split(".")[0]
        where = f"{path.relative_to(ROOT)}:{line} imports {module}"
        if top in LAYERS and LAYERS.index(top) > rank:
            problems.append(f"{where} (a {layer} module may not depend on {top}/)")
        if top == "telegram" and layer not in TELEGRAM_ALLOWED:
            problems.append(f"{where} (only app/ and handlers/ talk to Telegram)")
        if top in NEVER_IMPORTED_BY_THE_PRODUCT:
            problems.append(f"{where} (the product never imports {top}/)")
    return problems


def product_modules() -> list[tuple[str, Path]]:
    return [(layer, path) for layer in LAYERS for path in sorted((ROOT / layer).rglob("*.py"))]


def test_every_layer_has_modules() -> None:
    layers_seen = {layer for layer, _ in product_modules()}
    assert layers_seen == set(LAYERS)


@pytest.mark.parametrize(
    ("layer", "path"),
    product_modules(),
    ids=[str(path.relative_to(ROOT)) for _, path in product_modules()],
)
def test_imports_follow_the_layers(layer: str, path: Path) -> None:
    assert violations(layer, path, path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("layer", "source", "expected"),
    [
        ("bot", "import telegram\n", "only app/ and handlers/ talk to Telegram"),
        ("bot", "from telegram.ext import Application\n", "only app/ and handlers/"),
        ("knowledge", "from bot.config import Settings\n", "may not depend on bot/"),
        ("bot", "from handlers.common import BotContext\n", "may not depend on handlers/"),
        ("handlers", "import app.cli\n", "may not depend on app/"),
        (
            "bot",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from app.jobs import x\n",
            "may not depend on app/",
        ),
        ("app", "from tests.fakes import ChatDriver\n", "never imports tests/"),
    ],
)
def test_the_checker_finds_a_wrong_import(layer: str, source: str, expected: str) -> None:
    path = ROOT / layer / "example.py"
    (problem,) = violations(layer, path, source)
    assert expected in problem


def test_the_checker_allows_imports_down_the_layers() -> None:
    source = "import telegram\nfrom bot.runtime import Services\nfrom knowledge import guide\n"
    assert violations("handlers", ROOT / "handlers" / "example.py", source) == []


def test_tests_never_import_the_benchmarks() -> None:
    """Benchmarks may reuse the tests' helpers (tests/support), never the other way round."""
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((ROOT / "tests").rglob("*.py"))
        for line, module in imported_modules(path.read_text(encoding="utf-8"))
        if module.split(".")[0] == "bench"
    ]
    assert wrong == []
