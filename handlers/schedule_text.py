"""How a planned change reads wherever it is shown: "Från 7 december: Sara Ek"."""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from bot.services.contacts import Upcoming


def upcoming_line(upcoming: Upcoming, tr: Translator) -> str:
    return tr._("Från {date}: {name}").format(
        date=tr.date(upcoming.on), name=f"<b>{escape(upcoming.name)}</b>"
    )
