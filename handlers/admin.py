"""Admin commands: /bekrafta, /behorighet, /kod, /historik, /leveranser (English aliases too).

Callback data: "bk:<assignment id>" (show an entry in full), "bk:ok:<assignment id>" (it is
still correct), "bk:fix" (it is not), "gr:rv:<grant id>" (revoke a role),
"hi:a:<area>"/"hi:s:<school>" (history of a candidate). Every press is re-checked by the service
against the database and the admin's own areas; a refusal is audited there.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from html import escape
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestUsers,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.clock import local_date
from bot.i18n import Translator
from bot.models import AuditEvent, ContactRole
from bot.services import authz, grants, invites, outbox
from bot.services.agreements import find_area
from bot.services.entries import (
    Entry,
    EntryDetail,
    HistoryLine,
    ScopeHistory,
    confirm_entry,
    entry_detail,
    my_entries,
    scope_history,
)
from bot.services.errors import (
    InvalidInvite,
    InvalidInviteDays,
    InviteProblem,
    NotAuthorized,
    NotStarted,
    UnknownArea,
    UnknownTarget,
)
from bot.services.lookup import is_too_long
from bot.services.parsing import digits, parse_int
from bot.services.wizard_sessions import StoredWizard, end_wizard, load_wizard, save_wizard
from handlers import menus
from handlers.admin_common import actor_of, refuse, run_button
from handlers.common import Action, BotContext, reply, user_action

SHOW = re.compile(rf"^bk:({digits(1, 9)})$")
CONFIRM = re.compile(rf"^bk:ok:({digits(1, 9)})$")
REVOKE = re.compile(rf"^gr:rv:({digits(1, 9)})$")
REVOKE_OK = re.compile(rf"^gr:ok:({digits(1, 9)})$")
PICK_KEY = "grant_pick"
HISTORY = re.compile(r"^hi:([as]:[a-z0-9-]{1,40})$")
MAX_ENTRY_BUTTONS = 40
DEFAULT_INVITE_DAYS = 7


def _role_label(role: str, tr: Translator) -> str:
    if role == ContactRole.INTAKE.value:
        return tr._("mottagning")
    return tr._("kontaktperson")


def _entry_line(number: int, entry: Entry, tr: Translator) -> str:
    mark = "⚠️ " if entry.is_stale else ""
    return tr._("{number}. {mark}{scope} – {role}: {name} (bekräftad {date})").format(
        number=number,
        mark=mark,
        scope=escape(entry.scope_name),
        role=_role_label(entry.role, tr),
        name=escape(entry.name),
        date=tr.date(entry.confirmed_on),
    )


async def confirm_command(update: Update, context: BotContext) -> None:
    """/bekrafta: the admin's entries as a numbered list; a number shows that entry in full."""
    async with user_action(update, context) as action:
        settings = action.services.settings
        stale_after = timedelta(days=settings.stale_after_days)
        try:
            entries = await my_entries(
                action.session,
                actor_of(update, context),
                action.today,
                stale_after,
                timezone=settings.timezone,
            )
        except NotAuthorized:
            await refuse(update, action.tr)
            return
        tr = action.tr
        if not entries:
            await reply(update, tr._("Det finns inga uppgifter i dina områden."))
            return
        shown = entries[:MAX_ENTRY_BUTTONS]
        lines = [
            tr._(
                "Välj en uppgift med dess nummer, så visar jag den i sin helhet innan du "
                "bekräftar den. ⚠️ = inte bekräftad på {days} dagar."
            ).format(days=stale_after.days),
            "",
            *(_entry_line(n, e, tr) for n, e in enumerate(shown, start=1)),
        ]
        buttons = [
            InlineKeyboardButton(str(n), callback_data=f"bk:{e.assignment_id}")
            for n, e in enumerate(shown, start=1)
        ]
        rows = [buttons[i : i + 5] for i in range(0, len(buttons), 5)]
        await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


