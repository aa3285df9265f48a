"""Fixtures of the end-to-end tier; the harness and how to use it: tests/e2e/harness.py."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import (
    NODE_MISSING,
    Emulator,
    Fleet,
    emulator_version,
    install_emulator,
    node_missing,
)
from tests.support import postgres

HERE = Path(__file__).resolve().parent
_collected = {"e2e": 0}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    mine = [item for item in items if HERE in item.path.parents]
    _collected["e2e"] = len(mine)
    if mine and node_missing():
        for item in mine:
            item.add_marker(pytest.mark.skip(reason=NODE_MISSING))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """One line in the run's log on what the end-to-end tier did (or why it did not run)."""
    if not _collected["e2e"]:
        return
    if node_missing():
        terminalreporter.write_line(NODE_MISSING)
        return
    prefix = HERE.relative_to(terminalreporter.config.rootpath).as_posix() + "/"
    outcomes: Counter[str] = Counter()
    for outcome in ("passed", "failed", "skipped", "error"):
        for report in terminalreporter.stats.get(outcome, []):
            mine = getattr(report, "nodeid", "").startswith(prefix)
            if mine and (report.when == "call" or outcome != "passed"):
                outcomes[outcome] += 1
    counts = ", ".join(f"{n} {outcome}" for outcome, n in outcomes.items()) or "nothing ran"
    terminalreporter.write_line(f"e2e tier ({emulator_version()}): {counts}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed scenario's report carries the tail of every bot's log and the emulator's."""
    report = yield
    fleet = getattr(item, "funcargs", {}).get("fleet")
    if report.failed and isinstance(fleet, Fleet):
        for name, log in fleet.logs():
            report.sections.append((f"log of {name}", log))
    return report


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Emulator]:
    """The Bot API emulator, installed on first use and started once per session."""
    if node_missing():
        pytest.skip(NODE_MISSING)
    install_emulator()  # a failed install is an error, not a skip
    running = Emulator.start(tmp_path_factory.mktemp("e2e-emulator"))
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def database_factory(
    tmp_path: Path, sqlite_template: Path, postgres_template: str | None
) -> Iterator[Callable[[str], str]]:
    """`make("sqlite" | "postgresql")`: a fresh migrated, seeded database of its own."""
    server = os.environ.get("TEST_DATABASE_URL")
    created: list[str] = []

    def make(kind: str) -> str:
        if kind == "sqlite":
            path = tmp_path / f"kontaktlotsen-{uuid.uuid4().hex[:8]}.sqlite3"
            shutil.copyfile(sqlite_template, path)
            return f"sqlite+aiosqlite:///{path}"
        if not server or postgres_template is None:
            pytest.skip("TEST_DATABASE_URL is not set")
        name = postgres.new_name("kl_e2e")
        url = asyncio.run(postgres.create(server, name, template=postgres_template))
        created.append(name)
        return url

    yield make
    for name in created:
        assert server is not None
        asyncio.run(postgres.drop(server, name))


@pytest.fixture
def fleet(
    emulator: Emulator, tmp_path: Path, database_factory: Callable[[str], str]
) -> Iterator[Fleet]:
    """Bot processes of this test; all are ended afterwards, whatever happened (before the
    databases are dropped: this fixture depends on `database_factory`)."""
    started = Fleet(emulator, tmp_path / "bots")
    try:
        yield started
    finally:
        started.close()


@pytest.fixture
def sqlite_url(database_factory: Callable[[str], str]) -> str:
    return database_factory("sqlite")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_url(request: pytest.FixtureRequest, database_factory: Callable[[str], str]) -> str:
    """Once on SQLite, once on PostgreSQL (skipped without TEST_DATABASE_URL)."""
    return database_factory(str(request.param))
