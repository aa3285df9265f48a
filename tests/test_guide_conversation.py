"""The concern-report guide (/anmalan) through the real Application and the fake transport."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import delete, func, inspect, select, text

from app.application import build_application
from bot.config import Settings
from bot.models import ContactAssignment, ContactRole, GuideSession
from bot.runtime import Services
from bot.services.guide import encode_callback
from knowledge.guide import Guide, GuideNode, shipped_guide
from tests.fakes import ChatDriver, RecordingBotApi, texts
from tests.support.clocks import VirtualClock

# A Wednesday evening in Stockholm (19:00 UTC = 20:00 CET): after office hours, so the acute
# steps show the socialjour. tests/test_guide_acute.py covers office hours.
EVENING = datetime(2026, 12, 2, 19, 0, tzinfo=UTC)

GUIDE = shipped_guide()
NEXT = {"sv": "Nästa", "en": "Next"}
RESTART = {"sv": "Börja om", "en": "Start again"}
STEP = {"sv": "Steg {}", "en": "Step {}"}
# What a user types at a contact step, and the directory entry that must come back.
TYPED = {
    "intake_for_child_area": ("Bagarmossen", "Mottagningen barn och unga, Skarpnäck (exempel)"),
    "school_cooperation": ("Eriksdalsskolan", "Nora Vik (exempel)"),
}
SOCIALJOUR = ("Socialjouren (exempel)", "08-465 004 99")

Path = tuple[tuple[str, str | None], ...]  # (step id, answer pressed there; None at the end)


def all_paths(guide: Guide) -> list[Path]:
    """Every way from the start to an end, by a depth-first walk over options and `next`."""

    def walk(node_id: str, before: Path) -> Iterator[Path]:
        node = guide.node(node_id)
        if node.terminal:
            yield (*before, (node_id, None))
        elif node.kind == "question":
            for option in node.options:
                yield from walk(option.next, (*before, (node_id, option.id)))
        else:
            assert node.next is not None
            yield from walk(node.next, (*before, (node_id, "next")))

    return list(walk(guide.start, ()))


PATHS = all_paths(GUIDE)


@pytest.fixture
async def app(settings: Settings, api: RecordingBotApi) -> AsyncIterator[Any]:
    """The bot on a fixed evening, so what the acute steps show does not depend on the hour."""
    services = Services.create(settings, clock=VirtualClock(EVENING))
    application = build_application(settings, request=api, services=services, rate_limit=False)
    async with application:
        yield application


def label(node: GuideNode, answer: str, language: str) -> str:
    option = node.option(answer)
    return option.label.get(language) if option else NEXT[language]


def sent(calls: list[Any]) -> str:
    return "\n".join(texts(calls))


def shown(calls: list[Any]) -> list[str]:
    """The texts of the messages sent or edited (not the callback answers)."""
    return [str(c.params["text"]) for c in calls if c.method in ("sendMessage", "editMessageText")]


async def walk_to(chat: ChatDriver, target: str) -> list[Any]:
    """Start the guide and press through the first path that reaches `target`."""
    path = next(p for p in PATHS if any(step == target for step, _ in p))
    calls = await chat.send("/anmalan")
    for node_id, answer in path:
        if node_id == target:
            return calls
        assert answer is not None
        calls = await chat.press(label(GUIDE.node(node_id), answer, "sv"))
    raise AssertionError(target)


async def guide_rows(app: Any) -> list[dict[str, Any]]:
    async with app.bot_data.services.database.transaction() as session:
        rows = await session.scalars(select(GuideSession))
        return [{"user": r.user_id, "position": r.position, "message": r.message_id} for r in rows]


async def every_row_of_every_table(app: Any) -> dict[str, list[str]]:
    """Each table in the database (Alembic's included) with its rows as text."""
    database = app.bot_data.services.database
    async with database.engine.connect() as connection:
        names = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        dump = {}
        for name in names:
            result = await connection.execute(text(f'SELECT * FROM "{name}"'))
            dump[name] = [repr(tuple(row)) for row in result]
    return dump


# --- every path, both languages --------------------------------------------------------------


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_every_path_renders_every_step_and_every_button_leads_where_the_yaml_says(
    app: Any, api: RecordingBotApi, language: str
) -> None:
    assert len(PATHS) == 16  # acute yes/today/unsure/no × short/full × guardians yes/no
    chat = ChatDriver(app, api, user_id=7100 + len(language), language_code=language)
    for number, path in enumerate(PATHS):
        if number == 0:
            calls = await chat.send("/anmalan" if language == "sv" else "/report")
        else:  # from the previous path's checklist
            calls = await chat.press(RESTART[language], message=chat.my_messages()[-2])
        for index, (node_id, answer) in enumerate(path, start=1):
            node = GUIDE.node(node_id)
            messages = shown(calls)
            # The checklist is followed by the summary to keep.
            assert len(messages) == (2 if answer is None else 1), (node_id, messages)
            message = messages[0]
            assert node.text.get(language) in message, node_id
            if node.title:
                assert message.startswith(f"<b>{node.title.get(language)}</b>"), node_id
            assert re.search(STEP[language].format(index) + r"( (av|of) \d+)?</i>$", message)
            # At the end the summary to keep (with "Jag har gjort anmälan") follows the checklist.
            step = chat.last_with_buttons() if answer else chat.my_messages()[-2]
            assert all(data.startswith(f"g:{node_id}:") for _, data in chat.buttons(step))
            if answer is None:
                summary = chat.last_with_buttons()
                assert [data for _, data in chat.buttons(summary)] == ["ci:done"]
            if node.contact in ("socialjour", "social_services_now"):
                assert SOCIALJOUR[0] in message and SOCIALJOUR[1] in message
            elif node.contact in TYPED:
                typed, expected = TYPED[node.contact]
                answered = shown(await chat.send(typed))
                assert len(answered) == 1 and expected in answered[0], node_id
            if answer is None:  # the checklist
                for topic in GUIDE.topics:
                    if topic.id in node.checkpoints:
                        assert f"✅ {topic.label.get(language)}" in message
                assert "⬜" not in message
                assert SOCIALJOUR[1] in message and "112" in message
                assert [text for text, _ in chat.buttons(step)] == [RESTART[language]]
                continue
            calls = await chat.press(label(node, answer, language))
    assert await guide_rows(app) == []  # the checklist ends the guide and forgets the path


# --- what must come first, and the guardians ------------------------------------------------


async def test_acute_danger_comes_first_and_yes_shows_112_and_the_socialjour_at_once(
    chat: ChatDriver,
) -> None:
    first = shown(await chat.send("/anmalan"))
    assert len(first) == 1
    assert first[0].startswith("<b>Först – är barnet i akut fara?</b>")
    assert [label for label, _ in chat.buttons(chat.last_message())] == [
        "Ja, akut fara",
        "Bråttom i dag – men inte 112",
        "Jag vet inte",
        "Nej, inte akut",
        "Avbryt",
    ]
    after_yes = shown(await chat.press("Ja, akut fara"))
    assert len(after_yes) == 1
    assert after_yes[0].startswith("<b>Ring 112 nu</b>\n\n<b>Ring 112 nu</b> och säg")
    assert "ring 112" in after_yes[0]
    assert "Socialjouren (exempel)" in after_yes[0] and "08-465 004 99" in after_yes[0]
    assert "EXEMPELDATA" in after_yes[0]


async def test_a_missing_socialjour_says_call_112_and_invents_no_number(
    app: Any, chat: ChatDriver
) -> None:
    async with app.bot_data.services.database.transaction() as session:
        await session.execute(
            delete(ContactAssignment).where(ContactAssignment.role == ContactRole.SOCIALJOUR)
        )
    await chat.send("/anmalan")
    jour = shown(await chat.press("Ja, akut fara"))[0]
    assert "socialjourens nummer saknas i registret – ring 112" in jour
    assert not re.search(r"\d{2,3}-\d", jour)  # no phone number at all


@pytest.mark.parametrize(
    ("path", "guardians"), [("kort", "s_guardians"), ("utforlig", "f_guardians")]
)
async def test_abuse_by_a_guardian_means_social_services_first_and_not_telling_the_guardians(
    chat: ChatDriver, path: str, guardians: str
) -> None:
    await walk_to(chat, guardians)
    text = shown(await chat.press("Ja, eller osäker"))[0]
    assert "<b>Kontakta socialtjänsten först.</b>" in text
    assert text.startswith("<b>Berätta inte för vårdnadshavarna</b>")
    assert "Berätta inte för vårdnadshavarna" in text.split("</b>", 2)[2]
    await chat.press("Tillbaka")
    other = shown(await chat.press("Nej"))[0]
    assert other.startswith("<b>Berätta öppet</b>")


# --- contact steps ---------------------------------------------------------------------------


async def test_the_childs_area_gives_that_areas_intake_unit(chat: ChatDriver) -> None:
    prompt = shown(await walk_to(chat, "s_where"))[0]
    assert "Skriv barnets stadsdel eller område här" in prompt
    answer = shown(await chat.send("Bagarmossen"))[0]
    assert "Bagarmossen ingår i stadsdelsområde Skarpnäck" in answer
    assert "Mottagningen barn och unga, Skarpnäck (exempel)" in answer
    assert "08-465 004 08" in answer
    assert "Nästa" in [label for label, _ in chat.buttons(chat.last_message())]

    other = shown(await chat.send("Solna"))[0]
    assert "Solna är en annan kommun än Stockholm" in other
    assert "Kontakta socialtjänsten i Solna" in other

    unknown = shown(await chat.send("xqzzy"))[0]
    assert "Jag känner inte igen den platsen" in unknown
    assert "xqzzy" not in unknown

    choose = shown(await chat.send("Södra"))[0]
    assert "Vilket område menar du?" in choose
    labels = [label for label, _ in chat.buttons(chat.last_message())]
    assert labels[:2] == ["Södermalm", "Södra Ängby (stadsdel i Bromma)"]
    bromma = shown(await chat.press("Södra Ängby (stadsdel i Bromma)"))[0]
    assert "Mottagningen barn och unga, Bromma (exempel)" in bromma

    after = shown(await chat.press("Nästa"))[0]
    assert after.startswith("<b>Sedan</b>")
    # The intake unit's message stays in the chat; the next step came below it.
    assert "Mottagningen barn och unga, Bromma (exempel)" in chat.my_messages()[-2].text


async def test_the_school_step_shows_the_schools_cooperation_contact_or_can_be_skipped(
    chat: ChatDriver,
) -> None:
    prompt = shown(await walk_to(chat, "s_school_contact"))[0]
    assert "Skriv skolans namn här" in prompt
    answer = shown(await chat.send("Eriksdalsskolan"))[0]
    assert "<b>Eriksdalsskolan</b>" in answer and "Nora Vik (exempel)" in answer
    assert "Mottagningen" not in answer  # only the cooperation contact, not the whole card

    shown(await chat.send("Katarina skola"))
    picked = shown(await chat.press("Katarina södra skola (Södermalm)"))[0]
    assert "<b>Katarina södra skola</b>" in picked and "Nora Vik (exempel)" in picked

    assert "Jag hittade ingen skola" in shown(await chat.send("Hogwarts trollkarlsskola"))[0]
    skipped = shown(await chat.press("Nästa"))[0]
    assert skipped.startswith("<b>Dokumentera i skolan</b>")


async def test_the_question_asked_last_owns_the_next_text(app: Any, chat: ChatDriver) -> None:
    await chat.send("Eriksdalsskolan")
    card = chat.last_with_buttons()  # an older contact card, with "the child lives elsewhere"
    await walk_to(chat, "s_school_contact")  # the guide now waits for a school's name
    asked = sent(await chat.press("Barnet bor i ett annat område", message=card))
    assert "folkbokfört" in asked
    # The place typed next answers the card's question: the intake unit, not the school step.
    home = shown(await chat.send("Bagarmossen"))[0]
    assert "Mottagningen barn och unga, Skarpnäck (exempel)" in home
    assert "Kontaktperson i socialtjänsten för skolor" not in home
    # Answered: the guide's step owns the text again, and its buttons still work.
    school = shown(await chat.send("Eriksdalsskolan"))[0]
    assert "<b>Eriksdalsskolan</b>" in school and "Nora Vik (exempel)" in school
    assert "Mottagningen" not in school
    assert shown(await chat.press("Nästa"))[0].startswith("<b>Dokumentera i skolan</b>")


async def test_cancel_after_the_childs_home_question_cancels_only_that_question(
    app: Any, chat: ChatDriver
) -> None:
    await chat.send("Eriksdalsskolan")
    card = chat.last_with_buttons()
    await walk_to(chat, "s_school_contact")
    await chat.press("Barnet bor i ett annat område", message=card)
    cancelled = sent(await chat.send("/avbryt"))
    assert "Avbrutet" in cancelled and "Guiden är avbruten" not in cancelled
    assert len(await guide_rows(app)) == 1  # the guide goes on
    school = shown(await chat.send("Eriksdalsskolan"))[0]
    assert "Nora Vik (exempel)" in school and "Mottagningen" not in school


async def test_the_guide_supersedes_an_earlier_childs_home_question(
    app: Any, chat: ChatDriver
) -> None:
    await chat.send("Eriksdalsskolan")
    await chat.press("Barnet bor i ett annat område")  # asked, but never answered
    await walk_to(chat, "s_where")
    assert "Guiden är avbruten" in sent(await chat.send("/avbryt"))
    # Neither question waits any more: text is an ordinary lookup.
    text = sent(await chat.send("Eriksdalsskolan"))
    assert "<b>Eriksdalsskolan</b>" in text and "Kontaktperson i socialtjänsten för skolor" in text


async def test_text_at_an_ordinary_step_is_a_normal_lookup(chat: ChatDriver) -> None:
    await walk_to(chat, "s_duty")
    step = chat.last_with_buttons()
    assert "Kontaktperson i socialtjänsten för skolor" in sent(await chat.send("Eriksdalsskolan"))
    # The guide's buttons still work afterwards.
    assert shown(await chat.press("Nästa", message=step))[0].startswith("<b>Sekretess hindrar")


async def test_a_place_erased_meanwhile_turns_contact_step_text_into_a_lookup(
    app: Any, chat: ChatDriver
) -> None:
    await walk_to(chat, "s_where")
    async with app.bot_data.services.database.transaction() as session:  # e.g. /glom_mig
        await session.execute(delete(GuideSession))
    text = sent(await chat.send("Eriksdalsskolan"))
    assert "<b>Eriksdalsskolan</b>" in text and "Kontaktperson i socialtjänsten för skolor" in text
    assert await guide_rows(app) == []


# --- stale, forged, cancelled ----------------------------------------------------------------


async def test_an_old_steps_button_says_so_and_shows_the_current_step(
    app: Any, chat: ChatDriver
) -> None:
    await chat.send("/anmalan")
    step = chat.last_message()
    await chat.press("Nej, inte akut")  # the same message now shows "Välj väg"
    before = await guide_rows(app)
    calls = await chat.press(data=encode_callback("acute", "ja"), message=step)
    answers = [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    assert answers == ["Det steget gäller inte längre. Här är steget du är på nu."]
    again = shown(calls)
    assert len(again) == 1 and again[0].startswith("<b>Välj väg</b>")
    after = await guide_rows(app)
    assert [r["position"] for r in after] == [r["position"] for r in before]
    assert after[0]["message"] == chat.last_with_buttons().message_id != step.message_id
    assert shown(await chat.press("Kort – lärare, personal"))[0].startswith("<b>Du ska anmäla")


FORGED = [
    "g:nope:next",
    "g:",
    "g:start:ja;drop",
    "g:acute:next",
    "g:role:ja",
    "g:role:drop_table",
    "g:" + "x" * 60,
    "gp:acute:a:sodermalm",
    "gp:s_where:a:atlantis",
    "gp:s_where:s:1",
    "gp:s_school_contact:s:999999",
    "gp:s_where:a:sodermalm;drop",
]


@pytest.mark.parametrize("data", FORGED)
async def test_forged_button_data_gets_a_polite_answer_and_writes_nothing(
    app: Any, chat: ChatDriver, data: str
) -> None:
    await chat.send("/anmalan")
    await chat.press("Nej, inte akut")
    before = await every_row_of_every_table(app)
    calls = await chat.press(data=data, message=chat.last_with_buttons())
    assert [c.method for c in calls] == ["answerCallbackQuery"]
    assert "Den knappen känner jag inte igen" in str(calls[0].params["text"])
    assert await every_row_of_every_table(app) == before


async def test_cancel_midway_forgets_the_place_and_old_buttons_offer_a_restart(
    app: Any, chat: ChatDriver
) -> None:
    await walk_to(chat, "s_where")
    old = chat.last_with_buttons()
    next_data = chat.button_data(old, "Nästa")
    assert len(await guide_rows(app)) == 1
    assert "Guiden är avbruten" in sent(await chat.send("/avbryt"))
    assert await guide_rows(app) == []
    # Text is an ordinary lookup again, not the guide's area question.
    assert "Kontaktperson i socialtjänsten för skolor" in sent(await chat.send("Bagarmossen"))

    assert chat.buttons(old) == []  # cancelling took the buttons off the step
    calls = await chat.press(data=next_data, message=old)
    answers = [c.params.get("text") for c in calls if c.method == "answerCallbackQuery"]
    assert answers == ["Det steget gäller inte längre."]
    assert "Guiden är inte igång längre" in sent(calls)
    assert await guide_rows(app) == []
    restarted = shown(await chat.press("Börja om"))[0]
    assert restarted.startswith("<b>Först – är barnet i akut fara?</b>")
    assert len(await guide_rows(app)) == 1


async def test_the_cancel_button_ends_the_guide(app: Any, chat: ChatDriver) -> None:
    await chat.send("/report")
    assert "Guiden är avbruten" in sent(await chat.press("Avbryt"))
    assert await guide_rows(app) == []


async def test_anmalan_again_asks_whether_to_go_on_or_start_a_new_one(
    app: Any, chat: ChatDriver
) -> None:
    await walk_to(chat, "s_consult")
    question = shown(await chat.send("/anmalan"))[0]
    assert "Du har en guide som inte är klar" in question
    assert [label for label, _ in chat.buttons(chat.last_message())] == [
        "Fortsätt där jag slutade",
        "Börja en ny",
    ]
    again = shown(await chat.press("Fortsätt där jag slutade"))[0]
    assert "Du fortsätter där du slutade" in again
    assert "<b>Osäker?</b>" in again
    assert shown(await chat.press("Tillbaka"))[0].startswith("<b>Sekretess hindrar inte")

    await chat.send("/anmalan")
    new = shown(await chat.press("Börja en ny"))[0]
    assert new.startswith("<b>Först – är barnet i akut fara?</b>")  # the acute question first
    rows = await guide_rows(app)
    assert [row["position"]["path"] for row in rows] == [["acute"]]


async def test_anmalan_at_the_first_step_just_shows_it_again(chat: ChatDriver) -> None:
    await chat.send("/anmalan")
    again = shown(await chat.send("/anmalan"))[0]
    assert again.startswith("<b>Först – är barnet i akut fara?</b>")


# --- privacy ---------------------------------------------------------------------------------

NAME_WORDS = re.compile(r"\b(namn|namnet|heter|name|called)\b", re.IGNORECASE)
NEGATED = re.compile(r"\b(aldrig|inte|never|not|skolans|school's)\b", re.IGNORECASE)


@pytest.mark.parametrize("language", ["sv", "en"])
async def test_the_user_is_never_asked_for_a_name(
    app: Any, api: RecordingBotApi, language: str
) -> None:
    chat = ChatDriver(app, api, user_id=7300 + len(language), language_code=language)
    for path in PATHS:
        await chat.send("/anmalan")
        for node_id, answer in path:
            if answer is not None:
                await chat.press(label(GUIDE.node(node_id), answer, language))
    transcript = [re.sub(r"<[^>]+>", "", str(c.params.get("text", ""))) for c in api.calls]
    sentences = [s for t in transcript for s in re.split(r"(?<=[.?!:])\s+", t)]
    assert len(sentences) > 300
    for sentence in sentences:
        if NAME_WORDS.search(sentence):
            assert not sentence.rstrip().endswith("?"), sentence
            if re.match(r"(skriv|ange|uppge|type|give|enter)\b", sentence, re.IGNORECASE):
                assert NEGATED.search(sentence), sentence


MARKER = "Qzxv7781"


async def test_nothing_typed_at_a_contact_step_is_stored_or_logged(
    app: Any,
    api: RecordingBotApi,
    chat: ChatDriver,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Everything at DEBUG, SQLAlchemy's statements and parameters included. A test that ran
    # `app.cli.configure_logging` may have capped these loggers and left bot.log_privacy's
    # filter on pytest's capture handler; either would hide exactly what this test looks for.
    monkeypatch.setattr(caplog.handler, "filters", [])
    for name in (None, "telegram", "bot", "handlers", "sqlalchemy.engine"):
        caplog.set_level(logging.DEBUG, logger=name)
    await walk_to(chat, "f_where")
    await chat.send(f"Bagarmossen {MARKER}")  # matched: Skarpnäck's intake unit
    await chat.send(MARKER)  # not matched
    await chat.press("Nästa")
    while GUIDE.node("f_school_contact").text.sv not in chat.last_with_buttons().text:
        await chat.press("Nästa")
    await chat.send(f"Eriksdalsskolan {MARKER}")
    await chat.send(f"{MARKER} skola")
    assert "Nora Vik (exempel)" in sent(api.calls)
    assert "Mottagningen barn och unga, Skarpnäck (exempel)" in sent(api.calls)

    tables = await every_row_of_every_table(app)
    assert "guide_sessions" in tables and "users" in tables and "alembic_version" in tables
    for table, rows in tables.items():
        assert all(MARKER not in row for row in rows), table
    place = json.dumps(await guide_rows(app), ensure_ascii=False).lower()
    assert "skarp" not in place and "bagarmossen" not in place and "sodermalm" not in place
    assert all(MARKER not in json.dumps(c.params, ensure_ascii=False) for c in api.calls)
    logged = {record.name.split(".")[0] for record in caplog.records}
    assert {"telegram", "sqlalchemy"} <= logged  # the check below looks at something
    for record in caplog.records:
        assert MARKER not in record.getMessage(), record.name
        assert MARKER not in repr(record.args), record.name


# --- restart ---------------------------------------------------------------------------------


async def test_a_new_application_on_the_same_database_continues_the_guide(
    settings: Settings,
) -> None:
    api = RecordingBotApi()
    first = build_application(settings, request=api, rate_limit=False)
    async with first:
        chat = ChatDriver(first, api)
        await chat.send("/anmalan")
        await chat.press("Nej, inte akut")
        await chat.press("Utförlig – rektor, elevhälsa")
        await chat.press("Nästa")
        step = chat.last_with_buttons()
        assert step.text.startswith("<b>Skyldigheten är personlig</b>")

    api = RecordingBotApi()
    second = build_application(settings, request=api, rate_limit=False)
    async with second:
        chat = ChatDriver(second, api)
        calls = await chat.press("Nästa", message=step)
        assert shown(calls)[0].startswith("<b>Sekretessen hindrar inte anmälan</b>")
        assert "Steg 5 av" in shown(calls)[0]
        assert not [c for c in calls if c.params.get("text", "").startswith("Det steget")]
        calls = await chat.press(data=encode_callback("f_secrecy", "back"), message=step)
        assert shown(calls)[0].startswith("<b>Skyldigheten är personlig</b>")


async def test_a_contact_step_still_takes_the_area_after_a_restart(settings: Settings) -> None:
    api = RecordingBotApi()
    first = build_application(settings, request=api, rate_limit=False)
    async with first:
        await walk_to(ChatDriver(first, api), "s_where")

    api = RecordingBotApi()
    second = build_application(settings, request=api, rate_limit=False)
    async with second:
        chat = ChatDriver(second, api)
        answer = shown(await chat.send("Bagarmossen"))[0]
        # The guide's answer (with its buttons), not the general lookup's contact card.
        assert "Mottagningen barn och unga, Skarpnäck (exempel)" in answer
        assert "Kontaktperson i socialtjänsten för skolor" not in answer
        assert "Nästa" in [label for label, _ in chat.buttons(chat.last_message())]
        async with second.bot_data.services.database.transaction() as session:
            assert await session.scalar(select(func.count()).select_from(GuideSession)) == 1


async def test_the_menu_and_help_name_the_guide(api: RecordingBotApi, chat: ChatDriver) -> None:
    menus = {
        c.params.get("language_code"): c.params["commands"] for c in api.calls_of("setMyCommands")
    }
    assert any(c["command"] == "anmalan" for c in menus["sv"])
    assert any(c["command"] == "report" for c in menus["en"])
    assert "/anmalan – orosanmälan steg för steg" in sent(await chat.send("/hjalp"))
