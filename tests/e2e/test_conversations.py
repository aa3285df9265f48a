"""A lookup, a button, the personnummer guard and a handover notice: the bot as a process,
polling a local Bot API over HTTP (tests/e2e/harness.py)."""

from __future__ import annotations

from tests.e2e.harness import Call, Fleet, buttons, shown

# Skatteverket's published example number (fictitious, valid checksum), as tests/ use it.
PERSONNUMMER = "640823-3234"
CITY_ADMIN = 111
FOLLOWER = 444


def test_a_school_name_gets_its_contact_card(fleet: Fleet, sqlite_url: str) -> None:
    user = fleet.start(database_url=sqlite_url).user(4242)
    (card,) = shown(user.send("Eriksdalsskolan"))
    assert "<b>Eriksdalsskolan</b>" in card
    assert "Nora Vik (exempel)" in card  # Södermalm's fictitious cooperation contact
    assert "+46 70 174 06 15 (070-174 06 15)" in card
    assert "Mottagningen barn och unga, Södermalm (exempel)" in card
    assert "ring 112" in card
    (message,) = user.messages()
    assert message["from"]["is_bot"] is True
    assert [label for label, _ in buttons(message)] == [
        "Barnet bor i ett annat område",
        "Följ skolan",
        "📇 Spara kontakt",
        "↗️ Dela",  # with a username from getMe, the card can be shared
    ]


def test_buttons_choose_a_school_and_save_its_numbers(fleet: Fleet, sqlite_url: str) -> None:
    user = fleet.start(database_url=sqlite_url).user(4243)
    (question,) = shown(user.send("Katarina skola"))
    assert "Vilken menar du?" in question
    labels = [label for label, _ in buttons(user.last_with_buttons())]
    chosen = next(label for label in labels if label.startswith("Katarina södra skola"))
    (card,) = shown(user.press(chosen))
    assert "<b>Katarina södra skola</b>" in card and "Nora Vik (exempel)" in card

    calls = user.press("📇 Spara kontakt", until=lambda calls: len(contacts(calls)) >= 3)
    assert [(c.params["first_name"], c.params["phone_number"]) for c in contacts(calls)] == [
        ("Nora Vik (exempel)", "+46701740615"),
        ("Mottagningen barn och unga, Södermalm (exempel)", "+46846500410"),
        ("Socialjouren (exempel)", "+46846500499"),
    ]
    assert all(c.result["contact"]["phone_number"] for c in contacts(calls))
    (answer,) = [c for c in calls if c.method == "answerCallbackQuery"]
    assert "Lägg till" in answer.params["text"] and answer.result is True


def contacts(calls: list[Call]) -> list[Call]:
    return [c for c in calls if c.method == "sendContact"]


def test_a_message_with_a_personnummer_is_deleted_and_never_logged(
    fleet: Fleet, sqlite_url: str
) -> None:
    bot = fleet.start(database_url=sqlite_url)
    user = bot.user(4244)
    calls = user.send(f"Eleven {PERSONNUMMER} på Eriksdalsskolan verkar rädd")
    assert [c.method for c in calls] == ["deleteMessage", "sendMessage"]
    deleted, warning = calls
    assert int(deleted.params["message_id"]) == user.sent_ids[-1]
    assert deleted.result is True
    assert "liknar ett personnummer" in warning.text
    assert "Eriksdalsskolan" not in warning.text  # nothing was looked up
    # Neither the number nor its parts reach the bot's log.
    assert "640823" not in bot.log.read_text()
    assert "3234" not in bot.log.read_text()


def test_a_handover_notice_reaches_a_follower(fleet: Fleet, sqlite_url: str) -> None:
    bot = fleet.start(database_url=sqlite_url, city_admins=(CITY_ADMIN,))
    follower = bot.user(FOLLOWER)
    assert "Nu följer du Kungsholmen" in shown(follower.send("/folj Kungsholmen"))[0]

    admin = bot.user(CITY_ADMIN)
    admin.send("/overlamning")
    assert "Fatima Noor (exempel)" in "\n".join(shown(admin.press("Kungsholmen")))
    for typed in ("Sara Ek", "Socialsekreterare", "08-465 004 20", "sara.ek@example.com"):
        admin.send(typed)
    admin.press("Hoppa över")  # hours
    admin.send("idag")
    summary = "\n".join(shown(admin.press("Hoppa över")))  # note
    assert "Stämmer det här?" in summary and "Ersätter: Fatima Noor (exempel)" in summary
    since = bot.emulator.last_seq()
    done = "\n".join(shown(admin.press("✅ Bekräfta")))
    assert "Klart! Sara Ek är kontaktperson" in done

    # The outbox worker (every few seconds) sends the notice over HTTP like any message.
    calls = follower.wait(lambda calls: bool(notices(calls)), since=since, timeout=60)
    (notice,) = notices(calls)
    assert "Sara Ek ersätter Fatima Noor (exempel) från och med" in notice
    assert "08-465 004 20" in notice


def notices(calls: list[Call]) -> list[str]:
    return [c.text for c in calls if c.method == "sendMessage" and c.text.startswith("🔔")]
