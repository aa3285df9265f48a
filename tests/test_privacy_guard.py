"""A message with a personnummer is deleted, warned about, and leaves no trace."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import select

from bot.models import Base
from tests.fakes import ChatDriver, texts

# Skatteverket's published example number and a samordningsnummer built from domain.md §4.
PERSONNUMMER = "640823-3234"
SAMORDNINGSNUMMER = "701063-2391"


async def all_rows_as_text(app: Any) -> str:
    services = app.bot_data.services
    dump = []
    async with services.database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            dump += [repr(tuple(row)) for row in (await session.execute(select(table))).all()]
    return "\n".join(dump)


@pytest.mark.parametrize(
    "text",
    [
        f"Eleven {PERSONNUMMER} i 4B verkar rädd",
        f"/kontakt Eriksdalsskolan {PERSONNUMMER}",
        f"barnet har samordningsnummer {SAMORDNINGSNUMMER}",
        "19640823 3234",
    ],
)
async def test_message_with_a_personnummer_is_deleted_warned_and_not_stored(
    app: Any, chat: ChatDriver, caplog: pytest.LogCaptureFixture, text: str
) -> None:
    caplog.set_level(logging.DEBUG)
    before = await all_rows_as_text(app)
    calls = await chat.send(text)
    methods = [c.method for c in calls]
    assert methods == ["deleteMessage", "sendMessage"]
    assert "liknar ett personnummer" in texts(calls)[0]
    assert await all_rows_as_text(app) == before
    digits = "".join(ch for ch in text if ch.isdigit())[-10:]
    for record in caplog.records:
        assert digits[:6] not in record.getMessage()
    assert "Eriksdalsskolan" not in texts(calls)[0]  # nothing was looked up


async def test_the_guard_works_inside_a_conversation(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    await chat.press("Barnet bor i ett annat område")
    calls = await chat.send(f"Bagarmossen, {PERSONNUMMER}")
    assert "liknar ett personnummer" in texts(calls)[0]
    assert "Skarpnäck" not in "".join(texts(calls))


async def test_when_deletion_fails_the_user_is_asked_to_delete(app: Any, chat: ChatDriver) -> None:
    chat.api.failure = lambda call: (
        (
            400,
            {
                "ok": False,
                "error_code": 400,
                "description": "Bad Request: message can't be deleted",
            },
        )
        if call.method == "deleteMessage"
        else None
    )
    calls = await chat.send(f"elev {PERSONNUMMER}")
    assert "Radera gärna meddelandet själv" in texts(calls)[0]


@pytest.mark.parametrize(
    "text",
    ["212000-0142 Stockholms stad", "Eriksdalsskolan 08-465 004 12", "skolenhet 29824923"],
)
async def test_look_alikes_are_not_blocked(chat: ChatDriver, text: str) -> None:
    calls = await chat.send(text)
    assert "deleteMessage" not in [c.method for c in calls]
    assert "personnummer" not in "".join(texts(calls))
