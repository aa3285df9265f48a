"""Hostile input through the real Application: hundreds of generated inputs as text, as every
command's argument, as edits and as forged button presses. Nothing raises, nothing is logged
as an ERROR, and a user without rights changes no row of the register (refusals are audited).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from telegram import Update

from app.transport import SentMessage
from bot.config import Settings
from bot.models import AuditEvent, Base, Follow
from tests.admin_support import ADMIN, CITY_ADMIN, admin_app, grant
from tests.fakes import ChatDriver, RecordingBotApi
from tests.support.registry import button_prefixes, commands
from tests.support.updates import KindsOfUpdates

ATTACKER = 6660666
VICTIM = 5550555
# Rows the attacker's own actions may change (their user, follows, place in the guide, the
# follow-up counters, the audited refusals, and the installation's pseudonym key that the
# forged "erase me" press makes once); everything else must stay as it was.
OWN_TABLES = frozenset(
    {"users", "follows", "guide_sessions", "usage_counts", "audit_events", "installation_keys"}
)


def hostile_texts() -> list[str]:
    other_ids = [str(CITY_ADMIN), str(ADMIN), str(VICTIM), "-1", "0", "9" * 40]
    return [
        *["²", "①②", "٣٤٥", "１２３", "1²", "٠٨-٤٦٥ ٠٠٤ ١٢", "𝟙𝟚"],
        *["\u202eolleh", "\u200fKungsholmen", "Kungs\u200bholmen", "\ufeff\u200c\u200d"],
        *["\x00", "Bromma\x00", "\x1b[31m", "\r\n\r\n", "\t=cmd"],
        *["🙂", "👨‍👩‍👧‍👦" * 3, "🇸🇪", "️"],
        *["<b>fet</b>", "<script>alert(1)</script>", "&amp;&lt;", "</code><a href='x'>"],
        *["' OR 1=1 --", "'; DROP TABLE users; --", "{name} {0} %s %(x)s", "${jndi:x}"],
        *["a" * 4096, "Å" * 4096, "1 " * 2048, "\u0301" * 4096],
        *other_ids,
        *["2026-02-30", "31/12/99999", "imorgon²", "1 december ٢٠٢٧"],
    ]


def forged_button_data(prefixes: list[str], follow_id: int) -> list[str]:
    suffixes = ["²", "٣", "-1", "0", "9" * 60, "\x00", "../x", "%s", str(VICTIM), ""]
    data = [prefix + suffix for prefix in prefixes for suffix in suffixes]
    data += [f"uf:{follow_id}", "forget:yes", "x" * 64, "x" * 300, ":" * 10, "ho:ok:zz"]
    return data


def no_errors(caplog: pytest.LogCaptureFixture) -> None:
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []


async def snapshot(app: Any) -> dict[str, list[tuple[Any, ...]]]:
    dump: dict[str, list[tuple[Any, ...]]] = {}
    async with app.bot_data.services.database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            dump[table.name] = sorted((tuple(row) for row in rows), key=repr)
    return dump


async def play(driver: ChatDriver, updates: list[Update]) -> None:
    for update in updates:
        await driver.process(update)


def attacker_updates(driver: ChatDriver, app: Any, follow_id: int) -> list[Update]:
    kinds = KindsOfUpdates(driver.factory)
    texts = hostile_texts()
    names = commands(app)
    updates = [driver.factory.message(text) for text in texts]
    updates += [kinds.edited(text) for text in texts[::3]]
    for index, command in enumerate(names):
        for text in texts[index % 4 :: 9]:  # each command gets several different arguments
            updates.append(driver.factory.message(f"/{command} {text}"))
        updates.append(driver.factory.message(f"/{command}"))
    message = SentMessage(driver.user_id, 1, "ett gammalt meddelande")
    for data in forged_button_data(button_prefixes(app), follow_id):
        updates.append(driver.factory.callback(data, message))
    return updates


async def test_hostile_input_raises_nothing_and_changes_no_register_row(
    make_settings: Callable[..., Settings],
    api: RecordingBotApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings()
    if settings.database_url.startswith("postgresql"):
        pytest.skip("the same code paths; SQLite keeps the run short")
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        victim = ChatDriver(app, api, user_id=VICTIM)
        await victim.send("/start")
        await victim.send("/folj Bromma")
        async with app.bot_data.services.database.transaction() as session:
            follow_id = await session.scalar(select(Follow.id).where(Follow.user_id == VICTIM))
        assert follow_id is not None
        attacker = ChatDriver(app, api, user_id=ATTACKER)
        await attacker.send("/start")
        updates = attacker_updates(attacker, app, follow_id)
        assert len(updates) >= 200 and len(commands(app)) >= 20

        before = await snapshot(app)
        await app.start()  # as in production: handlers with block=False run as tasks
        try:
            await play(attacker, updates)
        finally:
            await app.stop()  # waits for those tasks
        after = await snapshot(app)

        no_errors(caplog)
        changed = sorted(name for name in before if before[name] != after[name])
        assert set(changed) <= OWN_TABLES, changed
        async with app.bot_data.services.database.transaction() as session:
            new_events = await session.scalars(
                select(AuditEvent.action).where(AuditEvent.id > len(before["audit_events"]))
            )
            assert set(new_events) <= {"refused", "privacy.erase"}
        victim_rows = [row for row in after["follows"] if VICTIM in row]
        assert victim_rows == [row for row in before["follows"] if VICTIM in row] != []
        assert all(str(VICTIM) not in str(c.params) for c in api.calls if _to(c, ATTACKER))


def _to(call: Any, chat_id: int) -> bool:
    return str(call.params.get("chat_id")) == str(chat_id)


async def test_hostile_input_in_the_admin_wizards_raises_nothing(
    make_settings: Callable[..., Settings],
    api: RecordingBotApi,
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = make_settings()
    if settings.database_url.startswith("postgresql"):
        pytest.skip("the same code paths; SQLite keeps the run short")
    async with admin_app(make_settings, api) as app:
        city = ChatDriver(app, api, user_id=CITY_ADMIN)
        for wizard in ("/overlamning", "/franvaro", "/historik", "/behorighet ge", "/kod"):
            await city.send(f"{wizard} Kungsholmen" if wizard != "/kod" else wizard)
            for text in hostile_texts()[::2]:
                await city.send(text)
            await city.send("/avbryt")
        no_errors(caplog)
