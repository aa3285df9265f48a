"""Start when the database and Telegram are there: retry with backoff, one log line per try.

A container often starts before its database, and Telegram can be briefly unreachable. An
unreachable database (`bot.faults`) or a network error talking to Telegram is retried,
waiting `start_retry_seconds`, then twice as long each time (at most a minute), up to
`start_attempts` tries. Each failed try is one warning line, never a traceback; after the last
one `StartupFailed` names what could not be reached, and the command line prints it in one line.
Anything else (a wrong token, a broken data file) fails at once: retrying would not help.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Final

from bot.config import Settings
from bot.faults import database_unreachable, describe

log = logging.getLogger(__name__)

MAX_WAIT_SECONDS: Final = 60.0


class StartupFailed(RuntimeError):
    """The database or Telegram stayed unreachable through every start attempt."""


def telegram_unreachable(error: BaseException) -> bool:
    # Imported here: the command line uses this module without the Telegram library.
    from telegram.error import InvalidToken, NetworkError

    return isinstance(error, NetworkError) and not isinstance(error, InvalidToken)


async def with_retries(
    what: str,
    attempt: Callable[[], Awaitable[None]],
    unreachable: Callable[[BaseException], bool],
    settings: Settings,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> None:
    """Run `attempt` until it succeeds, retrying only the errors `unreachable` accepts."""
    wait = settings.start_retry_seconds
    attempts = settings.start_attempts
    for number in range(1, attempts + 1):
        try:
            await attempt()
            return
        except Exception as error:
            if not unreachable(error):
                raise
            if number == attempts:
                log.warning("%s unreachable (attempt %d of %d): %s; giving up",
                            what, number, attempts, describe(error))  # fmt: skip
                raise StartupFailed(
                    f"{what} could not be reached after {attempts} attempts: {describe(error)}"
                ) from None
            log.warning("%s unreachable (attempt %d of %d): %s; next attempt in %.0f s",
                        what, number, attempts, describe(error), wait)  # fmt: skip
        await sleep(wait)
        wait = min(wait * 2, MAX_WAIT_SECONDS)


async def start_database(settings: Settings, start: Callable[[], Awaitable[None]]) -> None:
    await with_retries("The database", start, database_unreachable, settings)


async def start_telegram(settings: Settings, start: Callable[[], Awaitable[None]]) -> None:
    await with_retries("Telegram", start, telegram_unreachable, settings)
