"""/affisch <skola> (/poster): admins get the school's A4 poster, as a PNG to look at and a PDF
to print. City admins may make one for any school, area admins for the schools of their areas.
The refusal is audited by `authz`, like every admin command's.
"""

from __future__ import annotations

import asyncio
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services.poster import PosterFacts, facts_for_school, file_name, render
from handlers.admin_common import actor_of
from handlers.common import Action, BotContext, admin_permissions, reply, user_action
from handlers.sharing import bot_links


async def _school_id(update: Update, action: Action, query: str) -> int | None:
    """The one school `query` names, else None once the user is told what to type."""
    answer = await action.services.index.answer(action.session, query, action.today)
    card = answer.card
    if card is not None and card.school is not None:
        return card.school.id
    await reply(
        update,
        action.tr._(
            "Jag hittade inte en enda skola med det namnet. Skriv skolans hela namn, till "
            "exempel: /affisch Eriksdalsskolan"
        ),
    )
    return None


async def _facts(update: Update, context: BotContext, action: Action) -> PosterFacts | None:
    tr = action.tr
    refusal = tr._("Affischerna är till för administratörer i socialtjänsten.")
    granted = await admin_permissions(update, action, actor_of(update, context), "poster", refusal)
    if granted is None:
        return None
    query = " ".join(context.args or [])
    if not query.strip():
        await reply(update, tr._("Skriv skolans namn, till exempel: /affisch Eriksdalsskolan"))
        return None
    links = bot_links(context)
    if links is None:
        await reply(update, tr._("Botens användarnamn saknas: ange TELEGRAM_BOT_USERNAME."))
        return None
    school_id = await _school_id(update, action, query)
    if school_id is None:
        return None
    facts = await facts_for_school(
        action.session, action.services.cards, school_id, links.username, action.today
    )
    card = await action.services.cards.card_for_school(action.session, school_id, action.today)
    if facts is None or card is None or not granted.covers(card.area.id):
        await reply(update, tr._("Du kan bara göra affischer för skolor i dina egna områden."))
        return None
    return facts


async def make_poster(update: Update, context: BotContext) -> None:
    """/affisch <skola>: the poster as PNG (preview) and PDF (for printing)."""
    async with user_action(update, context) as action:
        facts = await _facts(update, context, action)
    if facts is None:
        return
    tr = action.tr
    # Rendering takes a moment: off the event loop, after the transaction.
    png = await asyncio.to_thread(render, facts, tr, "png")
    pdf = await asyncio.to_thread(render, facts, tr, "pdf")
    chat = update.effective_chat
    assert chat is not None
    caption = tr._("Affisch för {school}: skriv ut PDF:en i A4 och sätt upp den i personalrummet.")
    await chat.send_photo(png, filename=file_name(facts.school, "png"))
    await chat.send_document(
        pdf,
        filename=file_name(facts.school, "pdf"),
        caption=caption.format(school=escape(facts.school)),
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [CommandHandler(["affisch", "poster"], make_poster, block=False)]
