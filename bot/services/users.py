"""What the bot keeps about a user: the Telegram id, the chosen language, when first seen."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.db import announce
from bot.i18n import LANGUAGES
from bot.models import User

# Users whose language one process keeps in memory; beyond this, the oldest are forgotten.
LANGUAGE_CACHE_SIZE = 100_000


@dataclass(frozen=True)
class LanguageChanged:
    """Announced after a commit that chose a language or erased a user (`LanguageCache`)."""

    user_id: int


class LanguageCache:
    """Each user's chosen language, read from the database once per process.

    Every action needs it before it can say anything, so it is read from memory: `/sprak` and
    `/glom_mig` announce a `LanguageChanged` after their commit, and the next action reads the
    database again. (Another process that also answers this user keeps its copy until it is
    restarted or forgets it; with polling, only one process answers.)
    """

    def __init__(self, size: int = LANGUAGE_CACHE_SIZE) -> None:
        self.size = size
        self._known: dict[int, str | None] = {}

    async def get(self, session: AsyncSession, user_id: int) -> str | None:
        if user_id in self._known:
            return self._known[user_id]
        language = await stored_language(session, user_id)
        if len(self._known) >= self.size:
            del self._known[next(iter(self._known))]  # the longest known
        self._known[user_id] = language
        return language

    def heard(self, fact: object) -> None:
        """A database listener: forget the user whose language changed."""
        if isinstance(fact, LanguageChanged):
            self._known.pop(fact.user_id, None)


async def stored_language(session: AsyncSession, user_id: int) -> str | None:
    user = await session.get(User, user_id)
    return user.language if user else None


async def remember(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id)
        session.add(user)
        await session.flush()
    return user


async def choose_language(session: AsyncSession, user_id: int, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    user = await remember(session, user_id)
    user.language = language
    announce(session, LanguageChanged(user_id))


async def languages_of(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str | None]:
    """The stored language of each of these users (those who never chose one map to None)."""
    result = await session.execute(
        select(User.id, User.language).where(User.id.in_(sorted(set(user_ids))))
    )
    return {user_id: language for user_id, language in result.tuples()}
