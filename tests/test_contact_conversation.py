"""Contact lookup through the real Application and the recording fake transport."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.models import Base, School
from tests.fakes import ChatDriver, RecordingBotApi, texts


def sent(calls: list[Any]) -> str:
    return "\n".join(texts(calls))


async def row_counts(app: Any) -> dict[str, int]:
    services = app.bot_data.services
    counts = {}
    async with services.database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = await session.scalar(select(func.count()).select_from(table))
    return counts


async def test_school_name_gives_the_contact_card(chat: ChatDriver) -> None:
    text = sent(await chat.send("Eriksdalsskolan"))
    assert "<b>Eriksdalsskolan</b>" in text
    assert "stadsdelsområde Södermalm" in text
    assert "Nora Vik (exempel)" in text  # Södermalm's fictitious cooperation contact
    assert "+46 70 174 06 15 (070-174 06 15)" in text  # international form: tappable
    assert "Bekräftad 12 november 2026" in text
    assert "Mottagningen barn och unga, Södermalm (exempel)" in text
    assert "folkbokfört" in text
    assert "ring 112" in text
    assert "+46 8 465 004 99" in text  # the socialjour comes from the directory
    assert "EXEMPELDATA" in text
    school_id = chat.buttons(chat.last_message())[1][1].removeprefix("fo:s:")
    assert chat.buttons(chat.last_message()) == [
        ("Barnet bor i ett annat område", "home:ask"),
        ("Följ skolan", f"fo:s:{school_id}"),
        ("📇 Spara kontakt", f"sc:s:{school_id}"),
    ]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("fridhemskolan", "<b>Fridhemsskolan</b>"),
        ("skarpnack", "Stadsdelsområde Skarpnäck"),
        ("Rinkeby", "Järva"),
        ("sodermalm", "Stadsdelsområde Södermalm"),
        ("vem ska jag ringa om eriksdalsskolan", "<b>Eriksdalsskolan</b>"),
        ("Bagarmossen", "stadsdelsområde Skarpnäck"),
    ],
)
async def test_typical_queries_reach_a_card(chat: ChatDriver, query: str, expected: str) -> None:
    text = sent(await chat.send(query))
    assert expected in text
    assert "Kontaktperson i socialtjänsten för skolor" in text


async def test_kontakt_command_takes_the_name_as_argument(chat: ChatDriver) -> None:
    assert "<b>Eriksdalsskolan</b>" in sent(await chat.send("/kontakt Eriksdalsskolan"))
    assert "till exempel: /kontakt" in sent(await chat.send("/kontakt"))


async def test_stale_entry_is_shown_with_a_warning(chat: ChatDriver) -> None:
    # Skarpnäck's example contact was last confirmed on 1 June 2026 (over 90 days ago).
    text = sent(await chat.send("Skarpnäck"))
    assert "Inte bekräftad sedan 1 juni 2026" in text


async def test_ambiguous_query_offers_buttons_and_a_button_gives_the_card(
    chat: ChatDriver,
) -> None:
    text = sent(await chat.send("Katarina skola"))
    assert "Vilken menar du?" in text
    labels = [label for label, _ in chat.buttons(chat.last_message())]
    assert 2 <= len(labels) <= 5
    assert any(label.startswith("Katarina norra skola") for label in labels)
    chosen = next(label for label in labels if label.startswith("Katarina södra skola"))
    text = sent(await chat.press(chosen))
    assert "<b>Katarina södra skola</b>" in text
    assert "Nora Vik (exempel)" in text


async def test_no_match_is_polite_and_points_to_the_area_list(chat: ChatDriver) -> None:
    text = sent(await chat.send("Hogwarts trollkarlsskola"))
    assert "Jag hittade ingen skola" in text
    assert "/omraden" in text
    assert "Hogwarts" not in text  # what the user typed is never echoed back


async def test_other_municipality_is_named_as_such(chat: ChatDriver) -> None:
    text = sent(await chat.send("Solna"))
    assert "Solna är en annan kommun än Stockholm" in text
    assert "Solbergaskolan" not in text


async def test_area_list_has_eleven_areas_and_each_opens_a_card(chat: ChatDriver) -> None:
    await chat.send("/omraden")
    buttons = chat.buttons(chat.last_message())
    assert len(buttons) == 11
    assert "Stadsdelsområde Järva" in sent(await chat.press("Järva"))


async def test_child_lives_elsewhere_routes_to_the_home_areas_intake(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")  # a Södermalm school
    prompt = sent(await chat.press("Barnet bor i ett annat område"))
    assert "folkbokfört" in prompt
    text = sent(await chat.send("Bagarmossen"))
    assert "Bagarmossen ingår i stadsdelsområde Skarpnäck" in text
    assert "Mottagningen barn och unga, Skarpnäck (exempel)" in text
    assert "08-465 004 08" in text
    assert "Södermalm" not in text


async def test_child_lives_in_another_municipality(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    await chat.press("Barnet bor i ett annat område")
    text = sent(await chat.send("Sundbyberg"))
    assert "Sundbyberg är en annan kommun än Stockholm" in text


async def test_child_home_unknown_place_asks_again_and_cancel_ends(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    await chat.press("Barnet bor i ett annat område")
    assert "känner inte igen den platsen" in sent(await chat.send("xqzzy"))
    assert "Avbrutet" in sent(await chat.send("/avbryt"))
    # After cancelling, free text is a normal lookup again.
    assert "<b>Eriksdalsskolan</b>" in sent(await chat.send("Eriksdalsskolan"))


async def test_language_switch_answers_in_english(chat: ChatDriver) -> None:
    await chat.send("/sprak")
    assert "I will now answer in English." in sent(await chat.press("English"))
    text = sent(await chat.send("Eriksdalsskolan"))
    assert "Social services contact person for schools" in text
    assert "Confirmed 12 November 2026" in text
    assert "Child in acute danger" in text
    await chat.send("/language")
    assert "Nu svarar jag på svenska." in sent(await chat.press("Svenska"))


async def test_telegram_language_is_used_until_the_user_chooses(
    app: Any, api: RecordingBotApi
) -> None:
    english_user = ChatDriver(app, api, user_id=5151, language_code="en-GB")
    assert "I am <b>Kontaktlotsen</b>" in sent(await english_user.send("/start"))


async def test_command_menus_are_set_in_both_languages(api: RecordingBotApi, app: Any) -> None:
    menus = {
        c.params.get("language_code"): c.params["commands"] for c in api.calls_of("setMyCommands")
    }
    assert {"sv", "en", None} <= set(menus)
    assert any(c["command"] == "kontakt" for c in menus["sv"])
    assert any(c["command"] == "contact" for c in menus["en"])


BAD_INPUTS = [
    pytest.param("   ", id="whitespace"),
    pytest.param("x" * 4000, id="4000-characters"),
    pytest.param("🙂🙂🙂", id="emoji-only"),
    pytest.param("1234567", id="digits-only"),
    pytest.param("\x00\x07\x1b[31m", id="control-characters"),
    pytest.param("\u202eאבגד הוזח", id="right-to-left"),
    pytest.param("'; DROP TABLE schools; --", id="sql-looking"),
    pytest.param("<script>alert(1)</script><b>", id="html-looking"),
]


@pytest.mark.parametrize("text", BAD_INPUTS)
async def test_bad_input_gets_a_polite_answer_and_writes_nothing(
    app: Any, chat: ChatDriver, text: str
) -> None:
    before = await row_counts(app)
    calls = await chat.send(text)
    answers = [c for c in calls if c.method == "sendMessage"]
    assert len(answers) == 1
    answer = str(answers[0].params["text"])
    assert "Traceback" not in answer
    assert "<script>" not in answer
    assert ("Jag hittade ingen" in answer) or ("lång text" in answer)
    after = await row_counts(app)
    # A lookup without a match is counted (day, event: no user, no text); nothing else is written.
    assert after.pop("usage_counts") - before.pop("usage_counts") in (0, 1)
    assert after == before


async def test_unknown_command_is_answered(chat: ChatDriver) -> None:
    assert "Det kommandot känner jag inte till" in sent(await chat.send("/finnsinte"))


@pytest.mark.parametrize(
    "data",
    [
        "pick:s:999999",
        "pick:a:atlantis",
        "pick:x:1",
        "pick:s:1;DROP",
        "home:a:nowhere",
        "garbage",
        "lang:fr",
    ],
)
async def test_stale_or_forged_buttons_get_a_polite_answer(
    app: Any, chat: ChatDriver, data: str
) -> None:
    await chat.send("/omraden")
    before = await row_counts(app)
    calls = await chat.press(data=data)
    answers = [c for c in calls if c.method == "answerCallbackQuery"]
    assert answers, "the button press must be answered"
    assert "fungerar inte längre" in str(answers[0].params.get("text"))
    assert not [c for c in calls if c.method == "sendMessage"]
    assert await row_counts(app) == before


async def test_non_text_message_is_answered(app: Any, chat: ChatDriver) -> None:
    update = chat.factory.message("x")
    data = update.to_dict()
    del data["message"]["text"]
    data["message"]["sticker"] = {
        "file_id": "s", "file_unique_id": "s", "width": 1, "height": 1,
        "is_animated": False, "is_video": False, "type": "regular",
    }  # fmt: skip
    from telegram import Update

    calls = await chat.process(Update.de_json(data, app.bot))
    assert "Jag kan bara läsa text" in sent(calls)


async def test_html_in_directory_names_is_escaped(app: Any, chat: ChatDriver) -> None:
    services = app.bot_data.services
    async with services.database.transaction() as session:
        session.add(
            School(name="Tag<b>skolan & co", kind="grundskola", area_id="bromma", aliases=[])
        )
    async with services.database.transaction() as session:
        await services.index.rebuild(session)
    text = sent(await chat.send("Tag<b>skolan & co"))
    assert "Tag&lt;b&gt;skolan &amp; co" in text
    assert "Tag<b>skolan" not in text


async def test_database_gone_gets_a_polite_answer(app: Any, chat: ChatDriver) -> None:
    services = app.bot_data.services
    await services.database.engine.dispose()
    original = services.database.url
    from bot.db import Database

    services.database = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    try:
        text = sent(await chat.send("Eriksdalsskolan"))
    finally:
        await services.database.dispose()
        services.database = Database(original)
    assert "Jag når inte registret just nu" in text
    assert "112" in text


async def test_follow_button_on_the_card_follows_the_school(chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    await chat.press("Följ skolan")
    assert "Eriksdalsskolan" in sent(await chat.send("/foljer"))
    await chat.send("Bagarmossen")
    assert ("Följ området", "fo:a:skarpnack") in chat.buttons(chat.last_message())


async def test_text_too_long_for_a_name_is_answered_as_such(chat: ChatDriver) -> None:
    # The lookup's own limit decides what is "too long"; 250 characters is past it.
    text = sent(await chat.send("Eriksdalsskolan " + "och barnet sa att " * 13))
    assert "Det var en lång text" in text
