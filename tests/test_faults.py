"""Faults are named: an unreachable register gets the "can't reach" answer with 112, and the
start retries the database and Telegram with backoff, one log line per attempt, no traceback."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.application import build_application
from bot.clock import CLOCK_KEY
from bot.config import Settings
from tests.fakes import ChatDriver, RecordingBotApi, texts

UNREACHABLE = "Jag når inte registret just nu"


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def point_database_at(app: Any, url: str) -> None:
    """The register goes away while the bot runs: every new connection goes to `url`."""
    database = app.bot_data.services.database
    database.engine = create_async_engine(url)
    database.sessions = async_sessionmaker(
        database.engine, expire_on_commit=False, info={CLOCK_KEY: database.clock}
    )


def unreachable_urls(tmp_path: Path) -> dict[str, str]:
    garbage = tmp_path / "not-a-database.sqlite3"
    garbage.write_bytes(b"this is not an SQLite file" * 100)
    return {
        "postgresql-closed-port": f"postgresql+asyncpg://postgres@127.0.0.1:{closed_port()}/x",
        "sqlite-missing-folder": f"sqlite+aiosqlite:///{tmp_path}/missing/folder/db.sqlite3",
        "sqlite-not-a-database": f"sqlite+aiosqlite:///{garbage}",
    }


@pytest.mark.parametrize(
    "where", ["postgresql-closed-port", "sqlite-missing-folder", "sqlite-not-a-database"]
)
@pytest.mark.parametrize("message", ["Eriksdalsskolan", "/mina_uppgifter", "/folj Bromma"])
async def test_an_unreachable_register_is_named_with_112(
    app: Any,
    chat: ChatDriver,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    where: str,
    message: str,
) -> None:
    real = app.bot_data.services.database.engine
    point_database_at(app, unreachable_urls(tmp_path)[where])
    try:
        (answer,) = texts(await chat.send(message))
    finally:
        await app.bot_data.services.database.engine.dispose()
        app.bot_data.services.database.engine = real
    assert UNREACHABLE in answer and "112" in answer
    # Named in one line, not an ERROR with a traceback per message.
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [r for r in caplog.records if r.exc_info] == []


async def start_and_stop(settings: Settings, api: RecordingBotApi) -> None:
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        pass


# (A missing folder is not used here: aiosqlite's connection thread can outlive the failed
# attempt and report to a closed event loop when the test ends at once.)
@pytest.mark.parametrize("where", ["postgresql-closed-port", "sqlite-not-a-database"])
async def test_the_start_retries_the_database_then_gives_up_in_one_line(
    make_settings: Callable[..., Settings],
    api: RecordingBotApi,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    where: str,
) -> None:
    caplog.set_level(logging.INFO)
    settings = make_settings(
        database_url=unreachable_urls(tmp_path)[where],
        start_attempts=3,
        start_retry_seconds=0.01,
    )
    with pytest.raises(Exception) as caught:
        await start_and_stop(settings, api)
    assert type(caught.value).__name__ == "StartupFailed"
    tries = [r.getMessage() for r in caplog.records if "attempt" in r.getMessage()]
    assert len(tries) == 3 and all("database" in t for t in tries)
    assert all("\n" not in t for t in tries)
    assert [r for r in caplog.records if r.exc_info] == []


async def test_the_start_waits_for_telegram(
    make_settings: Callable[..., Settings],
    api: RecordingBotApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    failures = iter([True, True, False])

    def bad_gateway(call: Any) -> tuple[int, dict[str, Any]] | None:
        if call.method == "getMe" and next(failures, False):
            return 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}
        return None

    api.failure = bad_gateway
    settings = make_settings(start_attempts=5, start_retry_seconds=0.01)
    await start_and_stop(settings, api)
    tries = [r.getMessage() for r in caplog.records if "attempt" in r.getMessage()]
    assert len(tries) == 2 and all("Telegram" in t for t in tries)
    assert [r for r in caplog.records if r.exc_info] == []


def test_the_command_line_says_it_could_not_start_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from app.cli import main

    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123456:TEST-TOKEN-NEVER-USED")
    monkeypatch.setenv("DATABASE_URL", unreachable_urls(tmp_path)["postgresql-closed-port"])
    monkeypatch.setenv("START_ATTEMPTS", "2")
    monkeypatch.setenv("START_RETRY_SECONDS", "0.01")
    assert main(["run"]) == 1
    err = capsys.readouterr().err
    assert "Kunde inte starta: The database could not be reached after 2 attempts" in err
    assert "Traceback" not in err
