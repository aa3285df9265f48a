"""What the bot keeps about a user: the Telegram id, the chosen language, when first seen."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import LANGUAGES
from bot.models import User


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


async def languages_of(session: AsyncSession, user_ids: Iterable[int]) -> dict[int, str | None]:
    """The stored language of each of these users (those who never chose one map to None)."""
    result = await session.execute(
        select(User.id, User.language).where(User.id.in_(sorted(set(user_ids))))
    )
    return {user_id: language for user_id, language in result.tuples()}
