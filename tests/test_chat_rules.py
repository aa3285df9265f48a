"""Private chats only, and every kind of update handled or ignored without an error.

Driven through the real Application: groups and channels are left, edits and business chats
are ignored, media and shared contacts get a polite answer, and the personnummer guard reads
every field that carries text. None of these tests imports the modules it tests, so each can
run against an older main (where they fail).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from telegram.ext import CallbackQueryHandler, CommandHandler

from app.transport import ApiCall
from bot.config import Settings
from tests.admin_support import ADMIN, CITY_ADMIN, admin_app, grant
from tests.fakes import ChatDriver, RecordingBotApi, texts
from tests.support.registry import button_prefix, every_handler
from tests.support.updates import GROUP_ID, KindsOfUpdates, media_fields, other_kinds
from tests.test_privacy_guard import PERSONNUMMER, all_rows_as_text


def methods(calls: list[ApiCall]) -> list[str]:
    return [c.method for c in calls]


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


@pytest.mark.parametrize("kind", ["group", "supergroup"])
async def test_added_to_a_group_the_bot_says_so_once_and_leaves(
    chat: ChatDriver, kind: str
) -> None:
    calls = await chat.process(KindsOfUpdates(chat.factory).bot_added(kind))
    assert methods(calls) == ["sendMessage", "leaveChat"]
    assert int(calls[0].params["chat_id"]) == GROUP_ID
    assert "privat chatt" in texts(calls)[0]
    assert "https://t.me/kontaktlotsen_bot" in texts(calls)[0]  # the username from getMe
    assert int(calls[1].params["chat_id"]) == GROUP_ID


async def test_added_to_a_channel_the_bot_leaves_without_posting(chat: ChatDriver) -> None:
    update = KindsOfUpdates(chat.factory).bot_added("channel", status="administrator")
    assert methods(await chat.process(update)) == ["leaveChat"]


@pytest.mark.parametrize(
    "command", ["/mina_uppgifter", "/glom_mig", "/start", "/kontakt Eriksdalsskolan"]
)
async def test_in_a_group_nothing_personal_is_shown_and_nothing_runs(
    app: Any, chat: ChatDriver, caplog: pytest.LogCaptureFixture, command: str
) -> None:
    await chat.send("/start")  # the user exists, with stored data
    before = await all_rows_as_text(app)
    calls = await chat.process(KindsOfUpdates(chat.factory).in_group(command))
    assert methods(calls) == ["leaveChat"]
    assert str(chat.user_id) not in repr([c.params for c in calls])
    assert await all_rows_as_text(app) == before
    no_errors(caplog)


async def test_free_text_in_a_group_gets_no_answer(chat: ChatDriver) -> None:
    calls = await chat.process(KindsOfUpdates(chat.factory).in_group("Eriksdalsskolan"))
    assert "sendMessage" not in methods(calls)


async def test_an_admin_wizard_does_not_run_in_a_group(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        for user in (ADMIN, CITY_ADMIN):
            admin = ChatDriver(app, api, user_id=user)
            updates = KindsOfUpdates(admin.factory)
            for command in ("/overlamning", "/franvaro", "/behorighet", "/bekrafta", "/statistik"):
                calls = await admin.process(updates.in_group(command))
                assert methods(calls) == ["leaveChat"], command


def spy_on_every_feature_handler(app: Any) -> tuple[list[str], list[str], list[str]]:
    """Wrap every handler after the two guards; returns (ran, commands, button data)."""
    ran: list[str] = []
    commands: list[str] = []
    buttons: list[str] = []
    for group, handlers in app.handlers.items():
        if group < 0:
            continue
        for handler in every_handler(list(handlers)):
            original = handler.callback

            async def spy(update: Any, context: Any, _original: Any = original) -> Any:
                ran.append(getattr(_original, "__name__", repr(_original)))
                return await _original(update, context)

            handler.callback = spy
            if isinstance(handler, CommandHandler):
                commands += sorted(handler.commands)
            if isinstance(handler, CallbackQueryHandler):
                buttons.append(button_prefix(handler) + "1")
    return ran, commands, buttons


async def test_no_registered_handler_runs_for_a_group_a_channel_or_a_business_chat(
    app: Any, chat: ChatDriver, caplog: pytest.LogCaptureFixture
) -> None:
    ran, commands, buttons = spy_on_every_feature_handler(app)
    assert len(commands) > 20 and len(buttons) > 10
    updates = KindsOfUpdates(chat.factory)
    for command in commands:
        for update in (
            updates.in_group(f"/{command}"),
            updates.in_group(f"/{command}@kontaktlotsen_bot 1", kind="group"),
            updates.channel_post(f"/{command}"),
            updates.business(f"/{command}"),
            updates.edited(f"/{command}"),
        ):
            await chat.process(update)
    for data in buttons:
        await chat.process(updates.group_button(data))
    await chat.process(updates.in_group("Eriksdalsskolan"))
    await chat.process(updates.business("Eriksdalsskolan"))
    assert ran == []
    sent = [c for c in chat.api.calls if c.method == "sendMessage"]
    assert sent == []
    no_errors(caplog)
    await chat.send("/start")  # the spies work: a private chat still reaches the handlers
    assert ran == ["start"]


async def test_an_edited_message_is_ignored_without_an_error(
    chat: ChatDriver, caplog: pytest.LogCaptureFixture
) -> None:
    await chat.send("Eriksdalsskolan")
    updates = KindsOfUpdates(chat.factory)
    for text in ("Kungsholmen", "/overlamning", "/mina_uppgifter", "/kod 123"):
        calls = await chat.process(updates.edited(text))
        assert calls == []
    no_errors(caplog)


@pytest.mark.parametrize("index", range(len(other_kinds())))
async def test_stickers_locations_and_media_without_text_do_not_crash(
    chat: ChatDriver, caplog: pytest.LogCaptureFixture, index: int
) -> None:
    await chat.process(KindsOfUpdates(chat.factory).with_fields(**other_kinds()[index]))
    no_errors(caplog)


@pytest.mark.parametrize("index", range(len(media_fields("x"))))
async def test_a_personnummer_anywhere_in_a_message_is_caught(
    app: Any, chat: ChatDriver, caplog: pytest.LogCaptureFixture, index: int
) -> None:
    """Captions, file names, shared contacts, polls, venues, forwards and quotes."""
    caplog.set_level(logging.DEBUG)
    before = await all_rows_as_text(app)
    body = media_fields(f"elev {PERSONNUMMER}")[index]
    calls = await chat.process(KindsOfUpdates(chat.factory).with_fields(**body))
    assert methods(calls) == ["deleteMessage", "sendMessage"]
    assert "liknar ett personnummer" in texts(calls)[0]
    assert await all_rows_as_text(app) == before
    assert all(PERSONNUMMER[:6] not in r.getMessage() for r in caplog.records)
    no_errors(caplog)


async def test_an_edited_message_with_a_personnummer_is_caught(chat: ChatDriver) -> None:
    calls = await chat.process(KindsOfUpdates(chat.factory).edited(f"elev {PERSONNUMMER}"))
    assert methods(calls) == ["deleteMessage", "sendMessage"]


@pytest.mark.parametrize("edited", [False, True])
async def test_business_and_channel_messages_with_a_personnummer_get_no_answer(
    app: Any, chat: ChatDriver, caplog: pytest.LogCaptureFixture, edited: bool
) -> None:
    caplog.set_level(logging.DEBUG)
    before = await all_rows_as_text(app)
    updates = KindsOfUpdates(chat.factory)
    assert await chat.process(updates.business(f"elev {PERSONNUMMER}", edited=edited)) == []
    calls = await chat.process(updates.channel_post(f"elev {PERSONNUMMER}", edited=edited))
    assert methods(calls) == ["leaveChat"]
    assert await all_rows_as_text(app) == before
    assert all(PERSONNUMMER[:6] not in r.getMessage() for r in caplog.records)
    no_errors(caplog)
