"""/anmalan (/report): the concern-report guide, one short step at a time, with buttons.

The steps are data (`knowledge/guide/*.yaml`), walked by the pure engine `bot.services.guide`;
this module only parses updates, loads and stores the user's place, and renders with `_()`.

Where the user is
    `guide_sessions` holds one row per user: the path of step ids taken and the id of the
    message with the current step's buttons. Each action writes it in its own transaction,
    together with the step it shows, so a restart or a crash never loses more than the press
    being handled. Nothing the user types (the child's area, the school) is stored or logged:
    it is matched in memory and answered. When the guide reaches its checklist, or is
    cancelled, the row is deleted.

Why the conversation is persistent *and* the buttons are entry points
    The buttons never depend on the conversation's state: every `g:` press is an entry point
    (with `allow_reentry`), reads the row and asks the engine, so a button pressed after a
    restart, after /avbryt or on an old message gets a sensible answer. Free text is another
    matter: at a contact step the next message is the child's area or the school's name, and
    only the conversation's state keeps that text from the general lookup registered after
    this handler. That state is therefore persistent (`persistent=True`); its persistence
    (`app.persistence.DerivedConversationPersistence`) does not store states of its own but
    derives them from `guide_sessions` at start-up (`handlers.questions.stored_conversations`),
    so the table stays the one source of truth and is written at every step.

One conversation for every typed answer
    The contact card's "Barnet bor i ett annat område" also waits for text. It is a state of
    this same conversation (`handlers.questions`), so the question asked last gets the text
    and /avbryt, instead of two conversations both waiting and the first registered winning.

Callback data (at most 64 bytes; checked against the guide and the directory on every press):
    g:<step>:<answer>          an option id, "next", "back", "restart" or "cancel"
    gp:<step>:a:<area id>      an area chosen at a contact step
    gp:<step>:s:<school id>    a school chosen at the school-contact step

A press for another step than the current one (`StaleStep`) is answered "that step is no
longer current" and the current step is shown again; data the guide cannot have produced is
answered politely and nothing is written.
"""

from __future__ import annotations

import logging
import re
import warnings
from typing import Any

from telegram import CallbackQuery, InlineKeyboardMarkup, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.services.guide import (
    CANCEL,
    RESTART,
    GuidePosition,
    StaleStep,
    apply,
    current_node,
    decode_callback,
    start,
)
from bot.services.guide_sessions import (
    StoredGuide,
    delete_guide_session,
    load_guide_session,
    save_guide_session,
)
from bot.services.lookup import is_too_long
from bot.services.usage import count_guide_completed, count_guide_started
from handlers.common import Action, BotContext, reply, user_action
from handlers.contacts import answer_lookup, home_question
from handlers.guide_contacts import contact_answer, picked_text, render
from handlers.guide_render import restart_keyboard, step_keyboard
from handlers.lookup_replies import Rows
from handlers.questions import (
    AWAIT_HOME,
    AWAIT_TEXT,
    CONVERSATION_NAME,
    END,
    IN_STEP,
    TYPED_CONTACTS,
    state_for,
)
from handlers.start import GUIDE_LINK

log = logging.getLogger(__name__)

PICK = re.compile(r"^gp:([a-z0-9_]{1,24}):(a|s):([a-z0-9-]{1,40})$")


# --- Telegram helpers ------------------------------------------------------------------------


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
    pressed = _pressed_id(query)
    if pressed is None:
        return await show_new(update, context, text, keyboard, replaces=(stored_message,))
    try:
        await query.edit_message_text(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)
    except BadRequest:
        return await show_new(update, context, text, keyboard, replaces=(pressed, stored_message))
    if stored_message not in (None, pressed):
        await strip_buttons(context, _ids(update)[1], stored_message)
    return pressed


def _ids(update: Update) -> tuple[int, int]:
    user, chat = update.effective_user, update.effective_chat
    assert user is not None and chat is not None
    return user.id, chat.id


def _pressed_id(query: CallbackQuery | None) -> int | None:
    return query.message.message_id if query is not None and query.message else None


async def save(update: Update, action: Action, position: GuidePosition, message_id: int) -> int:
    """Store the place and the message that shows it; return the step's state."""
    user_id, chat_id = _ids(update)
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


# --- /anmalan, /avbryt -----------------------------------------------------------------------


