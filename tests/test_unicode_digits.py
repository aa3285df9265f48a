"""Unicode digits typed in commands or forged into buttons get a polite answer, no error.

This file imports nothing new on purpose: it runs unchanged against an older main.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from bot.config import Settings
from bot.models import Grant, Invite
from tests.admin_support import CITY_ADMIN, admin_app, count, sent
from tests.fakes import ChatDriver, RecordingBotApi


@pytest.mark.parametrize(
    "command",
    [
        "/behorighet ge ² kungsholmen",
        "/behorighet ta ①② Kungsholmen",
        "/behorighet ge ٣٤٥ Kungsholmen",
        "/behorighet ge 99999999999999999999999 Kungsholmen",
        "/behorighet kod Kungsholmen ²",
        "/behorighet kod Kungsholmen ٧",
    ],
)
@pytest.mark.parametrize("user", [CITY_ADMIN, 9898])
async def test_unicode_digits_in_commands_get_a_polite_answer(
    make_settings: Callable[..., Settings],
    api: RecordingBotApi,
    caplog: pytest.LogCaptureFixture,
    command: str,
    user: int,
) -> None:
    async with admin_app(make_settings, api) as app:
        chat = ChatDriver(app, api, user_id=user)
        answer = sent(await chat.send(command))
        assert answer and "Något gick fel" not in answer
        assert await count(app, Grant) == 0
        assert await count(app, Invite) == 0
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []


@pytest.mark.parametrize("data", ["bk:٣", "gr:rv:²", "uf:٣", "pick:s:٣", "bk:" + "9" * 12])
async def test_buttons_with_unicode_digits_are_stale(
    chat: ChatDriver, caplog: pytest.LogCaptureFixture, data: str
) -> None:
    await chat.send("/hjalp")
    calls = await chat.press(data=data, message=chat.last_message())
    assert [c.method for c in calls if c.method == "answerCallbackQuery"]
    assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []
