"""Stop any update that holds a personnummer before a handler, a log line or a counter sees it.

Registered in group -2, so it runs first for every update, of every kind: new and edited
messages, channel posts, business messages, inline queries. It reads every field that can
carry text a person typed or chose (text, caption, file names, a shared contact, a poll, a
venue, a quoted or replied-to text, a checklist). On a hit it stops all processing: in a
private chat with the bot it deletes the message where Telegram allows and explains why;
elsewhere (a business chat, an inline query) it stays silent, since the bot never answers
there. A hit in a group or channel is left to the chat rule (group -1), which leaves the chat
and reads no text. It touches no database, so nothing about the message is written anywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from bot.services.privacy import contains_personal_number
from handlers.chat_rules import chat_kind
from handlers.common import BotContext, fallback_translator, reply

log = logging.getLogger(__name__)


def _file_names(message: Message) -> Iterator[str | None]:
    for media in (message.document, message.audio, message.video, message.animation):
        if media is not None:
            yield media.file_name
    if message.audio is not None:
        yield message.audio.title
        yield message.audio.performer


def _shared_fields(message: Message) -> Iterator[str | None]:
    """A contact card, a poll, a venue, a checklist: text the person chose to send."""
    if message.contact is not None:
        contact = message.contact
        yield from (contact.first_name, contact.last_name, contact.phone_number, contact.vcard)
    if message.poll is not None:
        yield message.poll.question
        yield message.poll.explanation
        yield from (option.text for option in message.poll.options)
    if message.venue is not None:
        yield from (message.venue.title, message.venue.address)
    if message.checklist is not None:
        yield message.checklist.title
        yield from (task.text for task in message.checklist.tasks)


def message_texts(message: Message) -> Iterator[str | None]:
    """Every field of one message that can hold text a person wrote or chose."""
    yield message.text
    yield message.caption
    yield from _file_names(message)
    yield from _shared_fields(message)
    if message.quote is not None:
        yield message.quote.text
    replied = message.reply_to_message
    if replied is not None and not (replied.from_user and replied.from_user.is_bot):
        yield replied.text
        yield replied.caption
    if message.external_reply is not None:
        reply_to = message.external_reply
        if reply_to.document is not None:
            yield reply_to.document.file_name
        if reply_to.contact is not None:
            yield reply_to.contact.phone_number
        if reply_to.poll is not None:
            yield reply_to.poll.question


def update_texts(update: Update) -> Iterator[str]:
    """Every piece of user text an update carries, whatever its kind."""
    found: list[str | None] = []
    message = update.effective_message
    if message is not None:
        found += message_texts(message)
    if update.inline_query is not None:
        found.append(update.inline_query.query)
    if update.chosen_inline_result is not None:
        found.append(update.chosen_inline_result.query)
    if update.poll is not None:
        found.append(update.poll.question)
        found += (option.text for option in update.poll.options)
    yield from (text for text in found if text)


def holds_personal_number(update: Update) -> bool:
    return any(contains_personal_number(text) for text in update_texts(update))


async def block_personal_numbers(update: Update, context: BotContext) -> None:
    """Delete the message where Telegram allows it, explain why, and stop all processing."""
    if not holds_personal_number(update):
        return
    kind = chat_kind(update)
    if kind == "shared":
        return  # the chat rule leaves the group without reading anything
    if kind == "private" and update.effective_message is not None:
        await _warn(update, context, update.effective_message)
    raise ApplicationHandlerStop


async def _warn(update: Update, context: BotContext, message: Message) -> None:
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


def build_handler() -> BaseHandler[Update, BotContext, Any]:
    return TypeHandler(Update, block_personal_numbers)