async def show_entry_button(update: Update, context: BotContext) -> None:
    """A number pressed: the entry in full, and "Stämmer detta?"."""
    async with user_action(update, context) as action:
        settings = action.services.settings
        detail = await run_button(
            update,
            action,
            SHOW,
            lambda found: entry_detail(
                action.session,
                actor_of(update, context),
                int(found.group(1)),
                action.today,
                timedelta(days=settings.stale_after_days),
                timezone=settings.timezone,
            ),
        )
        if detail is None:
            return
        tr = action.tr
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(
                        tr._("✅ Ja, det stämmer"),
                        callback_data=f"bk:ok:{detail.entry.assignment_id}",
                    ),
                    InlineKeyboardButton(tr._("Nej"), callback_data="bk:fix"),
                ]
            ]
        )
        await reply(update, _detail_text(detail, tr), reply_markup=keyboard)


def _detail_text(detail: EntryDetail, tr: Translator) -> str:
    entry = detail.entry
    lines = [
        f"<b>{escape(entry.scope_name)}</b> – {_role_label(entry.role, tr)}",
        f"<b>{escape(entry.name)}</b>",
    ]
    if detail.title:
        lines.append(escape(detail.title))
    if detail.phone:
        lines.append(tr._("Telefon: {phone}").format(phone=escape(detail.phone)))
    if detail.email:
        lines.append(tr._("E-post: {email}").format(email=escape(detail.email)))
    if detail.hours:
        lines.append(tr._("Tider: {hours}").format(hours=escape(detail.hours)))
    if detail.url:
        lines.append(tr._("E-tjänst: {url}").format(url=escape(detail.url)))
    lines.append(tr._("Bekräftad {date}").format(date=tr.date(entry.confirmed_on)))
    lines += ["", tr._("<b>Stämmer detta?</b>")]
    return "\n".join(lines)


async def confirm_button(update: Update, context: BotContext) -> None:
    """ "Ja, det stämmer": stamp the entry as still correct."""
    async with user_action(update, context) as action:
        entry = await run_button(
            update,
            action,
            CONFIRM,
            lambda found: confirm_entry(
                action.session, actor_of(update, context), int(found.group(1)), action.today
            ),
        )
        if entry is None:
            return
        assert update.callback_query is not None
        await update.callback_query.edit_message_reply_markup(None)
        await reply(
            update,
            action.tr._("Bekräftat: {scope} – {name}. Tack!").format(
                scope=escape(entry.scope_name), name=escape(entry.name)
            ),
        )


async def fix_button(update: Update, context: BotContext) -> None:
    """ "Nej": how to put it right; nothing is stamped."""
    assert update.callback_query is not None
    async with user_action(update, context) as action:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
        await reply(
            update,
            action.tr._(
                "Inget har bekräftats. Är det en ny person, använd /overlamning. Är det en "
                "uppgift som ska rättas, använd /planerat för en planerad ändring, eller be "
                "stadens administratör importera den rättade filen från /exportera."
            ),
        )


def _access_help(tr: Translator, *, city_admin: bool) -> str:
    if city_admin:
        return tr._(
            "/behorighet ge &lt;område&gt; – välj en person som har startat boten och gör hen "
            "till administratör\n"
            "/behorighet kod &lt;område&gt; [dagar] – skapa en engångskod att ge vidare\n"
            "Ta bort en behörighet: tryck på personen i listan, så frågar jag först."
        )
    return tr._("/behorighet kod [dagar] – bjud in en kollega till ditt område med en engångskod")


async def access_command(update: Update, context: BotContext) -> None:
    """/behorighet: who administers what, recent changes, invites and (city admins) roles."""
    args = [a for a in (context.args or []) if a.strip()]
    async with user_action(update, context) as action:
        actor = actor_of(update, context)
        granted = await authz.permissions(action.session, actor)
        verb, rest = (args[0].lower(), args[1:]) if args else ("", [])
        try:
            if not args:
                await _overview(update, action, actor, granted)
            elif verb in ("ge", "grant"):
                await _ask_for_user(update, context, action, actor, rest)
            elif verb in ("kod", "code"):
                await _create_code(update, action, actor, granted, rest)
            else:  # "ta" and anything else: the list has the revoke buttons
                await authz.require_admin(action.session, actor, "grant.help")
                await _overview(update, action, actor, granted)
        except NotAuthorized as error:
            await reply(update, _missing_right(error.action, granted, action))


