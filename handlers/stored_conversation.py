"""Conversations whose state lives in the database, so any replica answers the next step.

PTB's `ConversationHandler` keeps each conversation's state in the memory of one process. So
every conversation of the bot is a `StoredConversation` with a `ConversationStore`: after a
step, `StoredConversation.handle_update` writes the new state (and a wizard's answers, kept in
`user_data[<wizard>]` while it runs) to the database, in one short transaction right after the
step's own. The memory is then only a copy, brought up to date from the database:

* when the application starts, and when an instance takes over the lead from a dead one
  (`reload_states`: every running conversation and its answers, one query per conversation);
  in polling mode, and always on SQLite, one instance takes the updates, so between those
  moments its memory is the database's copy and a lookup asks the database nothing;
* before every update from a private chat, when several replicas take updates (webhook mode on
  PostgreSQL: `application.per_update_states`): `sync_states`, a handler in a group of its own
  ahead of all others, reads this user's states, since the last step may have reached another
  replica. PTB's `check_update` is synchronous and cannot ask the database itself; that is why
  the state is fetched by an earlier handler group. The same handler makes the action read the
  user's language again (`/sprak` may have been answered by another replica).
"""

from __future__ import annotations

import logging
from typing import Any, Protocol

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Update
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    BaseHandler,
    ConversationHandler,
    TypeHandler,
)

from bot.faults import database_unreachable, describe
from bot.services.users import LanguageChanged
from bot.services.wizard_sessions import (
    StoredWizard,
    all_wizards,
    end_wizard,
    load_wizard,
    running_wizards,
    save_wizard,
)
from handlers.common import BotContext, ConversationKey

log = logging.getLogger(__name__)

END = ConversationHandler.END


class ConversationStore(Protocol):
    """Where one conversation keeps its state (and a wizard its answers)."""

    async def load_all(
        self, session: AsyncSession, application: Any
    ) -> dict[ConversationKey, object]:
        """Every running conversation's state; a wizard also fills the application's
        `user_data[user][name]` with its answers."""

    def writes(self, before: object | None, after: object | None) -> bool:
        """Whether a step from `before` to `after` has anything to store."""

    async def load(
        self, session: AsyncSession, context: BotContext, key: ConversationKey
    ) -> object | None:
        """The state of the conversation `key` (None: not in it); may fill `user_data`."""

    async def save(
        self,
        session: AsyncSession,
        context: BotContext,
        key: ConversationKey,
        before: object | None,
        after: object | None,
    ) -> None:
        """Store the state a step moved the conversation to (`before` → `after`)."""


def _ids(key: ConversationKey) -> tuple[int, int]:
    chat_id, user_id = key
    return int(chat_id), int(user_id)


class WizardStore:
    """An admin wizard: state and answers (`user_data[name]`) in `wizard_sessions`."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def load(
        self, session: AsyncSession, context: BotContext, key: ConversationKey
    ) -> object | None:
        chat_id, user_id = _ids(key)
        stored = await load_wizard(session, user_id, chat_id, self.name)
        if context.user_data is not None:
            context.user_data.pop(self.name, None)
            if stored is not None:
                context.user_data[self.name] = stored.answers
        return None if stored is None else stored.state

    async def save(
        self,
        session: AsyncSession,
        context: BotContext,
        key: ConversationKey,
        before: object | None,
        after: object | None,
    ) -> None:
        chat_id, user_id = _ids(key)
        if not isinstance(after, int) or after == END:
            await end_wizard(session, user_id, chat_id, self.name)
            return
        answers = (context.user_data or {}).get(self.name, {})
        await save_wizard(session, user_id, chat_id, self.name, StoredWizard(after, answers))

    async def restore(self, session: AsyncSession) -> dict[ConversationKey, object]:
        """Every running wizard's state, for PTB at start-up (`app.persistence`)."""
        running = await running_wizards(session, self.name)
        return {(chat_id, user_id): state for (chat_id, user_id), state in running.items()}

    async def load_all(
        self, session: AsyncSession, application: Any
    ) -> dict[ConversationKey, object]:
        states: dict[ConversationKey, object] = {}
        for wizard in await all_wizards(session, self.name):
            states[(wizard.chat_id, wizard.user_id)] = wizard.state
            application.user_data[wizard.user_id][self.name] = wizard.answers
        return states

    def writes(self, before: object | None, after: object | None) -> bool:
        return True


class StoredConversation(ConversationHandler[BotContext]):
    """A `ConversationHandler` that writes its state to its store after every step."""

    def __init__(self, store: ConversationStore, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store = store

    async def handle_update(
        self,
        update: Update,
        application: Application[Any, BotContext, Any, Any, Any, Any],
        check_result: Any,
        context: BotContext,
    ) -> object | None:
        before, key = check_result[0], check_result[1]
        try:
            result = await super().handle_update(update, application, check_result, context)
        except ApplicationHandlerStop:
            await self._save(context, key, before)
            raise
        await self._save(context, key, before)
        return result

    async def _save(self, context: BotContext, key: ConversationKey, before: object) -> None:
        after = self._conversations.get(key)
        if not self.store.writes(before, after):
            return
        async with context.services.database.transaction() as session:
            await self.store.save(session, context, key, before, after)

    def key_of(self, update: Update) -> ConversationKey:
        return self._get_key(update)

    def set_all(self, states: dict[ConversationKey, object]) -> None:
        self._conversations.clear()
        self._conversations.update(states)

    def set_state(self, key: ConversationKey, state: object | None) -> None:
        """The state read from the store (None: the user is not in this conversation)."""
        if state is None or state == END:
            self._conversations.pop(key, None)
        else:
            self._conversations[key] = state


def stored_conversations(
    application: Application[Any, Any, Any, Any, Any, Any],
) -> list[StoredConversation]:
    """Every stored conversation registered in the application, in any group."""
    return [
        handler
        for group in application.handlers.values()
        for handler in group
        if isinstance(handler, StoredConversation)
    ]


async def reload_states(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Replace every stored conversation's states (and wizards' answers) by the database's."""
    services = application.bot_data.services
    async with services.database.transaction() as session:
        for conversation in stored_conversations(application):
            name = conversation.name
            for data in application.user_data.values():
                if isinstance(data, dict):
                    data.pop(name, None)
            conversation.set_all(await conversation.store.load_all(session, application))


async def sync_states(update: Update, context: BotContext) -> None:
    """Set every stored conversation's state for this user and chat from the database (when
    several replicas take updates; see the module's docstring)."""
    if not getattr(context.application, "per_update_states", False):
        return
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != ChatType.PRIVATE:
        return  # only private chats are answered (handlers.chat_rules)
    # The language chosen with /sprak on another replica: read it again with this action.
    context.services.languages.heard(LanguageChanged(user.id))
    conversations = stored_conversations(context.application)
    if not conversations:
        return
    try:
        async with context.services.database.transaction() as session:
            for conversation in conversations:
                key = conversation.key_of(update)
                conversation.set_state(key, await conversation.store.load(session, context, key))
    except Exception as error:
        if not database_unreachable(error):
            raise
        # The handler that answers meets the same fault and tells the user, once.
        log.debug("Conversation states not read: %s", describe(error))


def build_handler() -> BaseHandler[Update, BotContext, None]:
    """The handler that runs `sync_states` ahead of every other group."""
    return TypeHandler(Update, sync_states)
