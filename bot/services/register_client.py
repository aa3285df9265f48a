"""Fetch one municipality's school units from Skolverket's open API (Skolenhetsregistret v2).

The list endpoint carries only code, name and status, so the client reads the list and then
each active unit's own endpoint, politely: a few requests at a time, retries with a growing
pause on timeouts, 429 and 5xx, and a progress callback for the command line's bar. The
responses are returned as they came, so `--save` writes exactly what `--file` reads back.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from bot.services.register_format import SCHOOL_FORMS, UnitStatus, parse_list
from knowledge.errors import KnowledgeError

log = logging.getLogger(__name__)

BASE_URL = "https://api.skolverket.se/skolenhetsregistret"
LIST_PATH = "/v2/school-units"
UNIT_PATH = "/v2/school-units/{code}"
CONCURRENCY = 4
ATTEMPTS = 4
FIRST_PAUSE = 0.5  # seconds; doubled after each failed attempt
TIMEOUT = 30.0
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
NOT_FOUND = 404

Progress = Callable[[int, int], None]
Pause = Callable[[float], Awaitable[None]]


class RegisterUnavailable(Exception):
    """The register could not be read; nothing has been changed."""


async def _get(
    client: httpx.AsyncClient, path: str, params: dict[str, Any] | None, pause: Pause
) -> Any:
    """GET a JSON document, retrying what may pass; None for 404 (the unit is gone)."""
    delay = FIRST_PAUSE
    for attempt in range(1, ATTEMPTS + 1):
        try:
            response = await client.get(path, params=params)
        except httpx.TransportError as error:
            problem = f"{type(error).__name__}"
        else:
            if response.status_code == NOT_FOUND:
                return None
            if response.status_code not in RETRY_STATUSES:
                if response.status_code != httpx.codes.OK:
                    raise RegisterUnavailable(f"{path}: HTTP {response.status_code}")
                try:
                    return response.json()
                except ValueError as error:
                    raise RegisterUnavailable(f"{path}: inte JSON ({error})") from None
            problem = f"HTTP {response.status_code}"
        if attempt == ATTEMPTS:
            raise RegisterUnavailable(f"{path}: {problem} efter {ATTEMPTS} försök")
        log.warning("School register: %s on %s, attempt %d; retrying", problem, path, attempt)
        await pause(delay)
        delay *= 2
    raise AssertionError("unreachable")  # pragma: no cover


async def fetch_units(
    client: httpx.AsyncClient,
    municipality: str,
    *,
    concurrency: int = CONCURRENCY,
    progress: Progress | None = None,
    pause: Pause = asyncio.sleep,
) -> list[Any]:
    """Every active school unit of the municipality, as the unit endpoint's responses."""
    params = {"municipality_code": [municipality], "school_type": list(SCHOOL_FORMS)}
    document = await _get(client, LIST_PATH, params, pause)
    try:
        entries = parse_list(document, LIST_PATH)
    except KnowledgeError as error:
        raise RegisterUnavailable(str(error)) from None
    codes = [e.code for e in entries if e.status == UnitStatus.ACTIVE.value]
    if not codes:  # taken as the whole municipality, an empty list would close every school
        raise RegisterUnavailable(f"{LIST_PATH}: inga aktiva skolenheter i kommun {municipality}")
    gate = asyncio.Semaphore(max(1, concurrency))
    done = 0

    async def one(code: str) -> Any:
        nonlocal done
        async with gate:
            result = await _get(client, UNIT_PATH.format(code=code), None, pause)
        done += 1
        if progress is not None:
            progress(done, len(codes))
        return result

    responses = await asyncio.gather(*(one(code) for code in codes))
    return [response for response in responses if response is not None]


def register_client(base_url: str = BASE_URL, **kwargs: Any) -> httpx.AsyncClient:
    """An HTTPS client for the register (tests pass a `transport`)."""
    return httpx.AsyncClient(
        base_url=base_url,
        timeout=TIMEOUT,
        headers={"Accept": "application/json", "User-Agent": "kontaktlotsen"},
        follow_redirects=True,
        **kwargs,
    )