def _missing_right(what: str, granted: authz.Permissions, action: Action) -> str:
    """The refusal, saying exactly which right is missing and what the admin can do instead."""
    tr = action.tr
    if not granted.is_admin:
        return tr._(
            "Behörigheter ges med en engångskod från en administratör för ditt område eller "
            "från stadens administratörer. Har du fått en kod, skriv /kod och koden."
        )
    names = ", ".join(sorted(action.services.geography.area(area).name for area in granted.areas))
    if what == "invite.create":
        return tr._(
            "Du är administratör för {areas} och kan bara bjuda in kollegor dit. Skriv "
            "/behorighet kod för en engångskod."
        ).format(areas=escape(names))
    return tr._(
        "Att ge eller ta bort behörigheter direkt kan bara stadens administratörer. Du är "
        "administratör för {areas} och kan bjuda in en kollega dit med /behorighet kod."
    ).format(areas=escape(names))


async def _overview(
    update: Update, action: Action, actor: authz.Actor, granted: authz.Permissions
) -> None:
    tr = action.tr
    active = await grants.visible_grants(action.session, actor)
    zone = action.services.settings.timezone
    lines = [tr._("<b>Administratörer per område</b>")]
    rows = []
    for grant in active:
        area = action.services.geography.area(grant.area_id).name
        since = tr.date(local_date(grant.granted_at, zone))
        lines.append(
            tr._("• {user} – {area}, sedan {date}").format(
                user=grant.user_id, area=escape(area), date=since
            )
        )
        if granted.city_admin:
            label = tr._("Ta bort {user} ({area})").format(user=grant.user_id, area=area)
            rows.append([InlineKeyboardButton(label, callback_data=f"gr:rv:{grant.id}")])
    if not active:
        lines.append(tr._("Inga ännu."))
    changes = await grants.role_changes(action.session, actor)
    if changes:
        lines += ["", tr._("<b>Senaste ändringar</b>")]
        lines += [_change_line(event, action) for event in changes]
    lines += ["", _access_help(tr, city_admin=granted.city_admin)]
    await reply(update, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


def _change_line(event: AuditEvent, action: Action) -> str:
    tr = action.tr
    data = event.after or event.before or {}
    area_id = str(data.get("area_id") or "")
    area = action.services.geography.area(area_id).name if area_id else "?"
    texts = {
        "grant.add": tr._("{date}: {user} blev administratör för {area} (av {by})"),
        "grant.revoke": tr._("{date}: {user} är inte längre administratör för {area} (av {by})"),
        "invite.create": tr._("{date}: {by} skapade en engångskod för {area}"),
        "invite.redeem": tr._("{date}: {by} använde en engångskod för {area}"),
    }
    return "• " + texts[event.action].format(
        date=tr.date(local_date(event.at, action.services.settings.timezone)),
        user=data.get("user_id", "?"),
        area=escape(area),
        by=escape(event.actor),
    )


async def _ask_for_user(
    update: Update, context: BotContext, action: Action, actor: authz.Actor, rest: list[str]
) -> None:
    """A city admin picks the person with Telegram's own user picker, never a typed id."""
    tr = action.tr
    await authz.require_city_admin(action.session, actor, "grant.add", "-")
    if rest and rest[0].isdecimal():
        await reply(
            update,
            tr._(
                "Jag tar inte emot telegram-id:n som skrivs in. Skriv /behorighet ge och "
                "området, och välj personen med knappen – eller ge hen en engångskod."
            ),
        )
        return
    area_id = find_area(action.services.geography.areas, " ".join(rest))
    if area_id is None:
        await reply(update, tr._("Skriv till exempel: /behorighet ge Kungsholmen"))
        return
    request_id = secrets.randbelow(2**31 - 1) + 1
    # In the database, not in memory: the picked person may reach another replica.
    await save_wizard(
        action.session,
        *_user_and_chat(update),
        PICK_KEY,
        StoredWizard(0, {"request_id": request_id, "area_id": area_id}),
    )
    picker = KeyboardButton(
        tr._("Välj person"),
        request_users=KeyboardButtonRequestUsers(
            request_id, user_is_bot=False, max_quantity=1, request_name=True
        ),
    )
    await reply(
        update,
        tr._(
            "Vem ska bli administratör för {area}? Tryck på knappen och välj personen. Hen "
            "måste ha startat Kontaktlotsen (skrivit /start till mig)."
        ).format(area=escape(action.services.geography.area(area_id).name)),
        reply_markup=ReplyKeyboardMarkup([[picker]], one_time_keyboard=True, resize_keyboard=True),
    )


def _user_and_chat(update: Update) -> tuple[int, int]:
    assert update.effective_user is not None and update.effective_chat is not None
    return update.effective_user.id, update.effective_chat.id


async def picked_user(update: Update, context: BotContext) -> None:
    """The person picked with the button: give them the role (audited), and their menu."""
    message = update.message
    assert message is not None and message.users_shared is not None
    shared = message.users_shared
    async with user_action(update, context) as action:
        tr = action.tr
        stored = await load_wizard(action.session, *_user_and_chat(update), PICK_KEY)
        await end_wizard(action.session, *_user_and_chat(update), PICK_KEY)
        pending = stored.answers if stored is not None else None
        done = ReplyKeyboardRemove()
        if not pending or pending.get("request_id") != shared.request_id or not shared.users:
            await reply(
                update, tr._("Börja om med /behorighet ge och området."), reply_markup=done
            )
            return
        person = shared.users[0]
        area_id = str(pending["area_id"])
        try:
            _, is_new = await grants.grant_picked_user(
                action.session, actor_of(update, context), person.user_id, area_id
            )
        except NotStarted:
            text = tr._(
                "{name} har inte startat Kontaktlotsen än. Be hen skriva /start till mig och "
                "försök igen, eller ge hen en engångskod med /behorighet kod."
            )
        except NotAuthorized:
            await refuse(update, tr)
            return
        else:
            await menus.show_admin_menu(update.get_bot(), person.user_id)
            text = (
                tr._("{name} är nu administratör för {area}.")
                if is_new
                else tr._("{name} är redan administratör för {area}.")
            )
        await reply(
            update,
            text.format(
                name=escape(person.first_name or str(person.user_id)),
                area=escape(action.services.geography.area(area_id).name),
            ),
            reply_markup=done,
        )


async def _menu_after_revoke(update: Update, action: Action, user_id: int) -> None:
    """The admin commands leave the menu once the user holds no role at all."""
    actor = authz.Actor.telegram(user_id, action.services.settings.city_admin_ids)
    if not (await authz.permissions(action.session, actor)).is_admin:
        await menus.hide_admin_menu(update.get_bot(), user_id)


async def _create_code(
    update: Update,
    action: Action,
    actor: authz.Actor,
    granted: authz.Permissions,
    rest: list[str],
) -> None:
    tr = action.tr
    days = DEFAULT_INVITE_DAYS
    typed_days = parse_int(rest[-1], max_digits=4) if rest else None
    if typed_days is not None:
        days, rest = typed_days, rest[:-1]
    area_id = find_area(action.services.geography.areas, " ".join(rest)) if rest else None
    if not rest and len(granted.areas) == 1 and not granted.city_admin:
        (area_id,) = granted.areas  # an area admin invites a colleague to her own area
    try:
        created = await invites.create_invite(
            action.session, actor, area_id, days, action.services.clock.now()
        )
    except (UnknownArea, InvalidInviteDays):
        await reply(
            update,
            tr._("Skriv till exempel: /behorighet kod Kungsholmen 7 (högst {max} dagar).").format(
                max=invites.MAX_DAYS
            ),
        )
        return
    expires_on = local_date(created.expires_at, action.services.settings.timezone)
    await reply(
        update,
        tr._(
            "Engångskod för administratör i {area}: <code>{code}</code>\n"
            "Gäller till {date}. Den som fått koden skriver /kod {code} till mig."
        ).format(
            area=escape(action.services.geography.area(created.area_id).name),
            code=created.code,
            date=tr.date(expires_on),
        ),
    )


async def revoke_button(update: Update, context: BotContext) -> None:
    """A person in the list: ask before their role is taken away."""
    async with user_action(update, context) as action:
        grant = await run_button(
            update,
            action,
            REVOKE,
            lambda found: grants.grant_to_revoke(
                action.session, actor_of(update, context), int(found.group(1))
            ),
        )
        if grant is None:
            return
        tr = action.tr
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(tr._("Ja, ta bort"), callback_data=f"gr:ok:{grant.id}"),
                    InlineKeyboardButton(tr._("Avbryt"), callback_data="gr:no"),
                ]
            ]
        )
        await reply(
            update,
            tr._("Ta bort behörigheten för {user} i {area}?").format(
                user=grant.user_id,
                area=escape(action.services.geography.area(grant.area_id).name),
            ),
            reply_markup=keyboard,
        )


