"""What a first session shows passes the checks Telegram makes before it sends a message: HTML
it can parse, texts within 4096 characters, callback data within 64 bytes, edits that change
something (the emulator refuses the rest with Telegram's 400). The fake transport of the
conversation tests accepts anything; this is where such a refusal would show."""

from __future__ import annotations

from tests.e2e.harness import Call, Fleet, User, buttons, refused, shown

AREAS = 11


def accepted(calls: list[Call], what: str) -> list[Call]:
    assert not refused(calls), f"{what}: {refused(calls)}"
    assert shown(calls), what
    return calls


def walk(user: User, steps: list[str]) -> None:
    for text in steps:
        accepted(user.send(text), text)


def test_a_first_session_sends_only_what_telegram_accepts(fleet: Fleet, sqlite_url: str) -> None:
    bot = fleet.start(database_url=sqlite_url)
    swedish = bot.user(4280)
    walk(swedish, ["/start", "/hjalp", "/stodmaterial", "/foljer", "/mina_uppgifter", "Solna"])

    walk(swedish, ["/omraden"])
    (area_list,) = [m for m in swedish.messages() if len(buttons(m)) == AREAS]
    for label, _ in buttons(area_list):
        card = "\n".join(shown(accepted(swedish.press(label, message=area_list), label)))
        assert "Kontaktperson i socialtjänsten för skolor" in card, label

    # The guide's first steps, forth and back (edits of the step's message, new messages).
    walk(swedish, ["/anmalan"])
    for label in ("Ja, akut fara", "Tillbaka", "Nej, inte akut", "Kort – lärare, personal"):
        accepted(swedish.press(label), label)

    english = bot.user(4281, language_code="en")
    walk(english, ["/start", "/help", "Eriksdalsskolan", "/areas"])
