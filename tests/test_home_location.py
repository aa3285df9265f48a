"""The child's home as a map pin or a postcode, through the real Application.

A Telegram location is a real `Update` (built as the JSON Telegram sends) through the fake Bot
API; the answer is the intake unit of the area the pin lies in. The last tests check the hard
privacy rule: the coordinates and the postcode reach no table, no log line and no API call.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from telegram import Update

from app.transport import ApiCall
from tests.fakes import ChatDriver, RecordingBotApi, texts
from tests.test_privacy_guard import all_rows_as_text
from tests.test_privacy_logging import Collector

# In Rinkeby (Järva). Distinctive digits, so that any trace of them can be found.
RINKEBY = (59.388173, 17.929347)
SOLNA = (59.360412, 18.000286)


def location_update(chat: ChatDriver, lat: float, lon: float) -> Update:
    """A message with a location, as Telegram sends it when the user shares a pin."""
    factory = chat.factory
    body: dict[str, Any] = {
        "update_id": next(factory._update_ids),
        "message": {
            "message_id": next(factory._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat.user_id, "type": "private", "first_name": "Test"},
            "from": factory.user(),
            "location": {"latitude": lat, "longitude": lon},
        },
    }
    update = Update.de_json(body, chat.application.bot)
    assert update is not None
    return update


def sent(calls: list[ApiCall]) -> str:
    return "\n".join(texts(calls))


async def test_a_pin_in_rinkeby_gives_jarvas_intake_unit(chat: ChatDriver) -> None:
    text = sent(await chat.process(location_update(chat, *RINKEBY)))
    assert "Rinkeby ingår i stadsdelsområde Järva" in text
    assert "Mottagningen barn och unga, Järva (exempel)" in text
    assert "08-465 004 05" in text
    assert "ring 112" in text


async def test_a_pin_outside_the_city_says_so_without_guessing_a_municipality(
    chat: ChatDriver,
) -> None:
    text = sent(await chat.process(location_update(chat, *SOLNA)))
    assert "utanför Stockholms stad" in text
    assert "folkbokfört" in text
    assert "Solna" not in text  # the polygons end at the border; they name nothing beyond


async def test_a_postcode_in_one_area_gives_its_intake_unit(chat: ChatDriver) -> None:
    for message in ("barnet bor i 163 72", "postnummer 16372", "163 72"):
        text = sent(await chat.send(message))
        assert "Postorten Spånga ligger i stadsdelsområde Järva" in text, message
        assert "Mottagningen barn och unga, Järva (exempel)" in text


async def test_a_postcode_in_another_municipality_names_it(chat: ChatDriver) -> None:
    text = sent(await chat.send("123 52"))  # postort Farsta, but in Huddinge kommun
    assert "Huddinge är en annan kommun än Stockholm" in text


async def test_a_postort_spanning_areas_offers_them_and_the_pin(chat: ChatDriver) -> None:
    text = sent(await chat.send("111 22"))  # postort Stockholm
    assert "finns i flera stadsdelsområden" in text
    assert "📎 → Plats" in text
    labels = [label for label, _ in chat.buttons(chat.last_message())]
    assert labels == ["Norra innerstaden", "Kungsholmen", "Södermalm", "Hägersten-Älvsjö"]
    text = sent(await chat.press("Södermalm"))
    assert "Mottagningen barn och unga, Södermalm (exempel)" in text


async def test_an_unknown_postcode_gets_an_honest_answer(chat: ChatDriver) -> None:
    text = sent(await chat.send("999 99"))
    assert "finns inte i min lista" in text
    assert "📎 → Plats" in text


async def test_the_home_question_explains_and_accepts_a_pin(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    asked = sent(await chat.press("Barnet bor i ett annat område"))
    assert "📎 → Plats" in asked
    assert "Platsen sparas inte" in asked
    text = sent(await chat.process(location_update(chat, *RINKEBY)))
    assert "Mottagningen barn och unga, Järva (exempel)" in text
    # The question is answered: the next text is an ordinary lookup again.
    assert "<b>Fridhemsskolan</b>" in sent(await chat.send("Fridhemsskolan"))


async def test_the_home_question_takes_a_postcode(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    await chat.press("Barnet bor i ett annat område")
    text = sent(await chat.send("barnet bor i 163 72"))
    assert "Mottagningen barn och unga, Järva (exempel)" in text


async def test_the_guides_area_step_explains_and_takes_a_pin(chat: ChatDriver) -> None:
    from knowledge.guide import INTAKE_CONTACT
    from tests.test_guide_conversation import GUIDE, walk_to

    target = next(n.id for n in GUIDE.nodes if n.contact == INTAKE_CONTACT)
    step = sent(await walk_to(chat, target))
    assert "📎 → Plats" in step
    text = sent(await chat.process(location_update(chat, *RINKEBY)))
    assert "Mottagningen barn och unga, Järva (exempel)" in text
    # The guide is still at its step: a typed area there is still answered by the guide.
    assert "Skarpnäck (exempel)" in sent(await chat.send("Bagarmossen"))


# --- privacy ---------------------------------------------------------------------------------


def traces(lat: float, lon: float) -> list[str]:
    """Every form in which a coordinate or the postcode could show up, rounded or not."""
    found = ["16372", "163 72"]
    for value in (lat, lon):
        for digits in (2, 3, 4, 5, 6):
            found.append(f"{value:.{digits}f}")
    return found


async def test_neither_the_pin_nor_the_postcode_is_stored_logged_or_sent(
    app: Any, api: RecordingBotApi, chat: ChatDriver
) -> None:
    root = logging.getLogger()
    collector = Collector()
    root.addHandler(collector)
    level = root.level
    root.setLevel(logging.DEBUG)
    # The directory holds coordinates of its own (the schools'); count what is there before.
    before = await all_rows_as_text(app)
    try:
        await chat.send("Eriksdalsskolan")
        await chat.press("Barnet bor i ett annat område")
        pinned = await chat.process(location_update(chat, *RINKEBY))
        typed = await chat.send("barnet bor i 163 72")
        free = await chat.process(location_update(chat, *RINKEBY))
    finally:
        root.removeHandler(collector)
        root.setLevel(level)
    # The answers really came (else the checks below would pass on nothing).
    for calls in (pinned, typed, free):
        assert "Järva" in sent(calls)
    rows = await all_rows_as_text(app)
    api_calls = "\n".join(repr(call.params) for call in api.calls)
    for trace in traces(*RINKEBY):
        assert rows.count(trace) == before.count(trace), f"{trace} reached a table"
        assert trace not in collector.text, f"{trace} reached a log line"
        assert trace not in api_calls, f"{trace} reached a Bot API call"


# --- the knowledge behind it -------------------------------------------------------------------


def test_every_example_school_agrees_with_postorter_csv() -> None:
    """The basis of knowledge/geo/postorter.csv: each school's postort holds the school's area."""
    import csv

    from knowledge.directory import EXAMPLE_SCHOOLS_FILE
    from knowledge.home_maps import shipped_home_maps

    postorter = shipped_home_maps().postorter
    with EXAMPLE_SCHOOLS_FILE.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    checked = 0
    for row in rows:
        tail = row["address"].rsplit(",", 1)[-1].split()
        postort = " ".join(word for word in tail if not word.isdigit())
        if postort in postorter:
            assert row["area_id"] in postorter[postort], (row["name"], postort)
            checked += 1
    assert checked >= 180
