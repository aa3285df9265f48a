"""Cards that travel: "Spara kontakt" (the numbers into the phone's address book) and "Dela".

Callback data (checked against the directory on every press; a forged or stale one gets a
polite answer and nothing else):
  sc:s:<school id>   the contacts of a school's card      sc:a:<area id>   of an area's card
  sc:h:<area id>     the intake unit and socialjour for a child living in that area

"Spara kontakt" looks the card up again when pressed, so it always saves who is in charge now
(after a handover, the new person). Each number goes out as a Telegram contact (`sendContact`,
E.164 with a small vCard), which the phone offers to add to its address book.

"Dela" opens the user's chat list: with inline mode on (`getMe` says so) it starts an inline
query for the place, so the card itself is posted in the chosen chat; otherwise it uses
Telegram's share link with the deep link to the card in the bot.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from telegram import InlineKeyboardButton, Update
from telegram.ext import BaseHandler, CallbackQueryHandler

from bot.i18n import Translator
from bot.services.contacts import ContactCard
from bot.services.deeplinks import area_payload, deep_link, pick_username, school_payload
from bot.services.deeplinks import share_link as telegram_share_link
from bot.services.saved_contacts import SavedContact, card_contacts, intake_contacts
from handlers.common import Action, BotContext, user_action

SAVE = re.compile(r"^sc:(s|a|h):([a-z0-9-]{1,40})$")


@dataclass(frozen=True)
class BotLinks:
    """How this bot can be linked to: its username, and whether inline mode is on."""

    username: str
    inline: bool

    def to(self, payload: str) -> str:
        return deep_link(self.username, payload)


def bot_links(context: BotContext) -> BotLinks | None:
    """The username from `getMe` when a token is set, else TELEGRAM_BOT_USERNAME; None if
    neither is known (then nothing links to the bot)."""
    settings = context.services.settings
    username = pick_username(
        context.bot.username,
        settings.telegram_bot_username,
        has_token=settings.has_token,
    )
    if username is None:
        return None
    return BotLinks(username, bool(settings.has_token and context.bot.supports_inline_queries))


def card_payload(card: ContactCard) -> str:
    return school_payload(card.school.id) if card.school else area_payload(card.area.id)


def card_place(card: ContactCard) -> str:
    return card.school.name if card.school else card.area.name


def save_button(kind: str, ref: str | int, tr: Translator) -> InlineKeyboardButton:
    """ "📇 Spara kontakt": `kind` s (a school's card), a (an area's card), h (an intake card)."""
    return InlineKeyboardButton(tr._("📇 Spara kontakt"), callback_data=f"sc:{kind}:{ref}")


def card_save_button(card: ContactCard, tr: Translator) -> InlineKeyboardButton:
    if card.school is not None:
        return save_button("s", card.school.id, tr)
    return save_button("a", card.area.id, tr)


def share_button(
    card: ContactCard, links: BotLinks | None, tr: Translator
) -> InlineKeyboardButton | None:
    """ "↗️ Dela": the card via inline mode, else a share link to it; None without a username."""
    if links is None:
        return None
    label = tr._("↗️ Dela")
    place = card_place(card)
    if links.inline:
        return InlineKeyboardButton(label, switch_inline_query=place)
    text = tr._("Kontaktlotsen: vem skolan kontaktar i socialtjänsten – {place}").format(
        place=place
    )
    return InlineKeyboardButton(label, url=telegram_share_link(links.to(card_payload(card)), text))


async def _contacts_for(action: Action, kind: str, ref: str) -> list[SavedContact] | None:
    """The contacts to save, or None when the button names nothing that exists."""
    directory, today = action.services.cards, action.today
    note = action.tr._("Från Kontaktlotsen")
    if kind == "s":
        if not ref.isascii() or not ref.isdigit():
            return None
        card = await directory.card_for_school(action.session, int(ref), today)
    elif kind == "a":
        card = await directory.card_for_area(action.session, ref, today)
    else:
        intake = await directory.intake_for_area(action.session, ref, today)
        return None if intake is None else intake_contacts(intake, note)
    return None if card is None else card_contacts(card, note)


async def save_contacts(update: Update, context: BotContext) -> None:
    """Send each number of the card as a Telegram contact, ready for the address book."""
    query = update.callback_query
    assert query is not None
    found = SAVE.match(query.data or "")
    async with user_action(update, context) as action:
        tr = action.tr
        contacts = await _contacts_for(action, *found.groups()) if found else None
    if contacts is None:
        await query.answer(
            tr._("Den knappen fungerar inte längre. Skriv namnet på skolan igen."),
            show_alert=True,
        )
        return
    if not contacts:
        await query.answer(tr._("Det finns inget telefonnummer att spara här."), show_alert=True)
        return
    await query.answer(tr._("Tryck på kontakten och välj Lägg till för att spara den."))
    chat = update.effective_chat
    assert chat is not None
    for contact in contacts:
        await chat.send_contact(
            phone_number=contact.phone_number,
            first_name=contact.first_name,
            vcard=contact.vcard or None,
        )


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [CallbackQueryHandler(save_contacts, pattern=r"^sc:")]
