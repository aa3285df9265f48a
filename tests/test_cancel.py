"""/avbryt says there is nothing to stop when nothing runs, and still stops what does."""

from __future__ import annotations

import pytest

from tests.fakes import ChatDriver, texts


@pytest.mark.parametrize("command", ["/avbryt", "/cancel"])
async def test_cancel_with_nothing_running_says_so(chat: ChatDriver, command: str) -> None:
    (answer,) = texts(await chat.send(command))
    assert answer == "Det finns inget att avbryta just nu."


async def test_cancel_in_english(chat: ChatDriver) -> None:
    english = ChatDriver(chat.application, chat.api, user_id=5151, language_code="en")
    (answer,) = texts(await english.send("/cancel"))
    assert answer == "There is nothing to stop right now."


async def test_cancel_still_ends_the_guide(chat: ChatDriver) -> None:
    await chat.send("/anmalan")
    (answer,) = texts(await chat.send("/avbryt"))
    assert "inget att avbryta" not in answer
    (again,) = texts(await chat.send("/avbryt"))
    assert again == "Det finns inget att avbryta just nu."
