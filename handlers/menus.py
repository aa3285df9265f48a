"""The Telegram command menus: staff commands for everyone, admin commands in admins' chats.

Telegram picks the menu per chat: a chat-scoped list (`BotCommandScopeChat`) wins over the
default one, in the user's language when one is set for it. So each admin's private chat gets
the staff commands plus the admin commands, in Swedish and English; a revoked admin's chat
goes back to the default. They are set when a role is granted, redeemed or revoked, and at
start for everyone who holds a role (`sync_admin_menus`).
"""

from __future__ import annotations

import logging

from telegram import Bot, BotCommand, BotCommandScopeChat
from telegram.error import TelegramError

from bot.i18n import N_, Translator, translator

log = logging.getLogger(__name__)

# (Swedish command, English alias, description). Both names always work.
STAFF_MENU = (
    ("kontakt", "contact", N_("Sök kontakt för en skola eller ett område")),
    ("anmalan", "report", N_("Orosanmälan steg för steg")),
    ("omraden", "areas", N_("De 11 stadsdelsområdena")),
    ("stodmaterial", "support_material", N_("Stadens stödmaterial för samverkan")),
    ("folj", "follow", N_("Få besked när kontaktpersonen byts")),
    ("foljer", "following", N_("Det du följer")),
    ("sprak", "language", N_("Byt språk")),
    ("mina_uppgifter", "my_data", N_("Vad jag sparar om dig")),
    ("hjalp", "help", N_("Hjälp")),
)
ADMIN_MENU = (
    ("overlamning", "handover", N_("Ny kontaktperson från ett datum")),
    ("planerat", "planned", N_("Planerade överlämningar: ändra eller återkalla")),
    ("franvaro", "absence", N_("Frånvaro med ersättare")),
    ("bekrafta", "confirm", N_("Bekräfta att uppgifterna stämmer")),
    ("exportera", "export", N_("Kontaktuppgifterna som fil för Excel")),
    ("historik", "history", N_("Tidigare kontaktpersoner")),
    ("leveranser", "deliveries", N_("Meddelanden som inte gått fram")),
    ("behorighet", "access", N_("Administratörer och engångskoder")),
    ("statistik", "stats", N_("Uppföljning, senaste 30 dagarna")),
    ("affisch", "poster", N_("Affisch med QR-kod för en skola")),
)
Menu = tuple[tuple[str, str, str], ...]
LANGUAGES = ("sv", "en")


def commands(menu: Menu, language: str) -> list[BotCommand]:
    tr = translator(language)
    return [BotCommand(sv if language == "sv" else en, tr._(text)) for sv, en, text in menu]


def admin_help(tr: Translator) -> str:
    """The admin commands for /hjalp, in the reader's language."""
    english = tr.language == "en"
    lines = [tr._("<b>För administratörer</b>")]
    for sv, en, text in ADMIN_MENU:
        lines.append(f"/{en if english else sv} – {tr._(text)}")
    return "\n".join(lines)


async def set_default_menus(bot: Bot) -> None:
    await bot.set_my_commands(commands(STAFF_MENU, "sv"))
    for language in LANGUAGES:
        await bot.set_my_commands(commands(STAFF_MENU, language), language_code=language)


async def show_admin_menu(bot: Bot, chat_id: int) -> bool:
    """Give an admin's private chat the admin commands too; False if Telegram refused."""
    scope = BotCommandScopeChat(chat_id)
    try:
        await bot.set_my_commands(commands(STAFF_MENU + ADMIN_MENU, "sv"), scope=scope)
        for language in LANGUAGES:
            await bot.set_my_commands(
                commands(STAFF_MENU + ADMIN_MENU, language), scope=scope, language_code=language
            )
    except TelegramError as error:  # e.g. the chat is unknown: they never started the bot
        log.warning("Could not set an admin's command menu: %s", error.message)
        return False
    return True


async def hide_admin_menu(bot: Bot, chat_id: int) -> bool:
    """Back to the staff menu for a chat whose admin role is gone."""
    scope = BotCommandScopeChat(chat_id)
    try:
        await bot.delete_my_commands(scope=scope)
        for language in LANGUAGES:
            await bot.delete_my_commands(scope=scope, language_code=language)
    except TelegramError as error:
        log.warning("Could not reset a command menu: %s", error.message)
        return False
    return True


async def sync_admin_menus(bot: Bot, admins: set[int], former: set[int]) -> None:
    """At start: admins see the admin commands, and former admins no longer do."""
    for chat_id in sorted(admins):
        await show_admin_menu(bot, chat_id)
    for chat_id in sorted(former - admins):
        await hide_admin_menu(bot, chat_id)
