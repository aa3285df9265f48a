"""The /overlamning wizard through the real Application and the recording fake transport."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from telegram.error import TimedOut

from app.transport import ApiCall
from bot.config import Settings
from bot.i18n import translator
from bot.models import AuditEvent, Contact, ContactAssignment, Handover, Notification, School
from bot.services.directory_admin import current_revision
from bot.services.handovers import enqueue_day_reminders
from tests.admin_support import (
    ADMIN,
    CITY_ADMIN,
    FOLLOWER,
    OTHER_ADMIN,
    SECOND_FOLLOWER,
    admin_app,
    count,
    deliver,
    grant,
    handovers,
    notices_to,
    notifications,
    revoke,
    sent,
    walk_handover,
)
from tests.fakes import ChatDriver, RecordingBotApi


async def school_id(app: Any, name: str) -> int:
    async with app.bot_data.services.database.transaction() as session:
        found = await session.scalar(select(School.id).where(School.name == name))
    assert found is not None
    return int(found)


async def refusals(app: Any) -> list[AuditEvent]:
    async with app.bot_data.services.database.transaction() as session:
        return list(
            await session.scalars(select(AuditEvent).where(AuditEvent.action == "refused"))
        )


async def test_area_admin_records_a_handover_and_every_follower_is_told(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        follower = ChatDriver(app, api, user_id=FOLLOWER)
        school_follower = ChatDriver(app, api, user_id=SECOND_FOLLOWER)
        bromma_follower = ChatDriver(app, api, user_id=666)
        assert "Nu följer du Kungsholmen" in sent(await follower.send("/folj Kungsholmen"))
        assert "Nu följer du Fridhemsskolan" in sent(
            await school_follower.send("/folj Fridhemsskolan")
        )
        await bromma_follower.send("/folj Bromma")
        admin = ChatDriver(app, api, user_id=ADMIN)

        text = sent(await admin.send("/overlamning"))
        assert "vilken skola eller vilket område" in text
        # An area admin is offered their own area only.
        assert [label for label, _ in admin.buttons(admin.last_message())] == ["Kungsholmen"]
        text = sent(await admin.press("Kungsholmen"))
        assert "Nuvarande kontaktperson" in text and "Fatima Noor (exempel)" in text
        summary = sent(await walk_handover(admin, date="idag", hours="Vardagar 8–16"))
        assert "Stämmer det här?" in summary
        assert "Sara Ek" in summary and "Ersätter: Fatima Noor (exempel)" in summary
        assert await count(app, Handover) == 0  # nothing is written before the confirmation

        done = sent(await admin.press("✅ Bekräfta"))
        assert "Klart! Sara Ek är kontaktperson" in done
        assert "2 personer som följer" in done

        (handover,) = await handovers(app)
        assert handover.old_name == "Fatima Noor (exempel)" and handover.new_name == "Sara Ek"
        assert handover.recorded_by == str(ADMIN)
        assert sorted(n.chat_id for n in await notifications(app)) == [FOLLOWER, SECOND_FOLLOWER]
        assert await count(app, AuditEvent, AuditEvent.action == "handover.record") == 1

        # Lookups show the new person at once; the old one stays in the history.
        card = sent(await follower.send("Kungsholmen"))
        assert "Sara Ek" in card and "08-465 004 20" in card and "Fatima Noor" not in card
        history = sent(await follower.send("/historik Kungsholmen"))
        assert "Sara Ek" in history and "Fatima Noor (exempel)" in history

        report = await deliver(app)
        assert report.sent == 2
        for chat_id in (FOLLOWER, SECOND_FOLLOWER):
            (message,) = notices_to(api, chat_id)
            assert "Sara Ek ersätter Fatima Noor (exempel) från och med" in message
            assert "08-465 004 20" in message
        assert not notices_to(api, 666)
        assert (await deliver(app)).sent == 0  # nothing twice


async def test_future_handover_is_announced_on_its_day_and_shown_on_the_card_until_then(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        services = app.bot_data.services
        follower = ChatDriver(app, api, user_id=FOLLOWER)
        await follower.send("/folj Kungsholmen")
        admin = ChatDriver(app, api, user_id=CITY_ADMIN)
        summary = sent(
            await walk_handover(admin, date="imorgon", note="Sara börjar efter Fatimas semester.")
        )
        assert "meddelande den dagen" in summary and "/planerat" in summary
        done = sent(await admin.press("✅ Bekräfta"))
        assert "1 person följer skolan eller området just nu" in done
        tomorrow = services.today() + timedelta(days=1)

        card = sent(await follower.send("Kungsholmen"))
        assert "Fatima Noor (exempel)" in card  # not yet
        assert f"Från {translator('sv').date(tomorrow)}: <b>Sara Ek</b>" in card
        async with services.database.transaction() as session:
            later = await services.contacts.card_for_area(session, "kungsholmen", tomorrow)
        assert later is not None and later.cooperation is not None
        assert later.cooperation.name == "Sara Ek"
        assert later.upcoming is None

        await deliver(app)
        assert notices_to(api, FOLLOWER) == []  # nothing before the day
        async with services.database.transaction() as session:
            assert await enqueue_day_reminders(session, services.today()) == 0  # not the day
        async with services.database.transaction() as session:
            assert await enqueue_day_reminders(session, tomorrow) == 1
        async with services.database.transaction() as session:
            assert await enqueue_day_reminders(session, tomorrow) == 0  # once
        await deliver(app)
        (announcement,) = notices_to(api, FOLLOWER)
        assert "Sara Ek ersätter Fatima Noor (exempel)" in announcement
        assert "Notering: Sara börjar efter Fatimas semester." in announcement


async def test_school_handover_overrides_only_that_school(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        text = sent(await admin.send("/overlamning Fridhemsskolan"))
        assert "Fatima Noor (exempel)" in text and "bara för skolan" in text
        await admin.send("Ali Berg")
        await admin.press("Hoppa över")
        await admin.send("070-174 06 12")
        await admin.press("Hoppa över")
        await admin.press("Hoppa över")
        await admin.press("Idag")
        await admin.press("Hoppa över")
        assert "Klart!" in sent(await admin.press("✅ Bekräfta"))
        assert "Ali Berg" in sent(await admin.send("Fridhemsskolan"))
        assert "Fatima Noor (exempel)" in sent(await admin.send("Kungsholmen"))


async def test_every_bad_answer_is_refused_clearly_and_nothing_is_written(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        contacts_before = await count(app, Contact)
        admin = ChatDriver(app, api, user_id=CITY_ADMIN)
        await admin.send("/overlamning")
        await admin.press("Kungsholmen")
        assert "högst 120 tecken" in sent(await admin.send("A" * 300))
        assert "Vilken titel" in sent(await admin.send("Sara Ek"))
        await admin.press("Hoppa över")
        refused = sent(await admin.send("12345"))
        assert "svenskt telefonnummer" in refused and "08-465 004 10" in refused
        assert "svenskt telefonnummer" in sent(await admin.send("+1 202 555 0100"))
        assert "e-postadress" in sent(await admin.send("08-465 004 20"))
        assert "ingen giltig e-postadress" in sent(await admin.send("sara.ek@"))
        assert "När går hen att nå?" in sent(await admin.send("sara.ek@example.com"))
        await admin.press("Hoppa över")
        assert "redan varit" in sent(await admin.send("2020-01-01"))
        assert "förstår jag inte" in sent(await admin.send("snart"))
        assert "förstår jag inte" in sent(await admin.send("31/2"))
        assert "notering" in sent(await admin.send("1 december 2099"))
        # A personnummer never reaches the wizard (the privacy guard stops it first).
        assert "personnummer" in sent(await admin.send("Gäller eleven 640823-3234"))
        assert "personnummer" in sent(await admin.send("x" * 40 + " 19640823-3234"))
        assert "för lång" in sent(await admin.send("x" * 501))
        assert "Stämmer det här?" in sent(await admin.send("Välkommen Sara!"))
        assert "Inget har sparats" in sent(await admin.press("Avbryt"))
        assert await count(app, Handover) == 0
        assert await count(app, Notification) == 0
        assert await count(app, Contact) == contacts_before


async def test_a_non_admin_is_refused_and_the_refusal_is_audited(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        teacher = ChatDriver(app, api, user_id=FOLLOWER)
        text = sent(await teacher.send("/overlamning"))
        assert "bara administratörer" in text
        (refusal,) = await refusals(app)
        assert refusal.actor == str(FOLLOWER) and refusal.after == {"action": "handover"}
        # No wizard was started: a name now is an ordinary lookup.
        assert "Kontaktperson i socialtjänsten" in sent(await teacher.send("Kungsholmen"))
        assert "bara administratörer" in sent(await teacher.send("/handover"))


async def test_a_revoked_admin_is_refused_even_in_the_middle_of_the_wizard(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        admin = ChatDriver(app, api, user_id=ADMIN)
        await walk_handover(admin)
        await revoke(app, ADMIN, "kungsholmen")
        assert "bara administratörer" in sent(await admin.press("✅ Bekräfta"))
        assert await count(app, Handover) == 0
        assert "bara administratörer" in sent(await admin.send("/overlamning"))
        assert [r.after for r in await refusals(app)] == [
            {"action": "handover"},
            {"action": "handover"},
        ]


async def test_another_areas_school_is_refused_whether_typed_or_forged(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        await grant(app, OTHER_ADMIN, "bromma")
        alvik = await school_id(app, "Alviksskolan")  # in Bromma
        admin = ChatDriver(app, api, user_id=ADMIN)
        await admin.send("/overlamning")
        forged = sent(await admin.press(data=f"ho:s:{alvik}"))
        assert "bara administratörer" in forged
        assert "bara administratörer" in sent(await admin.press(data="ho:a:bromma"))
        await admin.send("/overlamning")
        assert "bara administratörer" in sent(await admin.send("Alviksskolan"))
        assert [r.target for r in await refusals(app)] == [f"s:{alvik}", "a:bromma", f"s:{alvik}"]
        # A well-formed key that names no school: the service finds nothing, the button is
        # stale; an admin learning that is no refusal.
        assert "fungerar inte längre" in sent(await admin.press(data="ho:s:99999999"))
        assert len(await refusals(app)) == 3
        assert await count(app, Handover) == 0


async def test_the_same_confirm_update_twice_records_one_handover(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await ChatDriver(app, api, user_id=FOLLOWER).send("/folj Kungsholmen")
        admin = ChatDriver(app, api, user_id=CITY_ADMIN)
        await walk_handover(admin)
        summary = admin.last_with_buttons()
        update = admin.factory.callback(admin.button_data(summary, "✅ Bekräfta"), summary)
        assert "Klart!" in sent(await admin.process(update))
        again = sent(await admin.process(update))  # Telegram delivers the same update again
        assert "redan registrerad" in again
        assert await count(app, Handover) == 1
        assert await count(app, Notification) == 1


async def test_two_admins_confirming_at_once_one_wins_the_other_is_told(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        await grant(app, ADMIN, "kungsholmen")
        first = ChatDriver(app, api, user_id=ADMIN)
        second = ChatDriver(app, api, user_id=CITY_ADMIN)
        await walk_handover(first, name="Sara Ek")
        await walk_handover(second, name="Olle Holm")
        assert "Klart!" in sent(await first.press("✅ Bekräfta"))
        lost = sent(await second.press("✅ Bekräfta"))
        assert "ändrades av någon annan medan du skrev" in lost and "Inget har sparats" in lost
        (handover,) = await handovers(app)
        assert handover.new_name == "Sara Ek"
        async with app.bot_data.services.database.transaction() as session:
            names = set(await session.scalars(select(Contact.name)))
            open_rows = await session.scalars(
                select(ContactAssignment).where(
                    ContactAssignment.area_id == "kungsholmen",
                    ContactAssignment.role == "samverkan",
                    ContactAssignment.valid_to.is_(None),
                )
            )
            assert len(list(open_rows)) == 1
        assert "Olle Holm" not in names


async def test_the_wizard_speaks_english(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        admin = ChatDriver(app, api, user_id=CITY_ADMIN, language_code="en")
        text = sent(await admin.send("/handover Kungsholmen"))
        assert "Current contact person" in text
        assert "title" in sent(await admin.send("Sara Ek"))
        await admin.press("Skip")
        assert "not a Swedish phone number" in sent(await admin.send("12345"))
        await admin.send("08-465 004 20")
        await admin.press("Skip")
        await admin.press("Skip")
        assert "do not understand" in sent(await admin.send("someday"))
        await admin.send("1 December 2099")
        await admin.press("Skip")
        assert "Done!" in sent(await admin.press("✅ Confirm"))


async def test_the_summary_names_whom_the_new_contact_replaces_on_the_chosen_day(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        today = app.bot_data.services.today()
        admin = ChatDriver(app, api, user_id=CITY_ADMIN)
        await walk_handover(admin, date=(today + timedelta(days=3)).isoformat())
        assert "Klart!" in sent(await admin.press("✅ Bekräfta"))
        # Today the area's contact is still Fatima; from the day chosen below it is Sara.
        summary = sent(
            await walk_handover(
                admin, name="Olle Holm", date=(today + timedelta(days=10)).isoformat()
            )
        )
        assert "Ersätter: Sara Ek" in summary and "Fatima" not in summary.split("Ersätter")[1]
        assert "Klart!" in sent(await admin.press("✅ Bekräfta"))
        assert [h.old_name for h in await handovers(app)] == ["Fatima Noor (exempel)", "Sara Ek"]


async def test_a_handover_does_not_make_running_bots_rebuild_their_lookup_index(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    async with admin_app(make_settings, api) as app:
        services = app.bot_data.services
        async with services.database.transaction() as session:
            before = await current_revision(session)
        admin = ChatDriver(app, api, user_id=CITY_ADMIN)
        await walk_handover(admin)
        assert "Klart!" in sent(await admin.press("✅ Bekräfta"))
        async with services.database.transaction() as session:
            assert await current_revision(session) == before  # the index holds names only


class SlowReplyApi(RecordingBotApi):
    """Times out on the bot's "Klart!" reply, as a flaky network would after the commit."""

    async def before_call(self, call: ApiCall) -> None:
        if call.method == "sendMessage":
            text = str(call.params.get("text", ""))
            if text.startswith(("Klart!", "Done!")):
                raise TimedOut("simulated")


async def test_a_timeout_on_the_done_message_keeps_the_recorded_handover(
    make_settings: Callable[..., Settings],
) -> None:
    api = SlowReplyApi()
    async with admin_app(make_settings, api) as app:
        await ChatDriver(app, api, user_id=FOLLOWER).send("/folj Kungsholmen")
        admin = ChatDriver(app, api, user_id=CITY_ADMIN)
        await walk_handover(admin)
        summary = admin.last_with_buttons()
        confirm = admin.button_data(summary, "✅ Bekräfta")
        await admin.press(data=confirm)  # "Klart!" times out; the error handler apologises
        assert await count(app, Handover) == 1
        assert await count(app, Notification) == 1
        # Pressed again, the same confirmation is recognised as already recorded.
        assert "redan registrerad" in sent(await admin.press(data=confirm, message=summary))
        assert await count(app, Handover) == 1
