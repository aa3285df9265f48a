"""The acute path, situation words, phone hours, resume-or-new and the summary, on a set clock.

Every test drives the real Application through the fake transport; the clock is injected
(`Services.create(settings, clock=VirtualClock(...))`), so "in office hours" and "after hours"
are facts of the test, not of the hour it runs.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import pytest

from app.application import build_application
from bot.config import Settings
from bot.runtime import Services
from bot.services.phone_hours import phone_hours_passed, phone_ranges
from tests.fakes import ChatDriver, RecordingBotApi
from tests.support.clocks import VirtualClock

# Wednesday 2 December 2026 in Stockholm (UTC+1).
TWO_PM = datetime(2026, 12, 2, 13, 0, tzinfo=UTC)  # 14:00: office hours, phone time (9–11) over
TEN_AM = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)  # 10:00: office hours, phone time open
EVENING = datetime(2026, 12, 2, 20, 0, tzinfo=UTC)  # 21:00: after office hours
SATURDAY = datetime(2026, 12, 5, 11, 0, tzinfo=UTC)

INTAKE = ("Mottagningen barn och unga, Skarpnäck (exempel)", "08-465 004 08")
SOCIALJOUR = ("Socialjouren (exempel)", "08-465 004 99")
PHONE = re.compile(r"\b0\d{1,2}-\d{3} \d{3} \d{2}\b")
ACUTE_ANSWERS = ("Ja, akut fara", "Bråttom i dag – men inte 112", "Jag vet inte")


@asynccontextmanager
async def bot_at(settings: Settings, moment: datetime) -> AsyncIterator[tuple[Any, ChatDriver]]:
    api = RecordingBotApi()
    services = Services.create(settings, clock=VirtualClock(moment))
    app = build_application(settings, request=api, services=services, rate_limit=False)
    async with app:
        yield app, ChatDriver(app, api)


def shown(calls: list[Any]) -> list[str]:
    return [str(c.params["text"]) for c in calls if c.method in ("sendMessage", "editMessageText")]


# --- a callable number within two screens of the acute answers --------------------------------


@pytest.mark.parametrize("answer", ACUTE_ANSWERS)
async def test_after_hours_the_first_screen_shows_112_and_the_socialjours_number(
    settings: Settings, answer: str
) -> None:
    async with bot_at(settings, EVENING) as (_, chat):
        await chat.send("/anmalan")
        first = shown(await chat.press(answer))
        assert len(first) == 1
        assert "ring 112" in first[0]
        assert SOCIALJOUR[0] in first[0] and SOCIALJOUR[1] in first[0]
        assert "Nu, efter kontorstid" in first[0]
        assert "EXEMPELDATA" in first[0]


@pytest.mark.parametrize("answer", ACUTE_ANSWERS)
async def test_in_office_hours_one_press_on_the_area_shows_the_intake_units_number(
    settings: Settings, answer: str
) -> None:
    async with bot_at(settings, TEN_AM) as (_, chat):
        await chat.send("/anmalan")
        first = shown(await chat.press(answer))[0]  # screen 1
        assert "ring 112" in first and "Nu, under kontorstid" in first
        labels = [label for label, _ in chat.buttons(chat.last_message())]
        assert "Skarpnäck" in labels and "Nästa" in labels and len(labels) >= 11 + 2
        second = shown(await chat.press("Skarpnäck"))  # screen 2
        assert len(second) == 1
        assert INTAKE[0] in second[0] and INTAKE[1] in second[0]
        assert "Telefontiden är slut" not in second[0]  # 10:00: the phone is open
        # The guide goes on from there.
        after = shown(await chat.press("Nästa"))[0]
        assert after.startswith("<b>Välj väg</b>")


async def test_in_office_hours_the_typed_neighbourhood_gives_the_number_too(
    settings: Settings,
) -> None:
    async with bot_at(settings, TEN_AM) as (_, chat):
        await chat.send("/anmalan")
        await chat.press("Ja, akut fara")
        second = shown(await chat.send("Bagarmossen"))
        assert len(second) == 1 and INTAKE[1] in second[0]


@pytest.mark.parametrize("moment", [TEN_AM, EVENING], ids=["office-hours", "after-hours"])
@pytest.mark.parametrize("language", ["sv", "en"])
async def test_a_number_is_on_screen_within_two_screens_of_yes(
    make_settings: Any, moment: datetime, language: str
) -> None:
    settings: Settings = make_settings()
    async with bot_at(settings, moment) as (_, chat):
        chat_en = ChatDriver(chat.application, chat.api, user_id=8800, language_code=language)
        await chat_en.send("/anmalan")
        yes = "Ja, akut fara" if language == "sv" else "Yes, acute danger"
        screens = shown(await chat_en.press(yes))
        if not PHONE.search(screens[0]):
            area = "Skarpnäck"
            screens += shown(await chat_en.press(area))
        assert len(screens) <= 2
        assert PHONE.search(screens[-1]), screens


# --- situation words --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["eleven vågar inte gå hem", "akut", "Jag behöver hjälp", "orosanmälan", "hon blir slagen"],
)
async def test_situation_words_open_the_acute_question_without_echoing_them(
    settings: Settings, text: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with bot_at(settings, TWO_PM) as (_, chat):
        calls = await chat.send(text)
        answer = shown(calls)
        assert len(answer) == 1
        assert answer[0].startswith("<b>Först – är barnet i akut fara?</b>")
        assert "Orhem" not in answer[0] and "Menade du" not in answer[0]
        if " " in text:  # a single word like "akut" is also part of the bot's own texts
            assert all(text not in str(c.params) for c in chat.api.calls)
            assert all(text not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize("text", ["socialjouren", "Socialjour", "efter kontorstid"])
async def test_the_socialjour_asked_for_by_name_gives_its_number_and_112(
    settings: Settings, text: str
) -> None:
    async with bot_at(settings, TWO_PM) as (_, chat):
        answer = shown(await chat.send(text))
        assert len(answer) == 1
        assert SOCIALJOUR[1] in answer[0] and "112" in answer[0] and "/anmalan" in answer[0]
        assert "hittade ingen" not in answer[0]


async def test_place_names_still_reach_the_lookup(settings: Settings) -> None:
    async with bot_at(settings, TWO_PM) as (_, chat):
        answer = shown(await chat.send("Bagarmossen"))[0]
        assert INTAKE[0] in answer


# --- phone hours --------------------------------------------------------------------------------


async def test_when_the_phone_time_is_over_the_card_says_what_to_do_now(
    settings: Settings,
) -> None:
    async with bot_at(settings, TWO_PM) as (_, chat):
        card = shown(await chat.send("Bagarmossen"))[0]
        assert "telefontid 09.00–11.00" in card
        assert "Telefontiden är slut för i dag" in card
        assert "e-tjänsten" in card and "socialjouren" in card
    async with bot_at(settings, TEN_AM) as (_, chat):
        card = shown(await chat.send("Bagarmossen"))[0]
        assert "Telefontiden är slut" not in card


def test_phone_hours_are_read_only_where_they_are_clear() -> None:
    hours = "Vardagar 08.00–16.30, telefontid 09.00–11.00"
    assert [(a.hour, b.hour) for a, b in phone_ranges(hours)] == [(9, 11)]
    assert phone_hours_passed(hours, datetime(2026, 12, 2, 14, 0))
    assert not phone_hours_passed(hours, datetime(2026, 12, 2, 10, 59))
    assert not phone_hours_passed(hours, datetime(2026, 12, 2, 7, 0))  # opens later today
    assert phone_hours_passed(hours, datetime(2026, 12, 5, 10, 0))  # Saturday
    assert not phone_hours_passed("Ring när du vill", datetime(2026, 12, 2, 23, 0))
    assert not phone_hours_passed(None, datetime(2026, 12, 2, 23, 0))
    assert phone_ranges("tel 25–26, 11–9") == []  # not times, or backwards


# --- resume or new; the summary; /stodmaterial -----------------------------------------------


async def test_a_finished_guide_ends_with_a_summary_to_keep_and_nothing_about_the_child(
    settings: Settings,
) -> None:
    async with bot_at(settings, TWO_PM) as (_, chat):
        await chat.send("/anmalan")
        await chat.press("Nej, inte akut")
        await chat.press("Kort – lärare, personal")
        for _ in range(4):
            await chat.press("Nästa")
        await chat.press("Nej")  # the guardians: be open
        await chat.press("Nästa")
        await chat.press("Nästa")
        await chat.send("Bagarmossen")  # the child's area: answered, never kept
        calls: list[Any] = []
        while not any("Sammanfattning att spara" in t for t in shown(calls)):
            calls = await chat.press("Nästa")
        checklist, summary = shown(calls)
        assert "/stodmaterial" in checklist
        assert "2 december 2026 14:00" in summary
        assert "- Du ska anmäla" in summary and "- Så anmäler du" in summary
        assert SOCIALJOUR[1] in summary and "112" in summary and "(exempeldata)" in summary
        assert "Mottagningen som tog emot anmälan: ______" in summary
        assert "Bagarmossen" not in summary and "Skarpnäck" not in summary
        assert "<pre>" in summary


async def test_stodmaterial_names_the_citys_page_and_its_source(settings: Settings) -> None:
    async with bot_at(settings, TWO_PM) as (_, chat):
        text = shown(await chat.send("/stodmaterial"))[0]
        assert "Stödmaterial för samverkan mellan skolan och socialtjänsten" in text
        assert "https://leverantor.stockholm/fristaende-forskola-skola/" in text
        assert "Källa: Stockholms stad" in text
        assert "/stodmaterial" in shown(await chat.send("/hjalp"))[0]
        english = ChatDriver(chat.application, chat.api, user_id=8801, language_code="en")
        assert "Support material" in shown(await english.send("/support_material"))[0]


# --- the generic error in the user's own language ---------------------------------------------


async def test_the_generic_error_reaches_an_english_user_in_english(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with bot_at(settings, TWO_PM) as (_, chat):  # Telegram's language: Swedish
        await chat.send("/sprak")
        await chat.press("English")

        def broken(*_: object) -> str:
            raise RuntimeError("a bug")

        monkeypatch.setattr("handlers.start.help_text", broken)
        answer = shown(await chat.send("/help"))
        assert answer and answer[-1].startswith("Something went wrong on my side")


@pytest.mark.parametrize("text", ["akut", "socialjouren", "hon vågar inte gå hem"])
async def test_situation_words_at_a_contact_step_give_the_emergency_routes_not_a_place(
    settings: Settings, text: str
) -> None:
    async with bot_at(settings, TEN_AM) as (_, chat):
        await chat.send("/anmalan")
        await chat.press("Ja, akut fara")  # a contact step that waits for the child's area
        answer = shown(await chat.send(text))
        assert len(answer) == 1
        assert "ring 112" in answer[0] and SOCIALJOUR[1] in answer[0]
        assert "inget om situationen" in answer[0]
        assert "känner inte igen" not in answer[0] and "Menade du" not in answer[0]
        # The step still takes the area afterwards.
        assert INTAKE[1] in shown(await chat.send("Bagarmossen"))[0]