async def revoke_confirmed(update: Update, context: BotContext) -> None:
    """ "Ja, ta bort": revoke the role (audited); their menu loses the admin commands."""
    async with user_action(update, context) as action:
        grant = await run_button(
            update,
            action,
            REVOKE_OK,
            lambda found: grants.revoke_grant(
                action.session, actor_of(update, context), int(found.group(1))
            ),
        )
        if grant is None:
            return
        assert update.callback_query is not None
        await update.callback_query.edit_message_reply_markup(None)
        await _menu_after_revoke(update, action, grant.user_id)
        await reply(
            update,
            action.tr._("{user} är inte längre administratör för {area}.").format(
                user=grant.user_id,
                area=escape(action.services.geography.area(grant.area_id).name),
            ),
        )


async def revoke_cancelled(update: Update, context: BotContext) -> None:
    """ "Avbryt": nothing changes."""
    assert update.callback_query is not None
    async with user_action(update, context) as action:
        await update.callback_query.answer()
        await update.callback_query.edit_message_reply_markup(None)
        await reply(update, action.tr._("Inget har ändrats."))


async def redeem_command(update: Update, context: BotContext) -> None:
    """/kod <code>: an invite code makes the sender an area admin."""
    assert update.effective_user is not None
    code = "".join(context.args or [])
    async with user_action(update, context) as action:
        tr = action.tr
        if not code:
            await reply(update, tr._("Skriv /kod följt av koden du har fått."))
            return
        try:
            grant = await invites.redeem_invite(
                action.session, update.effective_user.id, code[:40], action.services.clock.now()
            )
        except InvalidInvite as error:
            problems = {
                InviteProblem.UNKNOWN: tr._("Den koden känner jag inte till. Kontrollera den."),
                InviteProblem.USED: tr._("Den koden har redan använts. Be om en ny."),
                InviteProblem.EXPIRED: tr._("Den koden har gått ut. Be om en ny."),
                InviteProblem.TOO_MANY: tr._(
                    "Du har försökt med för många koder. Vänta tio minuter och försök igen."
                ),
            }
            await reply(update, problems[error.problem])
            return
        await menus.show_admin_menu(update.get_bot(), update.effective_user.id)
        await reply(
            update,
            tr._(
                "Välkommen! Du är nu administratör för {area}.\n"
                "/overlamning – ny kontaktperson\n/franvaro – frånvaro med ersättare\n"
                "/bekrafta – bekräfta att uppgifterna stämmer\n/historik – tidigare kontakter\n"
                "/leveranser – meddelanden som inte gått fram"
            ).format(area=escape(action.services.geography.area(grant.area_id).name)),
        )


