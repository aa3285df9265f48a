"""What the bot keeps about a user: the Telegram id, the chosen language, when first seen."""

from __future__ import annotations

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
