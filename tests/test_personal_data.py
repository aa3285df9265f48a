"""/mina_uppgifter shows what is stored about the user; /glom_mig erases it.

The erasure test plants the user's id in every table that can hold it, erases through the real
Application, and then reads every row of every table (`Base.metadata.sorted_tables`, so tables
added later are covered too).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import BigInteger, func, select

from app.application import build_application
from bot.clock import utcnow
from bot.config import Settings
from bot.models import (
    Absence,
    AuditEvent,
    Base,
    ContactAssignment,
    Follow,
    GuideCheckIn,
    GuideSession,
    Handover,
    InstallationKey,
    Invite,
    Notification,
    UsageCount,
    User,
)
from bot.services import audit, personal_data
from bot.services.authz import Actor
from bot.services.grants import grant_area_admin, revoke_area_admin
from bot.services.personal_data import PERSONAL_COLUMNS, pseudonym
from bot.services.wizard_sessions import StoredWizard, save_wizard
from tests.fakes import ChatDriver, RecordingBotApi, texts

USER = 918273645  # distinctive: it cannot occur in a row by chance
OTHER = 918273600
CITY_ADMIN = 5550001


@pytest.fixture
async def app(make_settings: Callable[..., Settings], api: RecordingBotApi) -> AsyncIterator[Any]:
    settings = make_settings(city_admin_ids=(CITY_ADMIN,))
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        yield application


@pytest.fixture
def user(app: Any, api: RecordingBotApi) -> ChatDriver:
    return ChatDriver(app, api, user_id=USER)


async def plant_everything(app: Any, user_id: int) -> None:
    """The user's id in every place the schema can hold it, as the features would put it."""
    label = str(user_id)
    async with app.bot_data.services.database.transaction() as session:
        # A past role (granted, then revoked: the audit JSON holds the id) and one they gave.
        await grant_area_admin(session, Actor.cli(), user_id, "farsta")
        await revoke_area_admin(session, Actor.cli(), user_id, "farsta")
        await grant_area_admin(session, Actor.telegram(user_id, {user_id}), OTHER, "bromma")
        await revoke_area_admin(session, Actor.telegram(user_id, {user_id}), OTHER, "bromma")
        await audit.record(
            session, label, "refused", f"{user_id}@kungsholmen", after={"ids": [user_id, label]}
        )
        session.add(Follow(user_id=user_id, target="a:bromma", area_id="bromma"))
        session.add(GuideCheckIn(user_id=user_id, area_id="bromma", due_on=date(2026, 12, 23)))
        session.add(
            Notification(
                chat_id=user_id,
                kind="handover",
                payload={"to": user_id},
                dedupe_key=f"test:{user_id}",
                area_id="bromma",
            )
        )
        session.add(GuideSession(user_id=user_id, chat_id=user_id, position={"path": ["a", "b"]}))
        now = utcnow()
        session.add(
            Invite(
                code_hash="a" * 64,
                role="area_admin",
                area_id="bromma",
                created_by=label,
                expires_at=now,
                used_by=user_id,
                used_at=now,
            )
        )
        assignment = await session.scalar(select(ContactAssignment).limit(1))
        assert assignment is not None
        session.add(
            Handover(
                role=assignment.role,
                area_id="bromma",
                new_assignment_id=assignment.id,
                new_name="Ny Person",
                effective_on=date(2026, 12, 1),
                recorded_by=label,
                replaces_key="test-replaces",
                idempotency_key="test-idempotency",
            )
        )
        session.add(
            Absence(
                assignment_id=assignment.id,
                deputy_id=assignment.contact_id,
                starts_on=date(2026, 12, 1),
                back_on=date(2026, 12, 24),
                idempotency_key="test-absence",
                recorded_by=label,
            )
        )


async def plant_a_wizard(app: Any, user_id: int) -> None:
    """An admin wizard left half-way (its row names the user)."""
    async with app.bot_data.services.database.transaction() as session:
        await save_wizard(
            session, user_id, user_id, "handover", StoredWizard(3, {"name": "Ny Person"})
        )