async def history_command(update: Update, context: BotContext) -> None:
    """/historik <skola|område>: every contact person there, with absences and handovers."""
    query = " ".join(context.args or [])
    async with user_action(update, context) as action:
        tr = action.tr
        if not query.strip() or is_too_long(query):
            await reply(update, tr._("Skriv till exempel: /historik Kungsholmen"))
            return
        found = action.services.index.find_scope(query)
        candidates = found.candidates
        if found.chosen is not None:
            try:
                shown = await scope_history(
                    action.session, actor_of(update, context), found.chosen.key
                )
            except UnknownTarget:
                pass  # the index is a moment behind the database: offer the candidates
            else:
                await reply(update, _history_text(shown, tr))
                return
        if candidates:
            rows = [
                [InlineKeyboardButton(c.name, callback_data=f"hi:{c.key}")] for c in candidates[:5]
            ]
            await reply(update, tr._("Vilken menar du?"), reply_markup=InlineKeyboardMarkup(rows))
            return
        await reply(update, tr._("Jag hittade ingen skola eller inget område med det namnet."))


async def history_button(update: Update, context: BotContext) -> None:
    """The history of the scope chosen from a list."""
    async with user_action(update, context) as action:
        shown = await run_button(
            update,
            action,
            HISTORY,
            lambda found: scope_history(action.session, actor_of(update, context), found.group(1)),
        )
        if shown is not None:
            await reply(update, _history_text(shown, action.tr))


