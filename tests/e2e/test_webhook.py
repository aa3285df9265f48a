"""Webhook mode over real HTTP: the bot registers its webhook with the secret token, takes the
emulator's posts, and refuses a post with a wrong or missing secret (403) without acting on it."""

from __future__ import annotations

import json
import time
from typing import Any

from tests.e2e.harness import Fleet, shown

USER = 4260


def update(update_id: int, text: str) -> str:
    user = {"id": USER, "is_bot": False, "first_name": "Test", "language_code": "sv"}
    body: dict[str, Any] = {
        "update_id": update_id,
        "message": {
            "message_id": 900_000 + update_id,
            "date": int(time.time()),
            "chat": {"id": USER, "type": "private", "first_name": "Test"},
            "from": user,
            "text": text,
        },
    }
    return json.dumps(body)


def test_webhook_mode_takes_the_right_secret_and_refuses_a_wrong_one(
    fleet: Fleet, any_url: str
) -> None:
    bot = fleet.start(database_url=any_url, mode="webhook")
    hook = bot.emulator.status(bot.token)["webhook"]
    assert hook["url"] == f"https://127.0.0.1:{bot.webhook_port}/telegram"
    user = bot.user(USER)

    since = bot.emulator.last_seq()
    wrong = bot.post_webhook(update(10**6, "Eriksdalsskolan"), secret="not-the-secret")
    missing = bot.post_webhook(update(10**6 + 1, "Eriksdalsskolan"), secret=None)
    assert (wrong.status_code, missing.status_code) == (403, 403)

    # Through the emulator, which sends the registered secret: answered.
    (card,) = shown(user.send("Skarpnäck"))
    assert "Stadsdelsområde Skarpnäck" in card
    deliveries = bot.emulator.status(bot.token)["webhook"]["deliveries"]
    assert [d["status"] for d in deliveries] == [200]
    # The refused posts came first and were never acted on: only the card reached the chat.
    everything = user.wait(lambda calls: True, since=since, quiet=1.0)
    assert shown(everything) == [card]

    assert "Webhook request refused: missing or wrong secret token" in bot.log.read_text()

    # A post of our own with the right secret is taken as well.
    since = bot.emulator.last_seq()
    right = bot.post_webhook(update(10**6 + 2, "Eriksdalsskolan"), secret=bot.webhook_secret)
    assert right.status_code == 200
    (other,) = shown(user.wait(lambda calls: bool(shown(calls)), since=since))
    assert "<b>Eriksdalsskolan</b>" in other
