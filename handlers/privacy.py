"""/mina_uppgifter: what the bot keeps about me; /glom_mig: erase it, after a confirm button.

Callback data: "forget:yes" erases, "forget:no" cancels. The press is checked again in its own
transaction (an admin role granted in between still refuses), so a stale button is harmless.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.clock import local_date
from bot.i18n import Translator
from bot.services import personal_data
from bot.services.personal_data import PersonalData, StillAdmin
from handlers.common import BotContext, reply, user_action

FORGET_YES = "forget:yes"
FORGET_NO = "forget:no"


def authored_text(data: PersonalData, tr: Translator) -> str:
    """The changes to the register that name the user as the one responsible, counted."""
    counts = [
        tr.ngettext(
            "{n} post i ändringsloggen", "{n} poster i ändringsloggen", data.audit_entries
        ).format(n=data.audit_entries),
        tr.ngettext("{n} överlämning", "{n} överlämningar", data.handovers_recorded).format(
            n=data.handovers_recorded
        ),
        tr.ngettext("{n} frånvaro", "{n} frånvaron", data.absences_recorded).format(
            n=data.absences_recorded
        ),
        tr.ngettext("{n} behörighet", "{n} behörigheter", data.grants_given).format(
            n=data.grants_given
        ),
        tr.ngettext("{n} inbjudan", "{n} inbjudningar", data.invites_created).format(
            n=data.invites_created
        ),
    ]
    return tr._("Med ditt id som ansvarig: {counts}").format(counts=", ".join(counts))


DayText = Callable[[datetime], str]


def render_data(
    data: PersonalData, tr: Translator, timezone: str, privacy_contact: str = ""
) -> str:
    """Everything stored about the user, in plain words; dates are the day in `timezone`."""

    def day(value: datetime) -> str:
        return tr.date(local_date(value, timezone))

    lines = [tr._("<b>Det här sparar jag om dig</b>"), ""]
    lines += _identity_lines(data, tr, day)
    lines += _role_lines(data, tr, day)
    lines += _guide_lines(data, tr, day)
    pending = data.notifications.get("pending", 0)
    stored = sum(data.notifications.values())
    lines.append(
        tr._("Aviseringar till dig: {pending} väntar, {stored} sparade totalt").format(
            pending=pending, stored=stored
        )
    )
    if data.invites_redeemed:
        lines.append(tr._("Inbjudningskoder du har använt: {n}").format(n=data.invites_redeemed))
    authored = (
        data.audit_entries
        + data.handovers_recorded
        + data.absences_recorded
        + data.grants_given
        + data.invites_created
    )
    if authored:
        lines.append(authored_text(data, tr))
    return "\n".join([*lines, "", *_closing_lines(tr, privacy_contact)])


def _identity_lines(
    data: PersonalData, tr: Translator, day: Callable[[datetime], str]
) -> list[str]:
    lines = [tr._("Telegram-id: {id}").format(id=data.user_id)]
    if data.first_seen_at is None:
        lines.append(tr._("Först sedd: inte sparat (du har inte skrivit /start)"))
    else:
        lines.append(tr._("Först sedd: {date}").format(date=day(data.first_seen_at)))
    language = {"sv": "svenska", "en": "English"}.get(data.language or "")
    lines.append(
        tr._("Valt språk: {language}").format(language=language)
        if language
        else tr._("Valt språk: inget (jag följer Telegrams språk)")
    )
    if data.follows:
        lines.append(tr._("Du följer:"))
        for follow in data.follows:
            suffix = "" if follow.active else " " + tr._("(vilande)")
            lines.append(f"• {escape(follow.name)}{suffix}")
    else:
        lines.append(tr._("Du följer ingen skola eller inget område."))
    return lines


def _role_lines(data: PersonalData, tr: Translator, day: DayText) -> list[str]:
    lines = []
    if data.is_city_admin:
        lines.append(tr._("Roll: stadsadministratör (enligt bottens inställningar)"))
    for grant in data.grants:
        if grant.revoked_at is None:
            text = tr._("Roll: administratör för {area} sedan {date}")
            lines.append(text.format(area=escape(grant.area_name), date=day(grant.granted_at)))
        else:
            text = tr._("Tidigare roll: administratör för {area} till {date}")
            lines.append(text.format(area=escape(grant.area_name), date=day(grant.revoked_at)))
    return lines


def _guide_lines(data: PersonalData, tr: Translator, day: DayText) -> list[str]:
    lines = []
    if data.guide_saved_at is not None:
        lines.append(
            tr._(
                "Guiden /anmalan: ditt läge (steg {steps}) sparat {date}. Läget visar vilka "
                "svar du valde i guiden (till exempel om du misstänkte våld i familjen), "
                "inget om barnet."
            ).format(steps=data.guide_steps, date=day(data.guide_saved_at))
        )
    if data.checkin_due_on is not None:
        lines.append(
            tr._(
                "Uppföljning: jag ska fråga dig {date} om du har fått återkoppling "
                "(bara ditt id, dagen och skolans område och huvudman)."
            ).format(date=tr.date(data.checkin_due_on))
        )
    return lines


def _closing_lines(tr: Translator, privacy_contact: str) -> list[str]:
    ask = (
        tr._("Frågor om dina personuppgifter: {contact}.").format(contact=escape(privacy_contact))
        if privacy_contact.strip()
        else tr._(
            "Frågor om dina personuppgifter besvaras av förvaltningen som driver boten och "
            "dess dataskyddsombud."
        )
    )
    return [
        tr._(
            "Det du skriver i sökningar och om barn sparar jag inte. Statistiken är bara antal "
            "per dag och område, utan vem."
        ),
        tr._("Radera allt: /glom_mig.") + " " + ask,
    ]


async def my_data(update: Update, context: BotContext) -> None:
    """/mina_uppgifter: show everything stored about the user."""
    user = update.effective_user
    assert user is not None
    async with user_action(update, context) as action:
        settings = action.services.settings
        data = await personal_data.collect(action.session, user.id, settings.city_admin_ids)
        text = render_data(data, action.tr, settings.timezone, settings.privacy_contact)
        await reply(update, text)


def still_admin_text(error: StillAdmin, tr: Translator) -> str:
    parts = []
    if error.areas:
        parts.append(
            tr._(
                "Du är administratör för {areas}. Be en stadsadministratör att ta bort "
                "behörigheten först (/behorighet)."
            ).format(areas=escape(", ".join(error.areas)))
        )
    if error.city_admin:
        parts.append(
            tr._(
                "Du är stadsadministratör enligt bottens inställningar. Den som driftar boten "
                "behöver först ta bort ditt id ur CITY_ADMIN_IDS."
            )
        )
    parts.append(
        tr._(
            "Så länge du har en roll behöver ändringarna i registret ha en ansvarig. Efter det "
            "kan du radera dina uppgifter; i ändringsloggen ersätts ditt id då med en pseudonym."
        )
    )
    return "\n\n".join(parts)


async def ask_forget(update: Update, context: BotContext) -> None:
    """/glom_mig: say what erasure does and ask for confirmation."""
    user = update.effective_user
    assert user is not None
    async with user_action(update, context) as action:
        tr = action.tr
        try:
            await personal_data.require_erasable(
                action.session, user.id, action.services.settings.city_admin_ids
            )
        except StillAdmin as error:
            await reply(update, still_admin_text(error, tr))
            return
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(tr._("Ja, radera allt"), callback_data=FORGET_YES),
                    InlineKeyboardButton(tr._("Avbryt"), callback_data=FORGET_NO),
                ]
            ]
        )
        await reply(
            update,
            tr._(
                "Vill du att jag glömmer dig? Jag raderar ditt språkval, det du följer, "
                "aviseringar till dig och ditt läge i guiden. Om du har ändrat i registret "
                "ersätts ditt Telegram-id i ändringsloggen med en pseudonym.\n\n"
                "Det går inte att ångra."
            ),
            reply_markup=keyboard,
        )


async def forget(update: Update, context: BotContext) -> None:
    """The confirm button: erase, or explain why not."""
    query = update.callback_query
    assert query is not None
    user = query.from_user
    async with user_action(update, context) as action:
        tr = action.tr
        if query.data != FORGET_YES:
            await query.answer()
            await query.edit_message_text(tr._("Avbrutet. Inget är raderat."))
            return
        settings = action.services.settings
        try:
            await personal_data.erase(
                action.session,
                user.id,
                city_admin_ids=settings.city_admin_ids,
                configured_key=settings.pseudonym_key,
            )
        except StillAdmin as error:
            await query.answer()
            await query.edit_message_text(still_admin_text(error, tr))
            return
    # Nothing in memory either (PTB keeps user and chat data per id while it runs).
    context.application.drop_user_data(user.id)
    if update.effective_chat is not None:
        context.application.drop_chat_data(update.effective_chat.id)
    await query.answer()
    await query.edit_message_text(
        tr._(
            "Klart. Jag har raderat det jag hade sparat om dig. Skriver du till mig igen "
            "sparar jag bara det som behövs för att svara, till exempel ett språkval."
        )
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler(["mina_uppgifter", "my_data"], my_data),
        CommandHandler(["glom_mig", "forget_me"], ask_forget),
        CallbackQueryHandler(forget, pattern=r"^forget:"),
    ]
