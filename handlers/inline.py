"""Inline mode: `@<bot> fridhemsskolan` in any chat offers the school's contact card.

A principal can post the right contact in a staff group without the bot being a member. The
same lookup as a typed name answers: a confident match gives one card, an ambiguous one a card
per candidate (Telegram's result list is the choice), nothing found an empty list. The card is
the one the bot shows in private chat, example-data banner included, with a link button to the
bot so a colleague can follow the school.

Privacy: an inline query is not a chat message, so the privacy guard in group -1 does not see
it; a query that holds a personnummer is answered with nothing here, before any lookup. The
query is matched in memory, never stored, logged or counted (Telegram sends one per keystroke,
so counting would say nothing). Results are cached per user (`is_personal`: the language and
office-hours line differ) for a minute.
"""

from __future__ import annotations

from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    LinkPreviewOptions,
    Update,
)
from telegram.constants import InlineQueryLimit, ParseMode
from telegram.ext import BaseHandler, InlineQueryHandler

from bot.i18n import Translator
from bot.services.contacts import ContactCard
from bot.services.lookup import EntryKind, Match, Outcome, is_too_long
from bot.services.privacy import contains_personal_number
from handlers.cards import operator_label, render_card
from handlers.common import Action, BotContext, user_action
from handlers.sharing import BotLinks, bot_links, card_payload

MAX_RESULTS = 5
CACHE_SECONDS = 60


def result_for(
    index: int, card: ContactCard, place: str | None, action: Action, links: BotLinks | None
) -> InlineQueryResultArticle:
    """One card as an inline result: its title, a one-line description, the card itself."""
    tr = action.tr
    text = render_card(card, tr, office_hours=action.services.is_office_hours(), place=place)
    keyboard = None
    if links is not None:
        button = InlineKeyboardButton(
            tr._("Öppna i Kontaktlotsen"), url=links.to(card_payload(card))
        )
        keyboard = InlineKeyboardMarkup([[button]])
    return InlineQueryResultArticle(
        id=f"r{index}",
        title=title_of(card, place),
        description=description_of(card, tr),
        input_message_content=InputTextMessageContent(
            text,
            parse_mode=ParseMode.HTML,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
        ),
        reply_markup=keyboard,
    )


def title_of(card: ContactCard, place: str | None) -> str:
    if card.school is not None:
        return card.school.name
    return place or card.area.name


def description_of(card: ContactCard, tr: Translator) -> str:
    area = tr._("stadsdelsområde {area}").format(area=card.area.name)
    if card.school is not None:
        area = f"{operator_label(card.school.operator, tr)} · {area}"
    if card.shows_example_data:
        area = tr._("EXEMPELDATA") + " · " + area
    return area


async def cards_for(action: Action, query: str) -> list[tuple[ContactCard, str | None]]:
    """The cards a query means: one when confident, one per candidate when ambiguous."""
    answer = await action.services.index.answer(action.session, query, action.today)
    result = answer.result
    if result.outcome is Outcome.CONFIDENT and answer.card is not None:
        return [(answer.card, _place(result.matches[0]))]
    if result.outcome is not Outcome.AMBIGUOUS:
        return []
    found: list[tuple[ContactCard, str | None]] = []
    for match in result.matches[:MAX_RESULTS]:
        card = await action.services.index.card_for(action.session, match, action.today)
        if card is not None:
            found.append((card, _place(match)))
    return found


def _place(match: Match) -> str | None:
    return None if match.entry.kind is EntryKind.SCHOOL else match.entry.name


async def answer_inline(update: Update, context: BotContext) -> None:
    """Answer `@bot <name>` with contact cards; never store or log the query."""
    inline = update.inline_query
    assert inline is not None
    query = inline.query.strip()
    results: list[InlineQueryResultArticle] = []
    async with user_action(update, context) as action:
        tr = action.tr
        readable = query and not is_too_long(query) and not contains_personal_number(query)
        if readable:
            links = bot_links(context)
            cards = await cards_for(action, query)
            results = [
                result_for(i, card, place, action, links) for i, (card, place) in enumerate(cards)
            ]
    button = InlineQueryResultsButton(
        text=tr._("Skriv skolans namn – eller öppna Kontaktlotsen"), start_parameter="inline"
    )
    await inline.answer(
        results[: InlineQueryLimit.RESULTS],
        cache_time=CACHE_SECONDS,
        is_personal=True,
        button=None if results else button,
    )


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [InlineQueryHandler(answer_inline)]
