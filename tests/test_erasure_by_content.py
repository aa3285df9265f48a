"""After /glom_mig no cell of any table holds the user's Telegram id, not even inside a key.

The admin records a handover and an absence through the real wizards (whose idempotency keys
once carried the id in clear), loses the role, and erases themself; then every cell of every
table is searched for the id as a substring. Imports nothing new: it runs on an older main.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.models import Base
from tests.admin_support import admin_app, grant, revoke, sent, walk_handover
from tests.fakes import ChatDriver, RecordingBotApi

ADMIN = 918273111  # distinctive: it cannot occur in a row by chance


async def cells_holding(app: Any, needle: str) -> list[str]:
    found = []
    async with app.bot_data.services.database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            for row in (await session.execute(select(table))).mappings():
                for column, value in row.items():
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    if needle in text:
                        found.append(f"{table.name}.{column} = {value!r}")
    return found


async def test_no_cell_names_an_erased_admin(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        await admin.send("/start")
        await admin.send("/folj Kungsholmen")
        today = app.bot_data.services.today()
        await admin.send("/franvaro Kungsholmen")
        await admin.press("Imorgon")
        await admin.send((today + timedelta(days=5)).isoformat())
        await admin.send("Vera Vikarie")
        await admin.send("070-174 06 33")
        await admin.press("Hoppa över")
        assert "Klart!" in sent(await admin.press("✅ Bekräfta"))
        await walk_handover(admin, date=(today + timedelta(days=10)).isoformat())
        assert "Klart!" in sent(await admin.press("✅ Bekräfta"))
        assert await cells_holding(app, str(ADMIN))  # the id is there before erasure

        await revoke(app, ADMIN, "kungsholmen")
        await admin.send("/glom_mig")
        await admin.press("Ja, radera allt")
        assert await cells_holding(app, str(ADMIN)) == []
