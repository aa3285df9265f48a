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
    this handler. That state is therefore read from `guide_sessions` before every update
    (`handlers.stored_conversation`, `handlers.questions.QuestionsStore`), so another replica or
    a restarted bot gives the text to the right step; the table stays the one source of truth
    and is written at every step. At start-up PTB restores the states once
    (`app.persistence.DerivedConversationPersistence`, `handlers.questions.stored_conversations`).

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

Modules
    `handlers.guide_begin` (/anmalan, /avbryt), `handlers.guide_buttons` (the `g:` presses),
    `handlers.guide_typed` (contact steps: typed text and `gp:` picks), `handlers.guide_messages`
    (sending, editing and storing a step); this module wires them into one conversation.
"""

from __future__ import annotations

import warnings
from typing import Any

from telegram import Update
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from handlers import checkin, situation
from handlers.common import BotContext
from handlers.contacts import home_question
from handlers.guide_begin import begin, cancel, resume
from handlers.guide_buttons import press
from handlers.guide_typed import contact_text, pick
from handlers.questions import (
    AWAIT_HOME,
    AWAIT_TEXT,
    CONVERSATION_NAME,
    IN_STEP,
    QuestionsStore,
)
from handlers.start import GUIDE_LINK
from handlers.stored_conversation import StoredConversation


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """The one conversation that owns typed answers; register it before the free-text lookup."""
    ask_home, home_answers = home_question()
    entry_points: list[BaseHandler[Update, BotContext, Any]] = [
        CommandHandler(["anmalan", "report"], begin),
        CommandHandler("start", begin, filters=GUIDE_LINK),  # the guide's deep link
        CallbackQueryHandler(press, pattern=r"^g:"),
        CallbackQueryHandler(pick, pattern=r"^gp:"),
        CallbackQueryHandler(resume, pattern=r"^gn:(go|new)$"),  # "go on, or start anew?"
        ask_home,  # "Barnet bor i ett annat område": from now on, the next text is the place
    ]
    text = MessageHandler(filters.TEXT & ~filters.COMMAND, contact_text)
    with warnings.catch_warnings():
        # Buttons are tracked per user and chat on purpose: the guide is one place per user,
        # and every press is checked against the stored step, whichever message carries it.
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        conversation = StoredConversation(
            QuestionsStore(),
            entry_points=entry_points,
            # In AWAIT_HOME, /avbryt is the home question's (a state's handlers come before the
            # fallbacks); everywhere else it cancels the guide.
            states={IN_STEP: [], AWAIT_TEXT: [text], AWAIT_HOME: home_answers},
            fallbacks=[CommandHandler(["avbryt", "cancel"], cancel)],
            allow_reentry=True,
            name=CONVERSATION_NAME,
            persistent=True,
        )
    # After the conversation (a contact step's text is the guide's), before the lookup.
    return [conversation, *situation.build_handlers(), *checkin.build_handlers()]
