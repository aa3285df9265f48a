"""Fixtures: a fresh database per test (SQLite, and PostgreSQL when TEST_DATABASE_URL is set)
and the real Application from `build_application` on a recording fake transport."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from bot.app import build_application
from bot.config import Settings
from bot.runtime import Services
from tests.fakes import ChatDriver, RecordingBotApi

BACKENDS = ["sqlite", "postgresql"]


@pytest.fixture(params=BACKENDS)
async def database_url(request: pytest.FixtureRequest, tmp_path: Any) -> AsyncIterator[str]:
    """A fresh, empty database: a SQLite file, or a new PostgreSQL database dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/kontaktlotsen.sqlite3"
        return
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        pytest.skip("TEST_DATABASE_URL is not set")
    name = f"kl_test_{uuid.uuid4().hex[:12]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    async with admin.connect() as connection:
        await connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        async with admin.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        await admin.dispose()


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
