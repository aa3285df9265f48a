"""Inline mode through the real Application: `@bot <skola>` answers with the contact card."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest

from app.application import build_application
from bot.config import Settings
from tests.fakes import ChatDriver, RecordingBotApi


def results_of(calls: list[Any]) -> list[dict[str, Any]]:
    answers = [c for c in calls if c.method == "answerInlineQuery"]
    assert len(answers) == 1
    raw = answers[0].params["results"]
    results: list[dict[str, Any]] = json.loads(raw) if isinstance(raw, str) else raw
    return results


@pytest.fixture
async def linked_chat(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> AsyncIterator[ChatDriver]:
    settings = make_settings(telegram_bot_username="lotsen_test_bot")
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        yield ChatDriver(application, api)


async def test_a_school_name_gives_its_card_as_the_result(linked_chat: ChatDriver) -> None:
    calls = await linked_chat.inline("fridhemskolan")  # with the typo
    [result] = results_of(calls)
    assert result["type"] == "article"
    assert result["title"] == "Fridhemsskolan"
    assert "EXEMPELDATA" in result["description"]
    card = result["input_message_content"]
    assert card["parse_mode"] == "HTML"
    assert "<b>Fridhemsskolan</b>" in card["message_text"]
    assert "EXEMPELDATA" in card["message_text"]  # the banner, as in private chat
    assert "Fatima Noor (exempel)" in card["message_text"]  # Kungsholmen's contact
    assert "+46 70 174 06 11" in card["message_text"]
    [[button]] = result["reply_markup"]["inline_keyboard"]
    assert button["url"].startswith("https://t.me/lotsen_test_bot?start=s_")
    # no message to anyone, nothing but the answer
    assert [c.method for c in calls] == ["answerInlineQuery"]


async def test_an_ambiguous_name_offers_a_card_per_candidate(chat: ChatDriver) -> None:
    results = results_of(await chat.inline("Katarina skola"))
    assert len(results) >= 2
    assert len({r["id"] for r in results}) == len(results)
    assert all("<b>" in r["input_message_content"]["message_text"] for r in results)
    assert "Katarina norra skola" in [r["title"] for r in results]


async def test_an_area_or_stadsdel_gives_the_areas_card(chat: ChatDriver) -> None:
    [result] = results_of(await chat.inline("Bagarmossen"))
    assert result["title"] == "Bagarmossen"
    assert "Skarpnäck" in result["input_message_content"]["message_text"]


@pytest.mark.parametrize("query", ["", "   ", "xqzvw", "a" * 300])
async def test_nothing_found_or_not_readable_gives_no_results(
    chat: ChatDriver, query: str
) -> None:
    calls = await chat.inline(query)
    assert results_of(calls) == []
    answer = calls[-1].params
    button = (
        json.loads(answer["button"]) if isinstance(answer["button"], str) else answer["button"]
    )
    assert button["start_parameter"] == "inline"


async def test_a_personnummer_is_never_looked_up(chat: ChatDriver) -> None:
    calls = await chat.inline("Eriksdalsskolan 121212-1212")
    # answered with nothing, or not at all (the privacy guard may stop it first)
    assert [c.method for c in calls] in (["answerInlineQuery"], [])
    assert all(results_of([c]) == [] for c in calls)


async def test_english_users_get_the_english_card(app: Any, api: RecordingBotApi) -> None:
    chat = ChatDriver(app, api, user_id=777, language_code="en")
    [result] = results_of(await chat.inline("Eriksdalsskolan"))
    assert "EXAMPLE DATA" in result["input_message_content"]["message_text"]


async def test_inline_queries_store_nothing(app: Any, chat: ChatDriver) -> None:
    from sqlalchemy import func, select

    from bot.models import Base

    services = app.bot_data.services

    async def counts() -> dict[str, int]:
        found = {}
        async with services.database.transaction() as session:
            for table in Base.metadata.sorted_tables:
                found[table.name] = await session.scalar(select(func.count()).select_from(table))
        return found

    before = await counts()
    await chat.inline("Eriksdalsskolan")
    await chat.inline("Bagarmossen")
    assert await counts() == before