def _history_text(shown: ScopeHistory, tr: Translator) -> str:
    lines = [tr._("<b>Kontaktpersoner för {scope}</b>").format(scope=escape(shown.scope.name))]
    if shown.inherited:
        lines.append(tr._("Skolan har ingen egen kontaktperson; områdets gäller:"))
    if not shown.lines:
        lines.append(tr._("Ingen kontaktperson har registrerats."))
    for line in shown.lines:
        lines += _history_lines(line, tr)
    return "\n".join(lines)


def _history_lines(line: HistoryLine, tr: Translator) -> list[str]:
    start = tr.date(line.valid_from)
    if line.valid_to is None:
        period = tr._("från {start}").format(start=start)
    else:
        period = tr._("{start} – {end}").format(start=start, end=tr.date(line.valid_to))
    lines = [f"• {period}: <b>{escape(line.name)}</b>"]
    for starts, back, deputy in line.absences:
        lines.append(
            "   "
            + tr._("borta {start} – tillbaka {back}, ersättare {deputy}").format(
                start=tr.date(starts), back=tr.date(back), deputy=escape(deputy)
            )
        )
    if line.note:
        lines.append("   " + tr._("Notering: {note}").format(note=escape(line.note)))
    if line.deliveries is not None:
        counts = line.deliveries
        lines.append(
            "   "
            + tr._(
                "Meddelanden: {sent} skickade, {pending} väntar, {failed} misslyckades."
            ).format(sent=counts.sent, pending=counts.pending, failed=counts.failed)
        )
    return lines


async def deliveries_command(update: Update, context: BotContext) -> None:
    """/leveranser: notifications about the admin's areas that could not be delivered."""
    async with user_action(update, context) as action:
        tr = action.tr
        try:
            granted = await authz.require_admin(
                action.session, actor_of(update, context), "deliveries"
            )
        except NotAuthorized:
            await refuse(update, tr)
            return
        failed = await outbox.failed_in_areas(action.session, granted.area_filter)
        pending = await outbox.pending_count(action.session, granted.area_filter)
        lines = [
            tr._("<b>Meddelanden</b>"),
            tr._("Väntar på att skickas: {count}").format(count=pending),
        ]
        if not failed:
            lines.append(tr._("Inga misslyckade leveranser."))
        for item in failed:
            lines.append(
                tr._("• {date}, mottagare …{tail}: {error} ({attempts} försök)").format(
                    date=tr.date(local_date(item.created_at, action.services.settings.timezone)),
                    tail=str(item.chat_id)[-4:],
                    error=escape(item.last_error or "?"),
                    attempts=item.attempts,
                )
            )
        await reply(update, "\n".join(lines))


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler(["bekrafta", "confirm"], confirm_command),
        CallbackQueryHandler(confirm_button, pattern=r"^bk:ok:"),
        CallbackQueryHandler(fix_button, pattern=r"^bk:fix$"),
        CallbackQueryHandler(show_entry_button, pattern=r"^bk:"),
        CommandHandler(["behorighet", "access"], access_command),
        CallbackQueryHandler(revoke_confirmed, pattern=r"^gr:ok:"),
        CallbackQueryHandler(revoke_cancelled, pattern=r"^gr:no$"),
        CallbackQueryHandler(revoke_button, pattern=r"^gr:"),
        MessageHandler(filters.StatusUpdate.USERS_SHARED, picked_user),
        CommandHandler(["kod", "code"], redeem_command),
        CommandHandler(["historik", "history"], history_command),
        CallbackQueryHandler(history_button, pattern=r"^hi:"),
        CommandHandler(["leveranser", "deliveries"], deliveries_command),
    ]