async def begin(update: Update, context: BotContext) -> int:
    """/anmalan: start the guide, or go on where the user left it."""
    guide = context.services.guide
    async with user_action(update, context) as action:
        stored = await load_guide_session(action.session, guide, _ids(update)[0])
        position = stored.position if stored else None
        note = None
        if position is not None and len(position.path) > 1:
            note = action.tr._(
                "<i>Du fortsätter där du slutade. Tryck Börja om för att börja från början.</i>"
            )
        else:
            position = start(guide)
            await count_guide_started(action.session, action.today)  # follow-up figures
        text, keyboard = await render(action, guide, position, note=note)
        replaces = (stored.message_id if stored else None,)
        return await show_and_save(
            update, context, action, position, text, keyboard, replaces=replaces
        )


async def cancel(update: Update, context: BotContext) -> int:
    """/avbryt or the Avbryt button: end the guide and forget the place."""
    user_id, chat_id = _ids(update)
    query = update.callback_query
    async with user_action(update, context) as action:
        stored = await load_guide_session(action.session, action.services.guide, user_id)
        await delete_guide_session(action.session, user_id)
        if query is not None:
            await query.answer()
            await strip_buttons(context, chat_id, _pressed_id(query))
        if stored is not None:
            await strip_buttons(context, chat_id, stored.message_id)
        await reply(
            update,
            action.tr._(
                "Guiden är avbruten. Inget om barnet har sparats. "
                "Skriv /anmalan när du vill börja igen."
            ),
        )
    return END


# --- buttons ---------------------------------------------------------------------------------


async def refuse(query: CallbackQuery, action: Action) -> None:
    """Forged or broken data: a polite answer, and nothing else."""
    await query.answer(
        action.tr._("Den knappen känner jag inte igen. Skriv /anmalan för att öppna guiden."),
        show_alert=True,
    )


async def not_running(update: Update, context: BotContext, action: Action) -> int:
    """A guide button, but the user has no guide going (cancelled, finished, or reset)."""
    query = update.callback_query
    assert query is not None
    await query.answer(action.tr._("Det steget gäller inte längre."))
    await strip_buttons(context, _ids(update)[1], _pressed_id(query))
    await reply(
        update,
        action.tr._("Guiden är inte igång längre. Vill du börja om?"),
        reply_markup=restart_keyboard(action.services.guide, action.tr),
    )
    return END


async def show_current_again(
    update: Update, context: BotContext, action: Action, stored: StoredGuide
) -> int:
    """A button from an older step: say so and show the step the user is at."""
    query = update.callback_query
    assert query is not None and stored.position is not None
    await query.answer(action.tr._("Det steget gäller inte längre. Här är steget du är på nu."))
    text, keyboard = await render(action, context.services.guide, stored.position)
    replaces = (_pressed_id(query), stored.message_id)
    return await show_and_save(
        update, context, action, stored.position, text, keyboard, replaces=replaces
    )


async def press(update: Update, context: BotContext) -> object:
    """A guide button: an answer, Nästa, Tillbaka, Börja om or Avbryt."""
    query = update.callback_query
    assert query is not None
    guide = context.services.guide
    decoded = decode_callback(guide, query.data or "")
    if decoded is not None and decoded[1] == CANCEL:
        return await cancel(update, context)
    async with user_action(update, context) as action:
        if decoded is None:  # data the guide cannot have made: forged
            await refuse(query, action)
            return None
        node_id, answer = decoded
        stored = await load_guide_session(action.session, guide, _ids(update)[0])
        old = stored.position if stored else None
        if old is None:
            if answer != RESTART:
                return await not_running(update, context, action)
            await count_guide_started(action.session, action.today)  # after the checklist
            await query.answer()
            return await move(update, context, action, stored, start(guide))
        try:  # decode_callback let through only answers the step offers: no InvalidAnswer
            new = apply(guide, old, node_id, answer)
        except StaleStep:
            assert stored is not None
            return await show_current_again(update, context, action, stored)
        await query.answer()
        return None if new == old else await move(update, context, action, stored, new)


async def move(
    update: Update,
    context: BotContext,
    action: Action,
    stored: StoredGuide | None,
    new: GuidePosition,
) -> int:
    """Show the step `new` and store it; at the checklist, forget the place instead."""
    guide = context.services.guide
    text, keyboard = await render(action, guide, new)
    stored_message = stored.message_id if stored else None
    leaving = current_node(guide, stored.position) if stored and stored.position else None
    # A step that showed directory entries keeps its text; the next step comes below it.
    if leaving is None or leaving.kind == "contact":
        replaces = (_pressed_id(update.callback_query), stored_message)
        message_id = await show_new(update, context, text, keyboard, replaces=replaces)
    else:
        message_id = await show_in_place(
            update, context, text, keyboard, stored_message=stored_message
        )
    if current_node(guide, new).terminal:
        await delete_guide_session(action.session, _ids(update)[0])
        await count_guide_completed(action.session, action.today)  # follow-up figures
        return END
    return await save(update, action, new, message_id)


