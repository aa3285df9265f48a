"""Deep links t.me/<bot>?start=<payload> through the real Application: school, area, guide."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update

from bot.models import GuideSession, School
from bot.runtime import Services
from bot.services.deeplinks import LinkKind, LinkTarget, deep_link, parse_payload, pick_username
from tests.fakes import ChatDriver, RecordingBotApi, texts


async def school_id(app: Any, name: str) -> int:
    services: Services = app.bot_data.services
    async with services.database.transaction() as session:
        found = await session.scalar(select(School.id).where(School.name == name))
    assert found is not None
    return int(found)


async def test_a_school_link_opens_its_card_ready_to_follow(app: Any, chat: ChatDriver) -> None:
    eriksdal = await school_id(app, "Eriksdalsskolan")
    said = texts(await chat.send(f"/start s_{eriksdal}"))
    assert "Här är kontakterna för Eriksdalsskolan" in said[0]
    assert "<b>Eriksdalsskolan</b>" in said[1] and "Nora Vik (exempel)" in said[1]
    calls = await chat.press("Följ skolan")
    assert "Nu följer du Eriksdalsskolan" in texts(calls)[0]


async def test_a_school_link_by_skolenhetskod(app: Any, chat: ChatDriver) -> None:
    services: Services = app.bot_data.services
    async with services.database.transaction() as session:
        await session.execute(
            update(School).where(School.name == "Fridhemsskolan").values(skolenhetskod="12345678")
        )
    said = texts(await chat.send("/start sk_12345678"))
    assert "<b>Fridhemsskolan</b>" in said[1]


async def test_an_area_link_opens_the_areas_card(chat: ChatDriver) -> None:
    said = texts(await chat.send("/start a_skarpnack"))
    assert "Här är kontakterna för Skarpnäck" in said[0]
    assert "Stadsdelsområde Skarpnäck" in said[1]
    assert ("Följ området", "fo:a:skarpnack") in chat.buttons(chat.last_with_buttons())


async def test_the_guide_link_starts_the_guide(
    app: Any, chat: ChatDriver, api: RecordingBotApi
) -> None:
    said = texts(await chat.send("/start guide"))
    other = ChatDriver(app, api, user_id=5151)
    assert said == texts(await other.send("/anmalan"))  # the guide's first step
    assert chat.buttons(chat.last_with_buttons()) == other.buttons(other.last_with_buttons())
    services: Services = app.bot_data.services
    async with services.database.transaction() as session:
        stored = await session.get(GuideSession, chat.user_id)
    assert stored is not None  # the guide's place, as after /anmalan


@pytest.mark.parametrize(
    "payload",
    [
        "s_999999",  # no such school
        "sk_99999999",  # no such code
        "a_atlantis",  # no such area
        "s_0",
        "s_-1",
        "sk_1234",
        "guide2",
        "a_BROMMA",
        "<b>x</b>",
        "s_１２",  # full-width digits
        "x" * 65,
    ],
)
async def test_forged_or_unknown_payloads_get_the_normal_welcome(
    chat: ChatDriver, payload: str
) -> None:
    said = texts(await chat.send(f"/start {payload}"))
    plain = texts(await chat.send("/start"))
    assert said == plain
    assert "Kontaktlotsen" in said[0] and "/kontakt" in said[0]


def test_payloads_name_places_never_people() -> None:
    assert parse_payload("s_42") == LinkTarget(LinkKind.SCHOOL_ID, "42")
    assert parse_payload("sk_12345678") == LinkTarget(LinkKind.SCHOOL_CODE, "12345678")
    assert parse_payload("a_hagersten-alvsjo") == LinkTarget(LinkKind.AREA, "hagersten-alvsjo")
    assert parse_payload("guide") == LinkTarget(LinkKind.GUIDE)
    assert parse_payload("u_4242") is None
    assert deep_link("lotsen_bot", "a_bromma") == "https://t.me/lotsen_bot?start=a_bromma"


def test_the_username_comes_from_get_me_with_a_token_else_from_the_setting() -> None:
    assert pick_username("real_bot", "set_bot", has_token=True) == "real_bot"
    assert pick_username("emulated_bot", "set_bot", has_token=False) == "set_bot"
    assert pick_username("emulated_bot", None, has_token=False) is None
