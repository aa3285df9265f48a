"""The guide survives a restart of the bot process: its place is in the database, and the
button pressed before the restart works after it (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from tests.e2e.harness import Fleet, buttons, shown


def test_the_guide_continues_across_a_restart_of_the_bot(fleet: Fleet, any_url: str) -> None:
    bot = fleet.start(database_url=any_url)
    user = bot.user(4250)
    (first,) = shown(user.send("/anmalan"))
    assert first.startswith("<b>Först – är barnet i akut fara?</b>")
    user.press("Nej, inte akut")
    user.press("Utförlig – rektor, elevhälsa")
    (step,) = shown(user.press("Nästa"))
    assert step.startswith("<b>Skyldigheten är personlig</b>")
    message = user.last_with_buttons()
    assert message["text"] == step  # the emulator holds the edited message

    first_process = bot.process
    bot.restart()
    assert bot.process is not first_process and bot.starts == 2

    (after,) = shown(user.press("Nästa", message=message))
    assert after.startswith("<b>Sekretessen hindrar inte anmälan</b>")
    assert "Steg 5 av" in after
    assert "Tillbaka" in [label for label, _ in buttons(user.last_with_buttons())]