async def every_row(app: Any) -> dict[str, list[dict[str, Any]]]:
    dump: dict[str, list[dict[str, Any]]] = {}
    await app.bot_data.services.flush_usage()  # the lookups counted in memory, too
    async with app.bot_data.services.database.transaction() as session:
        for table in Base.metadata.sorted_tables:
            result = await session.execute(select(table))
            dump[table.name] = [dict(row) for row in result.mappings()]
    return dump


def rows_naming(dump: dict[str, list[dict[str, Any]]], user_id: int) -> list[str]:
    found = []
    for table, rows in dump.items():
        for row in rows:
            for column, value in row.items():
                text = value if isinstance(value, str) else json.dumps(value, default=str)
                if value == user_id or str(user_id) in text:
                    found.append(f"{table}.{column} = {value!r}")
    return found


# --- /glom_mig ---


async def test_glom_mig_leaves_no_row_that_names_the_user(
    app: Any, user: ChatDriver, api: RecordingBotApi
) -> None:
    await user.send("/start")
    await user.send("/sprak")
    await user.press("English")
    await user.send("Eriksdalsskolan")
    await plant_everything(app, USER)
    await plant_a_wizard(app, USER)
    await ChatDriver(app, api, user_id=OTHER).send("/start")
    before = await every_row(app)
    planted = {name.split(".")[0] for name in rows_naming(before, USER)}
    # Every table that can hold a user's id really holds this one before erasure.
    assert planted >= {t.split(".")[0] for t in PERSONAL_COLUMNS}

    calls = await user.send("/forget_me")
    assert "cannot be undone" in texts(calls)[0]
    calls = await user.press("Yes, erase everything")

    assert "erased what I had stored about you" in texts(calls)[-1]
    after = await every_row(app)
    assert rows_naming(after, USER) == []
    # What was someone else's, or the register's history, is still there.
    assert len(after["users"]) == len(before["users"]) - 1
    assert len(after["handovers"]) == len(before["handovers"]) == 1
    assert len(after["absences"]) == len(before["absences"]) == 1
    assert len(after["audit_events"]) == len(before["audit_events"]) + 1
    assert after["usage_counts"] == before["usage_counts"] != []
    assert rows_naming(after, OTHER) == rows_naming(before, OTHER) != []


async def test_erased_entries_keep_one_keyed_pseudonym(app: Any, user: ChatDriver) -> None:
    await user.send("/start")
    await plant_everything(app, USER)
    await user.send("/glom_mig")
    await user.press("Ja, radera allt")

    dump = await every_row(app)
    [key_row] = dump["installation_keys"]  # no PSEUDONYM_KEY set: the installation made one
    alias = pseudonym(USER, key_row["value"].encode())
    assert alias.startswith("anon:") and len(alias) == 29
    assert dump["handovers"][0]["recorded_by"] == alias
    assert dump["absences"][0]["recorded_by"] == alias
    assert dump["invites"][0]["created_by"] == alias
    assert dump["invites"][0]["used_by"] is None
    assert dump["invites"][0]["used_at"] is not None
    assert [g["granted_by"] for g in dump["grants"]] == [alias]  # the one they gave OTHER
    assert dump["grants"][0]["user_id"] == OTHER
    events = dump["audit_events"]
    assert {e["actor"] for e in events} >= {alias, "cli"}
    refusal = next(e for e in events if e["action"] == "refused")
    assert refusal["target"] == f"{alias}@kungsholmen"
    assert refusal["after"] == {"ids": [alias, alias]}
    grant_added = next(e for e in events if e["action"] == "grant.add" and e["actor"] == "cli")
    assert grant_added["after"]["user_id"] == alias
    erased = events[-1]
    assert (erased["actor"], erased["action"]) == (alias, "privacy.erase")


