"""/folj, /sluta_folja, /foljer: staff follow a school or area and hear about new contacts.

Callback data: "fo:a:<area id>" / "fo:s:<school id>" (follow; ready for a "Följ" button on the
contact card) and "uf:<follow id>" (stop one follow). Every press is checked against the
database: a forged or stale button gets a polite answer and changes nothing.
"""

from __future__ import annotations

import re
from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.services import follows
from bot.services.errors import UnknownTarget
from bot.services.lookup import is_too_long
from bot.services.parsing import digits
from handlers.common import Action, BotContext, reply, user_action

FOLLOW = re.compile(r"^fo:([as]:[a-z0-9-]{1,40})$")
UNFOLLOW = re.compile(rf"^uf:({digits(1, 9)})$")
MAX_BUTTONS = 5


async def _stale(update: Update, action: Action) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(
        action.tr._("Den knappen fungerar inte längre. Skriv /foljer för att se vad du följer."),
        show_alert=True,
    )


async def _follow(update: Update, action: Action, key: str) -> bool:
    assert update.effective_user is not None
    try:
        scope, is_new = await follows.follow(action.session, update.effective_user.id, key)
    except UnknownTarget:
        return False
    if is_new:
        text = action.tr._(
            "Nu följer du {name}. Du får ett meddelande när kontaktpersonen i socialtjänsten "
            "byts. /sluta_folja slutar."
        )
    else:
        text = action.tr._("Du följer redan {name}.")
    await reply(update, text.format(name=escape(scope.name)))
    return True


async def follow_command(update: Update, context: BotContext) -> None:
    """/folj <skola|område>: the lookup finds it; several candidates become buttons."""
    async with user_action(update, context) as action:
        query = " ".join(context.args or [])
        if not query.strip():
            await reply(
                update,
                action.tr._(
                    "Skriv vad du vill följa, till exempel: /folj Eriksdalsskolan eller "
                    "/folj Södermalm"
                ),
            )
            return
        if is_too_long(query):
            await reply(update, action.tr._("Skriv bara namnet på skolan eller området."))
            return
        found = action.services.index.find_scope(query)
        candidates = found.candidates
        if found.chosen is not None:
            await _follow(update, action, found.chosen.key)
        elif found.outside:
            await reply(
                update, action.tr._("Jag kan bara bevaka skolor och områden i Stockholms stad.")
            )
        elif candidates:
            rows = [
                [InlineKeyboardButton(c.name, callback_data=f"fo:{c.key}")]
                for c in candidates[:MAX_BUTTONS]
            ]
            await reply(
                update,
                action.tr._("Vilken vill du följa?"),
                reply_markup=InlineKeyboardMarkup(rows),
            )
        else:
            await reply(
                update,
                action.tr._(
                    "Jag hittade ingen skola eller inget område med det namnet. Prova skolans "
                    "namn eller stadsdelsområdet, eller bläddra med /omraden."
                ),
            )


async def follow_button(update: Update, context: BotContext) -> None:
    """A "Följ" button (from a card or a list of candidates)."""
    query = update.callback_query
    assert query is not None
    found = FOLLOW.match(query.data or "")
    async with user_action(update, context) as action:
        if found is None or not await _follow(update, action, found.group(1)):
            await _stale(update, action)
            return
        await query.answer()


async def unfollow_command(update: Update, context: BotContext) -> None:
    """/sluta_folja: one button per follow."""
    assert update.effective_user is not None
    async with user_action(update, context) as action:
        mine = await follows.follows_of(action.session, update.effective_user.id)
        if not mine:
            await reply(update, action.tr._("Du följer ingen skola och inget område just nu."))
            return
        rows = [[InlineKeyboardButton(f.scope.name, callback_data=f"uf:{f.id}")] for f in mine]
        await reply(
            update,
            action.tr._("Vad vill du sluta följa?"),
            reply_markup=InlineKeyboardMarkup(rows),
        )


async def unfollow_button(update: Update, context: BotContext) -> None:
    """Stop one follow; only the user's own follows can be stopped."""
    query = update.callback_query
    assert query is not None and update.effective_user is not None
    found = UNFOLLOW.match(query.data or "")
    async with user_action(update, context) as action:
        try:
            if found is None:
                raise UnknownTarget(query.data or "")
            scope = await follows.unfollow(
                action.session, update.effective_user.id, int(found.group(1))
            )
        except UnknownTarget:
            await _stale(update, action)
            return
        await query.answer()
        await reply(
            update,
            action.tr._("Du följer inte längre {name}.").format(name=escape(scope.name)),
        )


async def list_follows(update: Update, context: BotContext) -> None:
    """/foljer: what I follow."""
    assert update.effective_user is not None
    async with user_action(update, context) as action:
        mine = await follows.follows_of(action.session, update.effective_user.id)
        if not mine:
            await reply(
                update,
                action.tr._(
                    "Du följer ingen skola och inget område. Skriv till exempel "
                    "/folj Eriksdalsskolan."
                ),
            )
            return
        lines = [action.tr._("Du följer:")]
        for item in mine:
            line = f"• {escape(item.scope.name)}"
            if not item.active:
                line += " " + action.tr._("(pausad – skriv /start för att få meddelanden igen)")
            lines.append(line)
        await reply(update, "\n".join(lines))


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler(["folj", "follow"], follow_command),
        CommandHandler(["sluta_folja", "unfollow"], unfollow_command),
        CommandHandler(["foljer", "following"], list_follows),
        CallbackQueryHandler(follow_button, pattern=r"^fo:"),
        CallbackQueryHandler(unfollow_button, pattern=r"^uf:"),
    ]
