"""Show a guide step in Telegram: send or edit the message, strip stale buttons, store the place.

Shared by the guide's handlers (`handlers.guide_begin`, `handlers.guide_buttons`,
`handlers.guide_typed`); see `handlers.guide` for how the conversation fits together.
"""

from __future__ import annotations

import logging

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest

from bot.services.guide import GuidePosition, current_node
from bot.services.guide_sessions import save_guide_session
from handlers.common import Action, BotContext, reply
from handlers.questions import state_for

log = logging.getLogger(__name__)


async def strip_buttons(context: BotContext, chat_id: int, message_id: int | None) -> None:
    """Take the buttons off a message that no longer shows the current step (best effort)."""
    if message_id is None:
        return
    try:
        await context.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)
    except BadRequest:  # already without buttons, deleted, or too old to edit
        log.debug("Could not remove the buttons of message %s", message_id)


async def show_new(
    update: Update,
    context: BotContext,
    text: str,
    keyboard: InlineKeyboardMarkup | None,
    *,
    replaces: tuple[int | None, ...] = (),
) -> int:
    """Send the step as a new message and take the buttons off the messages it replaces."""
    message = await reply(update, text, reply_markup=keyboard)
    assert message is not None  # every update the guide handles comes from a chat
    for message_id in dict.fromkeys(replaces):
        if message_id != message.message_id:
            await strip_buttons(context, message.chat_id, message_id)
    return message.message_id


async def show_in_place(
    update: Update,
    context: BotContext,
    text: str,
    keyboard: InlineKeyboardMarkup,
    *,
    stored_message: int | None,
) -> int:
    """Edit the pressed message into the step; send a new one if Telegram refuses the edit."""
    query = update.callback_query
    assert query is not None
    pressed = pressed_id(query)
    if pressed is None:
        return await show_new(update, context, text, keyboard, replaces=(stored_message,))
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest:
        return await show_new(update, context, text, keyboard, replaces=(pressed, stored_message))
    if stored_message not in (None, pressed):
        await strip_buttons(context, ids(update)[1], stored_message)
    return pressed


def ids(update: Update) -> tuple[int, int]:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    return user.id, chat.id


def pressed_id(query: CallbackQuery | None) -> int | None:
    return query.message.message_id if query is not None and query.message else None


async def save(update: Update, action: Action, position: GuidePosition, message_id: int) -> int:
    """Store the place and the message that shows it; return the step's state."""
    user_id, chat_id = ids(update)
    await save_guide_session(
        action.session,
        user_id=user_id,
        chat_id=chat_id,
        position=position,
        message_id=message_id,
    )
    return state_for(current_node(action.services.guide, position))


async def show_and_save(
    update: Update,
    context: BotContext,
    action: Action,
    position: GuidePosition,
    text: str,
    keyboard: InlineKeyboardMarkup,
    *,
    replaces: tuple[int | None, ...],
) -> int:
    """Send the step as a new message, store the place with it, return the step's state."""
    message_id = await show_new(update, context, text, keyboard, replaces=replaces)
    return await save(update, action, position, message_id)
