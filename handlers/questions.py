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
is running (`guide_state`), else to the ordinary lookup. After a restart the states come back
from `guide_sessions` (`stored_conversations`, see `app.persistence`); a pending home question
does not, and the user presses the card's button again.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import ConversationHandler

from bot.services.guide import current_node
from bot.services.guide_sessions import load_guide_session, unfinished_guide_sessions
from handlers.common import ConversationKey
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
    return states
