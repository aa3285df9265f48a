"""Fixtures: a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
and the real Application from `build_application` on a recording fake transport."""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url

from app.application import build_application
from bot.config import Settings
from bot.runtime import Services
from tests.fakes import ChatDriver, RecordingBotApi
from tests.support import postgres

BACKENDS = ["sqlite", "postgresql"]


async def _prepare(url: str) -> None:
    """Migrate and seed a database the way the bot does on its first start."""
    prepared = Services.create(Settings(_env_file=None, database_url=url))  # type: ignore[call-arg]
    await prepared.start()
    await prepared.stop()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, seeded SQLite file, built once; each test gets a copy (much faster)."""
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    asyncio.run(_prepare(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | None]:
    """A migrated, seeded PostgreSQL database used as CREATE DATABASE ... TEMPLATE."""
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield None
        return
    with postgres.throwaway_database_sync(server, "kl_template") as url:
        asyncio.run(_prepare(url))
        yield make_url(url).database


@pytest.fixture(params=BACKENDS)
async def database_url(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    sqlite_template: Path,
    postgres_template: str | None,
) -> AsyncIterator[str]:
    """A fresh database of its own per test, already migrated and seeded with the examples."""
    if request.param == "sqlite":
        path = tmp_path / "kontaktlotsen.sqlite3"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server or postgres_template is None:
        pytest.skip("TEST_DATABASE_URL is not set")
    async with postgres.throwaway_database(server, "kl_test", template=postgres_template) as url:
        yield url


@pytest.fixture
def make_settings(database_url: str) -> Callable[..., Settings]:
    def make(**overrides: Any) -> Settings:
        values: dict[str, Any] = {
            "database_url": database_url,
            "telegram_bot_token": None,
            "city_admin_ids": (),
            "default_language": "sv",
        }
        values.update(overrides)
        return Settings(_env_file=None, **values)  # type: ignore[call-arg]

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings()


@pytest.fixture
def api() -> RecordingBotApi:
    return RecordingBotApi()


@pytest.fixture
async def app(settings: Settings, api: RecordingBotApi) -> AsyncIterator[Any]:
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        yield application


@pytest.fixture
def chat(app: Any, api: RecordingBotApi) -> ChatDriver:
    return ChatDriver(app, api)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    """The started services (migrated, seeded with the example directory) without Telegram."""
    started = Services.create(settings)
    await started.start()
    try:
        yield started
    finally:
        await started.stop()
