"""Stop any message that holds a personnummer before a handler, a log line or a counter sees it.

Registered in group -1, so it runs first for every update; it raises `ApplicationHandlerStop`
after warning, which ends processing in all groups. It touches no database (not even for the
user's language) so nothing about the message can be written anywhere.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.services.privacy import contains_personal_number
from handlers.common import BotContext, fallback_translator, reply

log = logging.getLogger(__name__)


def _incoming_text(update: Update) -> str | None:
    message = update.message or update.edited_message
    if message is None:
        return None
    return message.text or message.caption


async def block_personal_numbers(update: Update, context: BotContext) -> None:
    """Delete the message where Telegram allows it, explain why, and stop all processing."""
    text = _incoming_text(update)
    if text is None or not contains_personal_number(text):
        return
    message = update.message or update.edited_message
    assert message is not None
    deleted = False
    try:
        deleted = bool(await message.delete())
    except TelegramError:
        # Only the fact, never the message: the log must not carry it.
        log.info("Could not delete a message that held a personal identity number")
    tr = fallback_translator(update, context)
    warning = tr._(
        "Ditt meddelande innehöll något som liknar ett personnummer. Jag har inte läst vidare "
        "och inte sparat något.\n\n"
        "Skriv aldrig personnummer, namn eller andra uppgifter om ett barn här. De hör hemma i "
        "skolans egna system och i anmälan till socialtjänsten."
    )
    if not deleted:
        warning += "\n\n" + tr._("Radera gärna meddelandet själv.")
    await reply(update, warning)
    raise ApplicationHandlerStop


def build_handler() -> BaseHandler[Update, BotContext, Any]:
    return TypeHandler(Update, block_personal_numbers)
