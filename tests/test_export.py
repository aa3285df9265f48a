"""/exportera: the admin's directory as a document for Excel that the import takes back as is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from bot.config import Settings
from bot.services.csv_formats import parse_file
from bot.services.directory_admin import apply_import, export_contacts
from tests.admin_support import ADMIN, CITY_ADMIN, FOLLOWER, admin_app, grant, sent, walk_handover
from tests.fakes import ChatDriver, RecordingBotApi
from tests.support.clocks import VirtualClock

MORNING = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 2)


def document(api: RecordingBotApi, chat_id: int) -> tuple[str, bytes]:
    (call,) = [c for c in api.calls_of("sendDocument") if int(c.params["chat_id"]) == chat_id]
    ((name, content),) = call.files.values()
    return name, content


async def test_an_area_admin_exports_today_the_deputy_and_the_planned_change(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api, clock=VirtualClock(MORNING)) as app:
        services = app.bot_data.services
        await grant(app, ADMIN, "kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        planned_on = TODAY + timedelta(days=5)
        await walk_handover(admin, name="Sara Ek", date=planned_on.isoformat())
        await admin.press("✅ Bekräfta")
        await admin.send("/franvaro Kungsholmen")
        await admin.press("Idag")
        await admin.send((TODAY + timedelta(days=3)).isoformat())
        await admin.send("Vera Vikarie")
        await admin.send("070-174 06 33")
        await admin.press("Hoppa över")
        await admin.press("✅ Bekräfta")

        await admin.send("/exportera")
        (call,) = api.calls_of("sendDocument")
        assert "kan importeras tillbaka som den är" in str(call.params["caption"])
        name, content = document(api, ADMIN)
        assert name == f"kontakter-kungsholmen-{TODAY.isoformat()}.csv"
        text = (
            content.decode("utf-8-sig")
            if content.startswith(b"\xef\xbb\xbf")
            else (content.decode("cp1252"))
        )
        lines = text.splitlines()
        assert lines[0].startswith("role;area_id;school;name;")
        cooperation = [line for line in lines if line.startswith("samverkan;")]
        assert len(cooperation) == 3, cooperation
        fatima, vera, sara = cooperation
        assert "Fatima Noor (exempel)" in fatima and fatima.endswith(";gäller")
        back_on = (TODAY + timedelta(days=3)).isoformat()
        assert vera.startswith("samverkan;kungsholmen;;Vera Vikarie;")
        assert vera.endswith(f";Fatima Noor (exempel);{back_on};ersättare")
        assert "Sara Ek" in sara and planned_on.isoformat() in sara and sara.endswith(";planerad")
        assert not any("bromma" in line or line.startswith("socialjour") for line in lines)

        # The import takes the file back unchanged.
        parsed = parse_file("kontakter.csv", content, services.geography.area_ids)
        async with services.database.transaction() as session:
            summary = await apply_import(session, [parsed])
        assert (summary.contacts_added, summary.contacts_replaced) == (0, 0)
        assert summary.contacts_confirmed == len(lines) - 1
        async with services.database.transaction() as session:
            again = await export_contacts(
                session,
                timezone=services.settings.timezone,
                excel=True,
                area_ids=frozenset({"kungsholmen"}),
            )
        assert again == content


async def test_a_city_admin_exports_the_city_and_staff_are_refused(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api, clock=VirtualClock(MORNING)) as app:
        staff = ChatDriver(app, api, user_id=FOLLOWER)
        assert "bara administratörer" in sent(await staff.send("/exportera"))
        assert api.calls_of("sendDocument") == []
        await ChatDriver(app, api, user_id=CITY_ADMIN, language_code="en").send("/export")
        name, content = document(api, CITY_ADMIN)
        assert name == f"kontakter-stockholm-{TODAY.isoformat()}.csv"
        assert b"\nsocialjour;" in content and b";bromma;" in content
