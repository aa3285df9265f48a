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
    this handler. That state is therefore persistent (`persistent=True, name="guide"`); its
    persistence (`bot.persistence.DerivedConversationPersistence`) does not store states of
    its own but derives them from `guide_sessions` at start-up (`stored_conversations`), so the
    table stays the one source of truth and is written at every step, not at PTB's flush.

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

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import CallbackQuery, InlineKeyboardMarkup, Message, Update
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

from bot.persistence import ConversationKey
from bot.services.guide import (
    CANCEL,
    NAVIGATION,
    RESTART,
    GuideError,
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
    unfinished_guide_sessions,
)
from bot.services.lookup import is_too_long
from bot.services.usage import count_guide_completed, count_guide_started
from handlers.common import Action, BotContext, reply, user_action
from handlers.contacts import answer_lookup
from handlers.guide_contacts import intake_answer, picked_text, render, school_answer
from handlers.guide_render import (
    INTAKE,
    SCHOOL,
    Rows,
    restart_keyboard,
    step_keyboard,
)
from knowledge.guide import Guide, GuideNode, shipped_guide

log = logging.getLogger(__name__)

CONVERSATION_NAME = "guide"
# States: which free text the current step takes. Buttons work in every state.
IN_STEP, AWAIT_AREA, AWAIT_SCHOOL = range(3)
END = ConversationHandler.END
PICK = re.compile(r"^gp:([a-z0-9_]{1,24}):(a|s):([a-z0-9-]{1,40})$")


def state_for(node: GuideNode) -> int:
    """The conversation state that belongs to a step."""
    if node.kind == "contact" and node.contact == INTAKE:
        return AWAIT_AREA
    if node.kind == "contact" and node.contact == SCHOOL:
        return AWAIT_SCHOOL
    return IN_STEP


async def stored_conversations(session: AsyncSession) -> dict[ConversationKey, object]:
    """The conversation states to restore at start-up: one per unfinished guide."""
    guide = shipped_guide()
    states: dict[ConversationKey, object] = {}
    for stored in await unfinished_guide_sessions(session, guide):
        assert stored.position is not None  # unfinished_guide_sessions skips the unreadable
        states[(stored.chat_id, stored.user_id)] = state_for(current_node(guide, stored.position))
    return states


# --- Telegram helpers ------------------------------------------------------------------------


async def send(update: Update, text: str, keyboard: InlineKeyboardMarkup | None) -> Message:
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, parse_mode=ParseMode.HTML, reply_markup=keyboard)


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
    chat = update.effective_chat
    assert chat is not None
    message = await send(update, text, keyboard)
    for message_id in dict.fromkeys(replaces):
        if message_id != message.message_id:
            await strip_buttons(context, chat.id, message_id)
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
    pressed = query.message.message_id if query.message else None
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


def _pressed_id(query: CallbackQuery) -> int | None:
    return query.message.message_id if query.message else None


# --- /anmalan, /avbryt -----------------------------------------------------------------------


async def begin(update: Update, context: BotContext) -> int:
    """/anmalan: start the guide, or go on where the user left it."""
    user_id, chat_id = _ids(update)
    guide = shipped_guide()
    async with user_action(update, context) as action:
        stored = await load_guide_session(action.session, guide, user_id)
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
        message_id = await show_new(
            update, context, text, keyboard, replaces=(stored.message_id if stored else None,)
        )
        await save_guide_session(
            action.session,
            user_id=user_id,
            chat_id=chat_id,
            position=position,
            message_id=message_id,
        )
    return state_for(current_node(guide, position))


async def cancel(update: Update, context: BotContext) -> int:
    """/avbryt or the Avbryt button: end the guide and forget the place."""
    user_id, chat_id = _ids(update)
    query = update.callback_query
    async with user_action(update, context) as action:
        stored = await load_guide_session(action.session, shipped_guide(), user_id)
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


def _is_guide_button(guide: Guide, node_id: str, answer: str) -> bool:
    """Could the guide have made this button? (Otherwise the data is forged.)"""
    if not guide.has_node(node_id):
        return False
    return answer in guide.node(node_id).answers or answer in NAVIGATION


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
        reply_markup=restart_keyboard(shipped_guide(), action.tr),
    )
    return END


async def show_current_again(
    update: Update, context: BotContext, action: Action, stored: StoredGuide
) -> int:
    """A button from an older step: say so and show the step the user is at."""
    query = update.callback_query
    assert query is not None and stored.position is not None
    guide = shipped_guide()
    await query.answer(action.tr._("Det steget gäller inte längre. Här är steget du är på nu."))
    text, keyboard = await render(action, guide, stored.position)
    message_id = await show_new(
        update, context, text, keyboard, replaces=(_pressed_id(query), stored.message_id)
    )
    await save_guide_session(
        action.session,
        user_id=stored.user_id,
        chat_id=stored.chat_id,
        position=stored.position,
        message_id=message_id,
    )
    return state_for(current_node(guide, stored.position))


