"""Invites and roles: an area admin invites a colleague, a city admin picks a person (never a
typed id), a revoke asks first, every change is audited and shown, refusals name the right."""

from __future__ import annotations

import re
from collections.abc import Callable

from sqlalchemy import select

from bot.config import Settings
from bot.models import AuditEvent, Grant
from tests.admin_support import (
    ADMIN,
    CITY_ADMIN,
    FOLLOWER,
    SECOND_FOLLOWER,
    admin_app,
    count,
    grant,
    pick_admin,
    picker_request_id,
    sent,
)
from tests.fakes import ChatDriver, RecordingBotApi

CODE = re.compile(r"[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}")


async def test_an_area_admin_invites_a_colleague_who_redeems_the_code(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        created = sent(await admin.send("/behorighet kod"))
        assert "Engångskod för administratör i Kungsholmen" in created
        found = CODE.search(created)
        assert found is not None

        colleague = ChatDriver(app, api, user_id=FOLLOWER)
        welcome = sent(await colleague.send(f"/kod {found.group(0)}"))
        assert "Du är nu administratör för Kungsholmen" in welcome
        await colleague.send("/overlamning")
        assert [label for label, _ in colleague.buttons(colleague.last_message())] == [
            "Kungsholmen"
        ]
        await colleague.send("/avbryt")

        # The refusals say which right is missing and what she can do instead.
        other_area = sent(await admin.send("/behorighet kod Bromma"))
        assert "Du är administratör för Kungsholmen och kan bara bjuda in kollegor dit" in (
            other_area
        )
        direct = sent(await admin.send("/behorighet ge Kungsholmen"))
        assert "kan bara stadens administratörer" in direct and "/behorighet kod" in direct
        stranger = sent(await ChatDriver(app, api, user_id=SECOND_FOLLOWER).send("/behorighet"))
        assert "engångskod" in stranger and str(SECOND_FOLLOWER) not in stranger
        assert await count(app, Grant, Grant.revoked_at.is_(None)) == 2

        overview = sent(await admin.send("/behorighet"))
        assert f"{ADMIN} – Kungsholmen" in overview and f"{FOLLOWER} – Kungsholmen" in overview
        assert f"{ADMIN} skapade en engångskod för Kungsholmen" in overview
        assert f"{FOLLOWER} använde en engångskod för Kungsholmen" in overview
        assert admin.buttons(admin.last_message()) == []  # revoking is for city admins


async def test_a_city_admin_picks_the_person_and_a_revoke_asks_first(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        city = ChatDriver(app, api, user_id=CITY_ADMIN)
        typed = sent(await city.send(f"/behorighet ge {ADMIN} Kungsholmen"))
        assert "tar inte emot telegram-id" in typed
        assert await count(app, Grant) == 0

        await city.send("/behorighet ge Kungsholmen")
        request_id = picker_request_id(city)
        not_started = sent(await city.share_user(request_id, ADMIN, "Anna"))
        assert "Anna har inte startat Kontaktlotsen än" in not_started
        assert await count(app, Grant) == 0
        await ChatDriver(app, api, user_id=ADMIN).send("/start")
        assert "Anna är nu administratör för Kungsholmen" in await pick_admin(
            city, ADMIN, "Kungsholmen"
        )
        # An old picker's answer does nothing.
        assert "Börja om" in sent(await city.share_user(request_id, FOLLOWER, "Olle"))
        assert await count(app, Grant) == 1

        listing = sent(await city.send("/behorighet"))
        assert f"{ADMIN} – Kungsholmen, sedan" in listing
        assert f"{ADMIN} blev administratör för Kungsholmen (av {CITY_ADMIN})" in listing
        asked = sent(await city.press(f"Ta bort {ADMIN} (Kungsholmen)"))
        assert f"Ta bort behörigheten för {ADMIN} i Kungsholmen?" in asked
        assert await count(app, Grant, Grant.revoked_at.is_(None)) == 1  # asked first
        assert "Inget har ändrats" in sent(await city.press("Avbryt"))
        assert await count(app, Grant, Grant.revoked_at.is_(None)) == 1

        await city.send("/behorighet")
        await city.press(f"Ta bort {ADMIN} (Kungsholmen)")
        done = sent(await city.press("Ja, ta bort"))
        assert f"{ADMIN} är inte längre administratör för Kungsholmen" in done
        assert await count(app, Grant, Grant.revoked_at.is_(None)) == 0
        async with app.bot_data.services.database.transaction() as session:
            actions = list(await session.scalars(select(AuditEvent.action)))
        assert actions.count("grant.add") == 1 and actions.count("grant.revoke") == 1
        assert "inte längre administratör" in sent(await city.send("/behorighet"))
