"""The bot's description and short description are set on start, in Swedish and English."""

from __future__ import annotations

from typing import Any

from tests.fakes import RecordingBotApi


async def test_descriptions_are_set_per_language_on_start(app: Any, api: RecordingBotApi) -> None:
    long = {
        c.params.get("language_code"): c.params["description"]
        for c in api.calls_of("setMyDescription")
    }
    short = {
        c.params.get("language_code"): c.params["short_description"]
        for c in api.calls_of("setMyShortDescription")
    }
    assert set(long) == set(short) == {None, "sv", "en"}
    assert long[None] == long["sv"]
    assert "aldrig efter barnets namn" in long["sv"] and "112" in long["sv"]
    assert "never ask for the child's name" in long["en"] and "112" in long["en"]
    assert "socialtjänsten" in short["sv"] and "social services" in short["en"]
    assert all(len(text) <= 512 for text in long.values())
    assert all(len(text) <= 120 for text in short.values())