# --- contact steps: the child's area, the school ---------------------------------------------


async def show_answer(
    update: Update,
    context: BotContext,
    action: Action,
    stored: StoredGuide,
    text: str,
    choices: Rows,
) -> int:
    """Send an answer at a contact step; it carries the step's buttons from now on."""
    assert stored.position is not None
    keyboard = step_keyboard(context.services.guide, stored.position, action.tr, choices=choices)
    replaces = (_pressed_id(update.callback_query), stored.message_id)
    return await show_and_save(
        update, context, action, stored.position, text, keyboard, replaces=replaces
    )


async def contact_text(update: Update, context: BotContext) -> object:
    """Text at a contact step: the child's area or the school, matched in memory only."""
    message = update.message
    assert message is not None
    text = message.text or ""
    guide = context.services.guide
    async with user_action(update, context) as action:
        stored = await load_guide_session(action.session, guide, _ids(update)[0])
        if stored is None or stored.position is None:  # e.g. erased by /glom_mig meanwhile
            await answer_lookup(update, action, text)  # what the text would be without a guide
            return END
        node = current_node(guide, stored.position)
        if node.contact not in TYPED_CONTACTS:  # the state and the table disagree: the table
            rendered, keyboard = await render(action, guide, stored.position)
            replaces = (stored.message_id,)
            return await show_and_save(
                update, context, action, stored.position, rendered, keyboard, replaces=replaces
            )
        if is_too_long(text):
            await reply(
                update,
                action.tr._("Det var en lång text. Skriv bara namnet på skolan eller området."),
            )
            return AWAIT_TEXT
        answer, choices = await contact_answer(action, node, text)
        return await show_answer(update, context, action, stored, answer, choices)


async def pick(update: Update, context: BotContext) -> object:
    """An area or school chosen from the buttons of an ambiguous answer."""
    query = update.callback_query
    assert query is not None
    guide = context.services.guide
    found = PICK.match(query.data or "")
    async with user_action(update, context) as action:
        node = guide.node(found.group(1)) if found and guide.has_node(found.group(1)) else None
        if found is None or node is None or node.kind != "contact":
            await refuse(query, action)
            return None
        text = await picked_text(action, node, found.group(2), found.group(3))
        if text is None:
            await refuse(query, action)
            return None
        stored = await load_guide_session(action.session, guide, _ids(update)[0])
        if stored is None or stored.position is None:
            return await not_running(update, context, action)
        if stored.position.current != node.id:
            return await show_current_again(update, context, action, stored)
        await query.answer()
        return await show_answer(update, context, action, stored, text, [])


# --- registration ----------------------------------------------------------------------------


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """The one conversation that owns typed answers; register it before the free-text lookup."""
    ask_home, home_answers = home_question()
    entry_points: list[BaseHandler[Update, BotContext, Any]] = [
        CommandHandler(["anmalan", "report"], begin),
        CommandHandler("start", begin, filters=GUIDE_LINK),  # the guide's deep link
        CallbackQueryHandler(press, pattern=r"^g:"),
        CallbackQueryHandler(pick, pattern=r"^gp:"),
        ask_home,  # "Barnet bor i ett annat område": from now on, the next text is the place
    ]
    text = MessageHandler(filters.TEXT & ~filters.COMMAND, contact_text)
    with warnings.catch_warnings():
        # Buttons are tracked per user and chat on purpose: the guide is one place per user,
        # and every press is checked against the stored step, whichever message carries it.
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        conversation = ConversationHandler[BotContext](
            entry_points=entry_points,
            # In AWAIT_HOME, /avbryt is the home question's (a state's handlers come before the
            # fallbacks); everywhere else it cancels the guide.
            states={IN_STEP: [], AWAIT_TEXT: [text], AWAIT_HOME: home_answers},
            fallbacks=[CommandHandler(["avbryt", "cancel"], cancel)],
            allow_reentry=True,
            name=CONVERSATION_NAME,
            persistent=True,
        )
    return [conversation]