async def press(update: Update, context: BotContext) -> object:
    """A guide button: an answer, Nästa, Tillbaka, Börja om or Avbryt."""
    query = update.callback_query
    assert query is not None
    guide = shipped_guide()
    decoded = decode_callback(query.data or "")
    if decoded is not None and decoded[1] == CANCEL and guide.has_node(decoded[0]):
        return await cancel(update, context)
    user_id, chat_id = _ids(update)
    async with user_action(update, context) as action:
        if decoded is None or not _is_guide_button(guide, *decoded):
            await refuse(query, action)
            return None
        node_id, answer = decoded
        stored = await load_guide_session(action.session, guide, user_id)
        old = stored.position if stored else None
        if old is None and answer != RESTART:
            return await not_running(update, context, action)
        try:
            new = apply(guide, old, node_id, answer) if old is not None else start(guide)
        except StaleStep:
            assert stored is not None
            return await show_current_again(update, context, action, stored)
        except GuideError:  # e.g. an answer the step does not take: forged
            await refuse(query, action)
            return None
        if old is None:  # "Börja om" after the checklist: a new start
            await count_guide_started(action.session, action.today)  # follow-up figures
        await query.answer()
        if new == old:
            return None
        text, keyboard = await render(action, guide, new)
        stored_message = stored.message_id if stored else None
        leaving = current_node(guide, old) if old else None
        # A step that showed directory entries keeps its text; the next step comes below it.
        if leaving is None or leaving.kind == "contact":
            message_id = await show_new(
                update, context, text, keyboard, replaces=(_pressed_id(query), stored_message)
            )
        else:
            message_id = await show_in_place(
                update, context, text, keyboard, stored_message=stored_message
            )
        node = current_node(guide, new)
        if node.terminal:
            await delete_guide_session(action.session, user_id)
            await count_guide_completed(action.session, action.today)  # follow-up figures
            return END
        await save_guide_session(
            action.session,
            user_id=user_id,
            chat_id=chat_id,
            position=new,
            message_id=message_id,
        )
        return state_for(node)


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
    guide = shipped_guide()
    keyboard = step_keyboard(guide, stored.position, action.tr, choices=choices)
    pressed = _pressed_id(update.callback_query) if update.callback_query else None
    message_id = await show_new(
        update, context, text, keyboard, replaces=(pressed, stored.message_id)
    )
    await save_guide_session(
        action.session,
        user_id=stored.user_id,
        chat_id=stored.chat_id,
        position=stored.position,
        message_id=message_id,
    )
    return state_for(current_node(guide, stored.position))


async def contact_text(update: Update, context: BotContext) -> object:
    """Text at a contact step: the child's area or the school, matched in memory only."""
    message = update.message
    assert message is not None
    text = message.text or ""
    user_id, _ = _ids(update)
    guide = shipped_guide()
    async with user_action(update, context) as action:
        stored = await load_guide_session(action.session, guide, user_id)
        if stored is None or stored.position is None:  # e.g. erased by /glom_mig meanwhile
            await answer_lookup(update, action, text)  # what the text would be without a guide
            return END
        node = current_node(guide, stored.position)
        if is_too_long(text):
            await reply(
                update,
                action.tr._("Det var en lång text. Skriv bara namnet på skolan eller området."),
            )
            return state_for(node)
        if node.kind == "contact" and node.contact == INTAKE:
            answer, choices = await intake_answer(action, node, text)
        elif node.kind == "contact" and node.contact == SCHOOL:
            answer, choices = await school_answer(action, node, text)
        else:  # the state and the table disagree: show the step the table says
            answer, choices = (await render(action, guide, stored.position))[0], []
        return await show_answer(update, context, action, stored, answer, choices)


async def pick(update: Update, context: BotContext) -> object:
    """An area or school chosen from the buttons of an ambiguous answer."""
    query = update.callback_query
    assert query is not None
    user_id, _ = _ids(update)
    guide = shipped_guide()
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
        stored = await load_guide_session(action.session, guide, user_id)
        if stored is None or stored.position is None:
            return await not_running(update, context, action)
        if stored.position.current != node.id:
            return await show_current_again(update, context, action, stored)
        await query.answer()
        return await show_answer(update, context, action, stored, text, [])


# --- registration ----------------------------------------------------------------------------


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """The guide's one conversation; register it before the free-text lookup."""
    buttons: list[BaseHandler[Update, BotContext, Any]] = [
        CallbackQueryHandler(press, pattern=r"^g:"),
        CallbackQueryHandler(pick, pattern=r"^gp:"),
    ]
    text = MessageHandler(filters.TEXT & ~filters.COMMAND, contact_text)
    with warnings.catch_warnings():
        # Buttons are tracked per user and chat on purpose: the guide is one place per user,
        # and every press is checked against the stored step, whichever message carries it.
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        conversation = ConversationHandler[BotContext](
            entry_points=[CommandHandler(["anmalan", "report"], begin), *buttons],
            states={IN_STEP: [], AWAIT_AREA: [text], AWAIT_SCHOOL: [text]},
            fallbacks=[CommandHandler(["avbryt", "cancel"], cancel)],
            allow_reentry=True,
            name=CONVERSATION_NAME,
            persistent=True,
        )
    return [conversation]
