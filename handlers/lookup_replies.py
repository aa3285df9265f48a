"""What a lookup answers: shared by the free-text lookup, the child's-home question and the guide.

Pure functions: a `LookupAnswer` goes in, a `Reply` comes out (its text, the card it shows and
the matches to offer as buttons). Each flow keeps its own buttons: `choice_rows` takes the
function that makes a match's callback data, so the lookup's `pick:…`, the home question's
`home:a:…` and the guide's `gp:…` are built by the same code. Nothing here reads the database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from telegram import InlineKeyboardButton

from bot.i18n import Translator
from bot.services.contacts import ContactCard
from bot.services.directory_index import LookupAnswer
from bot.services.lookup import EntryKind, IndexEntry, Match, Outcome
from handlers.cards import render_intake, render_outside
from handlers.home_replies import home_place_text
from knowledge.directory import Geography

CALLBACK_LIMIT = 64  # bytes, Telegram's limit for callback data
MAX_CHOICES = 5

Rows = list[list[InlineKeyboardButton]]
CardText = Callable[[ContactCard, str | None], str]  # (card, the stadsdel asked about) → text


@dataclass(frozen=True)
class Reply:
    """The text to send, the card it shows (if any) and the matches to offer as buttons."""

    text: str
    choices: tuple[Match, ...] = ()
    card: ContactCard | None = None
    settled: bool = True  # False: the question still waits for a better answer


def lookup_reply(
    answer: LookupAnswer, tr: Translator, *, card_text: CardText, not_found: str
) -> Reply:
    """A school or place name → its card (as `card_text` renders it), choices, or `not_found`."""
    outcome, matches = answer.result.outcome, answer.result.matches
    if answer.outside_municipality:
        return Reply(render_outside(answer.outside_municipality, tr))
    if outcome is Outcome.CONFIDENT and answer.card is not None:
        best = matches[0].entry
        place = best.name if best.kind is EntryKind.NEIGHBOURHOOD else None
        return Reply(card_text(answer.card, place), card=answer.card)
    if outcome is Outcome.AMBIGUOUS:
        return Reply(tr._("Jag hittade flera. Vilken menar du?"), matches)
    if matches:
        not_found += "\n\n" + tr._("Menade du någon av dessa?")
    return Reply(not_found, matches)


def home_reply(answer: LookupAnswer, tr: Translator) -> Reply:
    """Where the child is registered → that area's intake unit, another municipality, choices."""
    if answer.home is not None:  # a map pin or a postcode
        text, choices, settled = home_place_text(answer, tr)
        return Reply(text, choices, settled=settled)
    if answer.outside_municipality:
        return Reply(render_outside(answer.outside_municipality, tr))
    if answer.intake is not None:
        place = answer.result.matches[0].entry.name
        return Reply(render_intake(answer.intake, tr, place=place))
    if answer.result.matches:
        return Reply(tr._("Vilket område menar du?"), answer.result.matches)
    text = tr._(
        "Jag känner inte igen den platsen. Skriv en stadsdel i Stockholm, till exempel "
        "Rinkeby, eller en annan kommun, till exempel Solna. /avbryt avbryter."
    )
    return Reply(text, settled=False)


def match_label(match: Match, geography: Geography, tr: Translator) -> str:
    """A choice's button label: a school with its area, a stadsdel with its area, else the name."""
    entry = match.entry
    if entry.area_id and entry.kind is EntryKind.SCHOOL:
        return f"{entry.name} ({geography.area(entry.area_id).name})"
    if entry.area_id and entry.kind is EntryKind.NEIGHBOURHOOD:
        area = geography.area(entry.area_id).name
        return tr._("{place} (stadsdel i {area})").format(place=entry.name, area=area)
    return entry.name


def choice_rows(
    matches: Sequence[Match],
    geography: Geography,
    tr: Translator,
    data: Callable[[IndexEntry], str | None],
) -> Rows:
    """One button per match, up to five distinct ones; `data` gives None for a match to skip."""
    rows: Rows = []
    seen: set[str] = set()
    for match in matches:
        callback = data(match.entry)
        if callback is None or callback in seen or len(callback.encode()) > CALLBACK_LIMIT:
            continue
        seen.add(callback)
        label = match_label(match, geography, tr)
        rows.append([InlineKeyboardButton(label, callback_data=callback)])
        if len(rows) == MAX_CHOICES:
            break
    return rows
