"""Cards that travel: "Spara kontakt" sends the numbers as Telegram contacts; "Dela" shares."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import pytest

from app.application import build_application
from bot.config import Settings
from tests.fakes import ChatDriver, RecordingBotApi


@pytest.fixture
async def linked_chat(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> AsyncIterator[ChatDriver]:
    settings = make_settings(telegram_bot_username="@lotsen_test_bot")
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        yield ChatDriver(application, api)


def url_buttons(chat: ChatDriver) -> dict[str, str]:
    markup: dict[str, Any] = chat.last_with_buttons().reply_markup or {}
    return {b["text"]: b["url"] for row in markup["inline_keyboard"] for b in row if "url" in b}


async def test_save_contact_sends_each_number_in_international_form(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    calls = await chat.press("📇 Spara kontakt")
    contacts = [c.params for c in calls if c.method == "sendContact"]
    # Södermalm's cooperation contact, its intake unit, the socialjour: the card's order
    assert [(c["first_name"], c["phone_number"]) for c in contacts] == [
        ("Nora Vik (exempel)", "+46701740615"),
        ("Mottagningen barn och unga, Södermalm (exempel)", "+46846500410"),
        ("Socialjouren (exempel)", "+46846500499"),
    ]
    assert "TEL;TYPE=WORK,VOICE:+46701740615" in contacts[0]["vcard"]
    assert "EMAIL;TYPE=WORK:nora.vik@example.com" in contacts[0]["vcard"]
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert "Lägg till" in answer.params["text"]


async def test_save_contact_for_an_area_and_for_the_childs_home_area(chat: ChatDriver) -> None:
    await chat.send("/omraden")
    await chat.press("Skarpnäck")
    calls = await chat.press("📇 Spara kontakt")
    numbers = [c.params["phone_number"] for c in calls if c.method == "sendContact"]
    assert numbers == ["+46701740613", "+46846500408", "+46846500499"]
    calls = await chat.press(data="home:a:bromma", message=chat.last_with_buttons())
    calls = await chat.press("📇 Spara kontakt")
    numbers = [c.params["phone_number"] for c in calls if c.method == "sendContact"]
    assert numbers == ["+46846500400", "+46846500499"]  # Bromma's intake unit, the socialjour


@pytest.mark.parametrize("data", ["sc:s:999999", "sc:a:atlantis", "sc:s:²", "sc:x:1", "sc:h:"])
async def test_forged_save_buttons_send_nothing(chat: ChatDriver, data: str) -> None:
    await chat.send("Eriksdalsskolan")
    calls = await chat.press(data=data)
    assert not [c for c in calls if c.method == "sendContact"]
    answer = next(c for c in calls if c.method == "answerCallbackQuery")
    assert "fungerar inte längre" in answer.params["text"]


async def test_share_opens_telegrams_share_dialog_with_the_deep_link(
    linked_chat: ChatDriver,
) -> None:
    await linked_chat.send("Eriksdalsskolan")
    share = urlparse(url_buttons(linked_chat)["↗️ Dela"])
    assert (share.netloc, share.path) == ("t.me", "/share/url")
    query = parse_qs(share.query)
    link = unquote(query["url"][0])
    assert link.startswith("https://t.me/lotsen_test_bot?start=s_")
    assert "Eriksdalsskolan" in query["text"][0]


async def test_share_uses_inline_mode_when_the_bot_has_it(
    make_settings: Callable[..., Settings], api: RecordingBotApi, monkeypatch: Any
) -> None:
    from app import transport

    monkeypatch.setitem(transport.BOT_USER, "supports_inline_queries", True)
    settings = make_settings(telegram_bot_token="123:TEST")
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        chat = ChatDriver(application, api)
        await chat.send("Eriksdalsskolan")
        markup: dict[str, Any] = chat.last_with_buttons().reply_markup or {}
        share = [b for row in markup["inline_keyboard"] for b in row if b["text"] == "↗️ Dela"]
        assert share == [{"text": "↗️ Dela", "switch_inline_query": "Eriksdalsskolan"}]


async def test_without_a_username_there_is_no_share_button(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    assert "↗️ Dela" not in [label for label, _ in chat.buttons(chat.last_with_buttons())]


async def test_a_typed_home_area_offers_to_save_its_intake_unit(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    await chat.press("Barnet bor i ett annat område")
    await chat.send("Bagarmossen")
    assert chat.buttons(chat.last_message()) == [("📇 Spara kontakt", "sc:h:skarpnack")]
    calls = await chat.press("📇 Spara kontakt")
    numbers = [c.params["phone_number"] for c in calls if c.method == "sendContact"]
    assert numbers == ["+46846500408", "+46846500499"]
