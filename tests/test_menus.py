"""Commands by role: admins see theirs in /hjalp and in their chat's Telegram menu; staff not."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from app.transport import ApiCall
from bot.config import Settings
from tests.admin_support import ADMIN, CITY_ADMIN, FOLLOWER, admin_app, grant, pick_admin, sent
from tests.fakes import ChatDriver, RecordingBotApi


def _scope(call: ApiCall) -> dict[str, Any] | None:
    scope = call.params.get("scope")
    return json.loads(scope) if isinstance(scope, str) else scope


def chat_menus(api: RecordingBotApi, chat_id: int, method: str = "setMyCommands") -> list[ApiCall]:
    return [
        call for call in api.calls_of(method) if (_scope(call) or {}).get("chat_id") == chat_id
    ]


def names(call: ApiCall) -> list[str]:
    listed = call.params["commands"]
    listed = json.loads(listed) if isinstance(listed, str) else listed
    return [str(command["command"]) for command in listed]


async def test_admins_get_the_admin_menu_in_both_languages_and_staff_do_not(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        # At start: the city admin's chat has the admin commands, in Swedish and English.
        at_start = chat_menus(api, CITY_ADMIN)
        by_language = {call.params.get("language_code"): names(call) for call in at_start}
        assert set(by_language) == {None, "sv", "en"}
        assert "overlamning" in by_language["sv"] and "kontakt" in by_language["sv"]
        assert "handover" in by_language["en"] and "planned" in by_language["en"]
        default = [call for call in api.calls_of("setMyCommands") if _scope(call) is None]
        assert default and all("overlamning" not in names(call) for call in default)

        staff = ChatDriver(app, api, user_id=FOLLOWER)
        help_text = sent(await staff.send("/hjalp"))
        assert "/kontakt" in help_text and "/overlamning" not in help_text
        assert chat_menus(api, FOLLOWER) == []

        city = ChatDriver(app, api, user_id=CITY_ADMIN)
        assert "/overlamning" in sent(await city.send("/hjalp"))
        english = ChatDriver(app, api, user_id=CITY_ADMIN, language_code="en")
        assert "/handover" in sent(await english.send("/help"))

        # Granted: the admin's chat gets the menu; revoked: it goes back to the staff menu.
        await ChatDriver(app, api, user_id=ADMIN).send("/start")
        await pick_admin(city, ADMIN, "Kungsholmen")
        assert {call.params.get("language_code") for call in chat_menus(api, ADMIN)} == {
            None,
            "sv",
            "en",
        }
        assert "/planerat" in sent(await ChatDriver(app, api, user_id=ADMIN).send("/hjalp"))
        assert chat_menus(api, ADMIN, "deleteMyCommands") == []
        await city.send("/behorighet")
        await city.press(f"Ta bort {ADMIN} (Kungsholmen)")
        await city.press("Ja, ta bort")
        assert len(chat_menus(api, ADMIN, "deleteMyCommands")) == 3
        assert "/overlamning" not in sent(await ChatDriver(app, api, user_id=ADMIN).send("/hjalp"))


async def test_existing_area_admins_get_their_menu_when_the_bot_starts(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
    restarted = RecordingBotApi()
    async with admin_app(make_settings, restarted):
        assert len(chat_menus(restarted, ADMIN)) == 3
        assert chat_menus(restarted, FOLLOWER) == []