async def test_the_configured_pseudonym_key_is_used(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    settings = make_settings(pseudonym_key="a-long-secret-from-the-operator")
    application = build_application(settings, request=api, rate_limit=False)
    async with application:
        user = ChatDriver(application, api, user_id=USER)
        await user.send("/start")
        await plant_everything(application, USER)
        await user.send("/glom_mig")
        await user.press("Ja, radera allt")
        dump = await every_row(application)
    assert dump["installation_keys"] == []
    assert dump["handovers"][0]["recorded_by"] == pseudonym(
        USER, b"a-long-secret-from-the-operator"
    )


async def test_an_active_area_admin_is_refused_and_nothing_is_erased(
    app: Any, user: ChatDriver
) -> None:
    await user.send("/start")
    async with app.bot_data.services.database.transaction() as session:
        await grant_area_admin(session, Actor.cli(), USER, "skarpnack")
    before = await every_row(app)

    calls = await user.send("/glom_mig")
    assert "administratör för Skarpnäck" in texts(calls)[0]
    assert "/behorighet" in texts(calls)[0]
    # A forged (or stale) confirm button is checked again.
    calls = await user.press(data="forget:yes", message=user.last_message())
    assert "administratör för Skarpnäck" in texts(calls)[-1]

    after = await every_row(app)
    after["audit_events"] = after["audit_events"][: len(before["audit_events"])]
    assert after == before


async def test_a_city_admin_is_refused(app: Any, api: RecordingBotApi) -> None:
    admin = ChatDriver(app, api, user_id=CITY_ADMIN)
    calls = await admin.send("/glom_mig")
    assert "CITY_ADMIN_IDS" in texts(calls)[0]


async def test_cancel_erases_nothing(app: Any, user: ChatDriver) -> None:
    await user.send("/start")
    await user.send("/glom_mig")
    calls = await user.press("Avbryt")
    assert "Inget är raderat" in texts(calls)[-1]
    async with app.bot_data.services.database.transaction() as session:
        assert await session.get(User, USER) is not None


# --- /mina_uppgifter ---


async def test_mina_uppgifter_shows_everything_stored(app: Any, user: ChatDriver) -> None:
    await user.send("/start")
    await plant_everything(app, USER)
    async with app.bot_data.services.database.transaction() as session:
        await grant_area_admin(session, Actor.cli(), USER, "skarpnack")

    [text] = texts(await user.send("/mina_uppgifter"))

    assert f"Telegram-id: {USER}" in text
    assert "Först sedd:" in text and "inte sparat" not in text
    assert "Valt språk: inget" in text
    assert "• Bromma" in text
    assert "Roll: administratör för Skarpnäck" in text
    assert "Tidigare roll: administratör för Farsta" in text
    assert "Guiden /anmalan: ditt läge (steg 2)" in text
    assert "1 väntar, 1 sparade totalt" in text
    assert "Inbjudningskoder du har använt: 1" in text
    assert "poster i ändringsloggen, 1 överlämning, 1 frånvaro, 1 behörighet, 1 inbjudan" in text
    assert "/glom_mig" in text


async def test_counts_take_the_plural_the_number_needs(app: Any, api: RecordingBotApi) -> None:
    english = ChatDriver(app, api, user_id=USER, language_code="en")
    await english.send("/start")
    await plant_everything(app, USER)
    [text] = texts(await english.send("/my_data"))
    assert "entries in the change log, 1 handover, 1 absence, 1 permission, 1 invitation" in text


async def test_dates_are_the_day_in_stockholm_not_in_utc(app: Any, user: ChatDriver) -> None:
    await user.send("/start")
    async with app.bot_data.services.database.transaction() as session:
        row = await session.get(User, USER)
        assert row is not None
        row.first_seen_at = datetime(2026, 3, 14, 23, 30, tzinfo=UTC)  # 00:30 on 15 March there
    [text] = texts(await user.send("/mina_uppgifter"))
    assert "Först sedd: 15 mars 2026" in text


async def test_mina_uppgifter_for_someone_unknown(app: Any, api: RecordingBotApi) -> None:
    stranger = ChatDriver(app, api, user_id=OTHER, language_code="en")
    [text] = texts(await stranger.send("/my_data"))
    assert "What I store about you" in text
    assert "not stored" in text
    rows = await every_row(app)
    assert rows_naming(rows, OTHER) == []  # asking stored nothing
    assert rows["users"] == []


# --- The schema ---


def _could_hold_a_user_id(column: Any) -> bool:
    name = column.name
    return (
        isinstance(column.type, BigInteger)
        or name in {"actor", "user_id", "chat_id"}
        or name.endswith("_by")
        or (column.table.name == "users" and name == "id")
    )


def test_every_column_that_can_hold_a_user_id_is_handled_by_erasure() -> None:
    unhandled = [
        f"{column.table.name}.{column.name}"
        for table in Base.metadata.sorted_tables
        for column in table.columns
        if _could_hold_a_user_id(column) and f"{table.name}.{column.name}" not in PERSONAL_COLUMNS
    ]
    assert unhandled == [], "add these to bot.services.personal_data (PERSONAL_COLUMNS, erase)"
    tables = {t.name: t for t in Base.metadata.sorted_tables}
    for name in PERSONAL_COLUMNS:
        table, column = name.split(".")
        assert column in tables[table].columns, f"{name} is listed but does not exist"


def test_pseudonyms_are_stable_keyed_and_short() -> None:
    assert pseudonym(USER, b"k1") == pseudonym(USER, b"k1")
    assert pseudonym(USER, b"k1") != pseudonym(USER, b"k2")
    assert pseudonym(USER, b"k1") != pseudonym(OTHER, b"k1")
    assert str(USER) not in pseudonym(USER, b"k1")
    assert len(pseudonym(USER, b"k1")) <= Handover.recorded_by.type.length


async def test_the_installation_key_is_made_once(services: Any) -> None:
    async with services.database.transaction() as session:
        first = await personal_data.pseudonym_key(session, None)
        again = await personal_data.pseudonym_key(session, SecretStr("  "))
    async with services.database.transaction() as session:
        later = await personal_data.pseudonym_key(session, None)
        count = await session.scalar(select(func.count()).select_from(InstallationKey))
        configured = await personal_data.pseudonym_key(session, SecretStr("set"))
    assert first == again == later and len(first) == 64
    assert count == 1
    assert configured == b"set"


async def test_retention_deletes_finished_notifications_only(services: Any) -> None:
    from bot.services.retention import purge

    now = utcnow()
    old = now - timedelta(days=40)
    async with services.database.transaction() as session:
        for i, (status, created, sent) in enumerate(
            [("sent", old, old), ("failed", old, None), ("pending", old, None), ("sent", now, now)]
        ):
            session.add(
                Notification(
                    chat_id=1,
                    kind="handover",
                    payload={},
                    dedupe_key=f"r:{i}",
                    status=status,
                    created_at=created,
                    sent_at=sent,
                )
            )
        session.add(AuditEvent(actor="cli", action="x", target="-", at=old))
    async with services.database.transaction() as session:
        kept_audit = await purge(session, now, outbox_days=30, audit_days=0, guide_idle_hours=0)
    async with services.database.transaction() as session:
        statuses = sorted((await session.scalars(select(Notification.status))).all())
        purged_audit = await purge(session, now, outbox_days=0, audit_days=30, guide_idle_hours=0)
    assert (kept_audit.notifications, kept_audit.audit_events) == (2, 0)
    assert statuses == ["pending", "sent"]
    assert purged_audit.audit_events >= 1


def test_usage_counts_are_not_personal() -> None:
    # Erasure leaves the follow-up figures alone: no column of theirs could hold a user's id.
    assert not [c.name for c in UsageCount.__table__.columns if _could_hold_a_user_id(c)]
