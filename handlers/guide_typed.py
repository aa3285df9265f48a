"""Contact steps: the child's area or the school, typed or picked, matched in memory only.

Callback data `gp:<step>:a:<area id>` (an area) and `gp:<step>:s:<school id>` (a school).
Nothing typed is stored or logged.
"""

from __future__ import annotations

import re

from telegram import Update

from bot.services.guide import current_node
from bot.services.guide_sessions import StoredGuide, load_guide_session
from bot.services.lookup import is_too_long
from bot.services.situations import situation_answer
from handlers.cards import emergency_line, example_banner, socialjour_line
from handlers.common import Action, BotContext, reply, user_action
from handlers.contacts import answer_lookup
from handlers.guide_buttons import not_running, refuse, show_current_again
from handlers.guide_contacts import contact_answer, picked_text, render
from handlers.guide_messages import ids, pressed_id, show_and_save
from handlers.guide_render import step_keyboard
from handlers.lookup_replies import Rows
from handlers.questions import AWAIT_TEXT, END, TYPED_CONTACTS

PICK = re.compile(r"^gp:([a-z0-9_]{1,24}):(a|s):([a-z0-9-]{1,40})$")


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
    replaces = (pressed_id(update.callback_query), stored.message_id)
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
        stored = await load_guide_session(action.session, guide, ids(update)[0])
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
        if situation_answer(text) is not None:  # "akut", "socialjouren": not a place name
            await reply(update, await situation_reminder(action))
            return AWAIT_TEXT
        answer, choices = await contact_answer(action, node, text)
        return await show_answer(update, context, action, stored, answer, choices)


async def situation_reminder(action: Action) -> str:
    """At a contact step, text about the situation: the emergency routes, and what to type."""
    services, tr = action.services, action.tr
    view = await services.cards.socialjour(action.session, action.today)
    return "\n".join(
        [
            emergency_line(services.cards.emergency_number, tr),
            *([example_banner(tr)] if view is not None and view.is_example else []),
            socialjour_line(view, tr),
            "",
            tr._(
                "Här behöver jag bara namnet på ett område eller en skola – inget om "
                "situationen. Tryck Nästa för att gå vidare i guiden."
            ),
        ]
    )


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
        stored = await load_guide_session(action.session, guide, ids(update)[0])
        if stored is None or stored.position is None:
            return await not_running(update, context, action)
        if stored.position.current != node.id:
            return await show_current_again(update, context, action, stored)
        await query.answer()
        return await show_answer(update, context, action, stored, text, [])
