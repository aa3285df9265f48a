"""Checks that need no Telegram: the database, its schema and the knowledge files.

`/healthz` (app/web.py) and `kontaktlotsen doctor` (app/doctor.py) share them. Nothing here
migrates or changes anything: a check only looks.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from bot.db import Database, SchemaLevel
from knowledge.directory import load_geography, shipped_geography
from knowledge.errors import KnowledgeError
from knowledge.guide import load_guide, shipped_guide

DATABASE_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class DatabaseStatus:
    """Whether the database answered, and if so the schema level; else what went wrong."""

    schema: SchemaLevel | None
    error: str | None = None

    @property
    def reachable(self) -> bool:
        return self.schema is not None


def describe_error(error: BaseException) -> str:
    """The kind of an error and the first line of its message (no traceback, no secrets)."""
    first_line = (str(error).strip().splitlines() or [""])[0][:160]
    return f"{type(error).__name__}: {first_line}" if first_line else type(error).__name__


async def database_status(database: Database) -> DatabaseStatus:
    """Connect, and read the Alembic revisions the database is at (or give up after 5 s)."""
    try:
        async with asyncio.timeout(DATABASE_TIMEOUT_SECONDS):
            level = await database.schema_level()
    except (SQLAlchemyError, OSError, TimeoutError) as error:
        return DatabaseStatus(None, describe_error(error))
    return DatabaseStatus(level)


def knowledge_problems(*, from_disk: bool = False) -> list[str]:
    """What is wrong with the areas, stadsdelar and the guide; empty when they are valid.

    The running bot checks what it loaded at start (cheap, cached); `from_disk` reads the files
    again, as the next start would.
    """
    try:
        if from_disk:
            load_geography()
            load_guide()
        else:
            shipped_geography()
            shipped_guide()
    except KnowledgeError as error:
        return [str(problem) for problem in error.problems]
    return []
