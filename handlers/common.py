"""What every handler shares: typed context, one transaction per action, start/help/errors."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from telegram import Message, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackContext, ExtBot

from bot.faults import database_unreachable, describe
from bot.i18n import Translator, pick_language, translator
from bot.runtime import Services
from bot.services.authz import Actor, Permissions, require_admin
from bot.services.errors import NotAuthorized
from bot.services.users import stored_language

log = logging.getLogger(__name__)

# How PTB keys a conversation state: (chat id, user id) for the conversations this bot has.
ConversationKey = tuple[int | str, ...]


class BotData:
    """Typed `bot_data`: the services the handlers share (set in `build_application`)."""

    def __init__(self) -> None:
        self._services: Services | None = None

    @property
    def services(self) -> Services:
        if self._services is None:
            raise RuntimeError("services are not attached to the application")
        return self._services

    @services.setter
    def services(self, value: Services) -> None:
        self._services = value


class BotContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        return self.bot_data.services


BotApplication = Application[
    ExtBot[None], BotContext, dict[Any, Any], dict[Any, Any], BotData, Any
]


@dataclass(frozen=True)
class Action:
    """One user action: its transaction, its language and the day it happens."""

    session: AsyncSession
    tr: Translator
    services: Services
    today: date


def telegram_language(update: Update) -> str | None:
    user = update.effective_user
    return user.language_code if user else None


def fallback_translator(update: Update, context: BotContext) -> Translator:
    """The language without asking the database (for errors, when it may be down)."""
    default = context.services.settings.default_language
    return translator(pick_language(None, telegram_language(update), default))


@asynccontextmanager
async def user_action(update: Update, context: BotContext) -> AsyncIterator[Action]:
    """Open the action's transaction and resolve the user's language inside it."""
    services = context.services
    async with services.database.transaction() as session:
        user = update.effective_user
        chosen = await services.languages.get(session, user.id) if user else None
        language = pick_language(
            chosen, telegram_language(update), services.settings.default_language
        )
        yield Action(session, translator(language), services, services.today())


async def reply(update: Update, text: str, **kwargs: Any) -> Message | None:
    """Answer in the chat the update came from, as HTML; None when the update has no chat."""
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, parse_mode=ParseMode.HTML, **kwargs)


async def admin_permissions(
    update: Update, action: Action, actor: Actor, permission: str, refusal: str
) -> Permissions | None:
    """The admin's permissions for `permission`, or None once `refusal` is shown.

    `require_admin` audits the refusal; a button press gets it as an alert, a message as a reply.
    """
    try:
        return await require_admin(action.session, actor, permission)
    except NotAuthorized:
        if update.callback_query is not None:
            await update.callback_query.answer(refusal, show_alert=True)
        else:
            await reply(update, refusal)
        return None


async def error_translator(update: Update, context: BotContext) -> Translator:
    """The user's own language for an error message, if the database still answers."""
    user = update.effective_user
    services = context.services
    try:
        async with services.database.transaction() as session:
            chosen = await stored_language(session, user.id) if user else None
    except Exception as error:
        if not database_unreachable(error):
            raise
        return fallback_translator(update, context)
    default = services.settings.default_language
    return translator(pick_language(chosen, telegram_language(update), default))


async def on_error(update: object, context: BotContext) -> None:
    """Log first, then tell the user politely; never show a trace.

    An unreachable register is a named fault (one warning line, `bot.faults`); anything else
    is a bug and is logged as an error with its traceback.
    """
    error = context.error
    unreachable = error is not None and database_unreachable(error)
    if unreachable and error is not None:
        log.warning("The register cannot be reached: %s", describe(error))
    else:
        log.error("Error while handling an update", exc_info=error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    tr = (
        fallback_translator(update, context)
        if unreachable
        else await error_translator(update, context)
    )
    if unreachable:
        text = tr._(
            "Jag når inte registret just nu. Försök igen om en liten stund.\n\n"
            "🚨 Akut fara för barnet: ring 112."
        )
    else:
        text = tr._(
            "Något gick fel hos mig. Försök igen, eller skriv /hjalp.\n\n"
            "🚨 Akut fara för barnet: ring 112."
        )
    try:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, text)
    except (BadRequest, TelegramError):
        log.warning("Could not tell the user about the error", exc_info=True)
