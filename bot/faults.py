"""Name the faults that are nobody's bug: the register (database) cannot be reached.

A refused, dropped or timed-out connection, a missing or unreadable SQLite file, a database
that is starting up or full of clients: the user gets "I can't reach the register right now"
(with 112), the log one line naming the fault, and the start retries (app/startup.py). Other
errors are bugs and keep their traceback.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Final

from sqlalchemy.exc import DBAPIError, DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# asyncpg's names for "no usable connection" (checked by name: the driver is optional).
_ASYNCPG_UNREACHABLE: Final = frozenset(
    {
        "CannotConnectNowError",
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "InterfaceError",
        "TooManyConnectionsError",
        "PostgresConnectionError",
        "ClientCannotConnectError",
    }
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        if isinstance(current, DBAPIError) and isinstance(current.orig, BaseException):
            yield current.orig
        current = current.__cause__ or current.__context__


def _one_is_unreachable(error: BaseException) -> bool:
    if isinstance(error, DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, OSError | OperationalError | DisconnectionError | PoolTimeout):
        return True
    if isinstance(error, sqlite3.OperationalError) or type(error) is sqlite3.DatabaseError:
        return True
    module = type(error).__module__
    return module.startswith("asyncpg") and type(error).__name__ in _ASYNCPG_UNREACHABLE


def database_unreachable(error: BaseException) -> bool:
    """True when `error` (or what caused it) means the database cannot be reached now."""
    return any(_one_is_unreachable(link) for link in _chain(error))


def describe(error: BaseException) -> str:
    """One line naming the fault, for the log: the type and the first line of the message."""
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {first_line}"[:200]
