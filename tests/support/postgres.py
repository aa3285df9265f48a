"""Throwaway PostgreSQL databases for tests and benchmarks: created on the server of
`TEST_DATABASE_URL`, used, then dropped (also when the test fails).

A name is a prefix plus a random suffix, so runs in parallel (two pytest processes, a benchmark
beside the suite) never meet. `template` copies a prepared database, which is much faster than
migrating and seeding each time.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine


async def execute_on_server(server: str, statement: str) -> None:
    """One statement outside a transaction (CREATE and DROP DATABASE cannot run in one)."""
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(statement))
    finally:
        await admin.dispose()


def url_of(server: str, name: str) -> str:
    """The URL of database `name` on the server of `server`, password included."""
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def new_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


async def create(server: str, name: str, *, template: str | None = None) -> str:
    """Create database `name` (a copy of `template`, if given) and return its URL."""
    copy = f' TEMPLATE "{template}"' if template else ""
    await execute_on_server(server, f'CREATE DATABASE "{name}"{copy}')
    return url_of(server, name)


async def drop(server: str, name: str) -> None:
    await execute_on_server(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def throwaway_database(
    server: str, prefix: str, *, template: str | None = None
) -> AsyncIterator[str]:
    """A new database's URL for the `async with` block; dropped afterwards."""
    name = new_name(prefix)
    url = await create(server, name, template=template)
    try:
        yield url
    finally:
        await drop(server, name)


@contextmanager
def throwaway_database_sync(
    server: str, prefix: str, *, template: str | None = None
) -> Iterator[str]:
    """`throwaway_database` for code without a running event loop (session fixtures)."""
    name = new_name(prefix)
    url = asyncio.run(create(server, name, template=template))
    try:
        yield url
    finally:
        asyncio.run(drop(server, name))
