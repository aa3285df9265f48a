"""Conversation states that survive a restart, derived from the features' own tables.

PTB restores a persistent `ConversationHandler` from `BasePersistence.get_conversations` when
the application initialises, and hands state changes to `update_conversation` only every
`update_interval` seconds and at shutdown. A crash between two such runs would lose them, so
this persistence stores nothing of its own: each feature writes its place in its own table in
the same transaction as the step it shows (for `/anmalan`: `guide_sessions`), and at start-up a
*loader* per conversation turns those rows back into `{(chat_id, user_id): state}`. There is
one source of truth, written at every step; `update_conversation` has nothing to add.

User, chat, bot and callback data are not persisted at all (`PersistenceInput` all off): the
bot keeps nothing about users in memory that must outlive a restart.

A persistent conversation without a loader fails at start-up with a clear message, instead of
silently losing its states.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram.ext import BasePersistence, PersistenceInput

from bot.db import Database
from handlers.common import ConversationKey

ConversationLoader = Callable[[AsyncSession], Awaitable[dict[ConversationKey, object]]]

NOTHING_STORED = PersistenceInput(
    bot_data=False, chat_data=False, user_data=False, callback_data=False
)


class DerivedConversationPersistence(BasePersistence[dict[Any, Any], dict[Any, Any], Any]):
    """Restores conversation states from feature tables; writes nothing itself."""

    def __init__(self, database: Database, loaders: Mapping[str, ConversationLoader]) -> None:
        super().__init__(store_data=NOTHING_STORED)
        self._database = database
        self._loaders = dict(loaders)

    async def get_conversations(self, name: str) -> dict[ConversationKey, object]:
        """Read the states of conversation `name` from its feature's table."""
        loader = self._loaders.get(name)
        if loader is None:
            raise RuntimeError(
                f"The persistent conversation {name!r} has no loader: give "
                "DerivedConversationPersistence one in build_application."
            )
        async with self._database.transaction() as session:
            return await loader(session)

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        """Nothing to do: the handler already stored its place in the step's transaction."""

    # Nothing else is persisted (see NOTHING_STORED); PTB never calls these with data.

    async def get_user_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_chat_data(self) -> dict[int, dict[Any, Any]]:
        return {}

    async def get_bot_data(self) -> Any:
        raise NotImplementedError("bot_data is not persisted")

    async def get_callback_data(self) -> None:
        return None

    async def update_user_data(self, user_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_chat_data(self, chat_id: int, data: dict[Any, Any]) -> None:
        return None

    async def update_bot_data(self, data: Any) -> None:
        return None

    async def update_callback_data(self, data: Any) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def drop_user_data(self, user_id: int) -> None:
        return None

    async def refresh_user_data(self, user_id: int, user_data: dict[Any, Any]) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[Any, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: Any) -> None:
        return None

    async def flush(self) -> None:
        return None
