"""Who answers the next message a user types: the question the bot asked last.

Two features ask for typed text: the guide's contact steps (/anmalan: the child's area, the
school's name) and the contact card's "Barnet bor i ett annat område" (where is the child
registered?). Both are states of one `ConversationHandler` (built in `handlers.guide`), so a
user is in exactly one state and a new question replaces the pending one instead of racing it
for the text, and /avbryt cancels the question that was asked last:

    IN_STEP     the guide shows a step with buttons only; text is an ordinary lookup
    AWAIT_TEXT  a guide contact step waits for the child's area or the school's name
    AWAIT_HOME  "where is the child registered?" waits for a place

Once the home question is answered or cancelled, text goes back to the guide's step if a guide
is running (`guide_state`), else to the ordinary lookup. The state lives in the database
(`QuestionsStore`, read before every update by `handlers.stored_conversation`): the guide's
from `guide_sessions`, a pending home question from its row in `wizard_sessions` (no answers,
only that the question was asked). So another replica, or the bot after a restart, gives the
next text to the question asked last.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import ConversationHandler

from bot.services.guide import current_node
from bot.services.guide_sessions import load_guide_session, unfinished_guide_sessions
from bot.services.wizard_sessions import (
    StoredWizard,
    end_wizard,
    load_wizard,
    running_wizards,
    save_wizard,
)
from handlers.common import BotContext, ConversationKey
from knowledge.guide import ACUTE_CONTACT, INTAKE_CONTACT, SCHOOL_CONTACT, Guide, GuideNode

CONVERSATION_NAME = "questions"
IN_STEP, AWAIT_TEXT, AWAIT_HOME = range(3)
END = ConversationHandler.END
# The guide's contact steps that take typed text; the socialjour step only shows its number.
TYPED_CONTACTS = frozenset({INTAKE_CONTACT, SCHOOL_CONTACT, ACUTE_CONTACT})


def state_for(node: GuideNode) -> int:
    """The state that belongs to a guide step."""
    if node.kind == "contact" and node.contact in TYPED_CONTACTS:
        return AWAIT_TEXT
    return IN_STEP


async def guide_state(session: AsyncSession, guide: Guide, user_id: int) -> int:
    """The state of the user's running guide; END when no guide is running."""
    stored = await load_guide_session(session, guide, user_id)
    if stored is None or stored.position is None:
        return END
    node = current_node(guide, stored.position)
    return END if node.terminal else state_for(node)


async def stored_conversations(
    session: AsyncSession, guide: Guide
) -> dict[ConversationKey, object]:
    """The states to restore at start-up: one per unfinished guide."""
    states: dict[ConversationKey, object] = {}
    for stored in await unfinished_guide_sessions(session, guide):
        assert stored.position is not None  # unfinished_guide_sessions skips the unreadable
        states[(stored.chat_id, stored.user_id)] = state_for(current_node(guide, stored.position))
    for key in await running_wizards(session, CONVERSATION_NAME):
        states[key] = AWAIT_HOME  # a pending home question gets the next text
    return states


class QuestionsStore:
    """The guide's state from `guide_sessions`; a pending home question from `wizard_sessions`."""

    async def load(
        self, session: AsyncSession, context: BotContext, key: ConversationKey
    ) -> object | None:
        chat_id, user_id = int(key[0]), int(key[1])
        if await load_wizard(session, user_id, chat_id, CONVERSATION_NAME) is not None:
            return AWAIT_HOME
        state = await guide_state(session, context.services.guide, user_id)
        return None if state == END else state

    async def load_all(
        self, session: AsyncSession, application: Any
    ) -> dict[ConversationKey, object]:
        return await stored_conversations(session, application.bot_data.services.guide)

    def writes(self, before: object | None, after: object | None) -> bool:
        return AWAIT_HOME in (before, after)

    async def save(
        self,
        session: AsyncSession,
        context: BotContext,
        key: ConversationKey,
        before: object | None,
        after: object | None,
    ) -> None:
        """The guide stored its own place in its step; only the home question is kept here."""
        chat_id, user_id = int(key[0]), int(key[1])
        if after == AWAIT_HOME:
            await save_wizard(
                session, user_id, chat_id, CONVERSATION_NAME, StoredWizard(AWAIT_HOME, {})
            )
        elif before == AWAIT_HOME:
            await end_wizard(session, user_id, chat_id, CONVERSATION_NAME)
