"""Where the bot talks: private chats only, and only to updates it understands.

Registered in group -1, after the privacy guard (group -2) and before every feature handler.
An update that passes here comes from a private chat (or has no chat at all: inline queries,
and the buttons under inline results, which carry no personal data and answer in place).

* The bot is added to a group or supergroup: it says once, politely, that it works in a private
  chat (with a link to itself) and leaves; added to a channel, it leaves without posting.
* Anything else from a group or a channel (a message, a command, a button under an old message):
  nothing runs; the bot leaves quietly, in case it is still a member.
* Business messages (a business account's chats with its customers) and edited messages are
  ignored: the bot never answers on someone's behalf, and it answered the original message.
  The privacy guard (group -2) has already inspected both.

Every feature handler therefore sees only private chats; a test enumerates every registered
handler to prove none runs for a group.
"""

from __future__ import annotations

import logging
from typing import Any, Final, Literal

from telegram import Chat, ChatMember, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop, BaseHandler, TypeHandler

from handlers.common import BotContext, fallback_translator

log = logging.getLogger(__name__)

ChatKind = Literal["private", "business", "shared", "none"]
SHARED_CHATS: Final = frozenset({Chat.GROUP, Chat.SUPERGROUP, Chat.CHANNEL})
_JOINED: Final = frozenset({ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.RESTRICTED})


def chat_kind(update: Update) -> ChatKind:
    """Where an update comes from, as far as the bot's rules are concerned."""
    if (
        update.business_message is not None
        or update.edited_business_message is not None
        or update.deleted_business_messages is not None
        or update.business_connection is not None
    ):
        return "business"
    chat = update.effective_chat
    if chat is None:
        return "none"
    return "private" if chat.type == Chat.PRIVATE else "shared"


def is_ordinary_private(update: Update) -> bool:
    """A private chat with the bot itself (not a business chat)."""
    return chat_kind(update) == "private"


def _bot_was_added(update: Update) -> bool:
    member = update.my_chat_member
    if member is None or member.chat.type not in SHARED_CHATS:
        return False
    return member.new_chat_member.status in _JOINED and (
        member.old_chat_member.status not in _JOINED
    )


async def _say_private_only(update: Update, context: BotContext, chat_id: int) -> None:
    tr = fallback_translator(update, context)
    text = tr._(
        "Hej! Jag fungerar bara i en privat chatt, så att ingen annan ser det du frågar om. "
        "Skriv till mig här: {link}\n\nJag lämnar den här gruppen nu."
    ).format(link=context.bot.link)
    try:
        await context.bot.send_message(chat_id, text)
    except TelegramError:
        log.info("Could not say goodbye in a group before leaving")


async def _leave(context: BotContext, chat_id: int) -> None:
    try:
        await context.bot.leave_chat(chat_id)
    except TelegramError:
        log.info("Could not leave a group or channel")


async def enforce_private_chats(update: Update, context: BotContext) -> None:
    """Stop every update that is not for a private chat; leave groups and channels."""
    if _bot_was_added(update):
        assert update.my_chat_member is not None
        chat = update.my_chat_member.chat
        if chat.type != Chat.CHANNEL:  # a channel post would reach every subscriber
            await _say_private_only(update, context, chat.id)
        chat_id = chat.id
        await _leave(context, chat_id)
        raise ApplicationHandlerStop
    kind = chat_kind(update)
    shared = update.effective_chat
    if kind == "shared" and shared is not None:
        if update.callback_query is not None:
            await _answer_quietly(update)
        if update.my_chat_member is None:  # "left" or "kicked": nothing to leave
            await _leave(context, shared.id)
        raise ApplicationHandlerStop
    if kind == "business" or update.edited_message is not None:
        raise ApplicationHandlerStop


async def _answer_quietly(update: Update) -> None:
    assert update.callback_query is not None
    try:
        await update.callback_query.answer()
    except TelegramError:
        log.info("Could not answer a button press from a group")


def build_handler() -> BaseHandler[Update, BotContext, Any]:
    return TypeHandler(Update, enforce_private_chats)
