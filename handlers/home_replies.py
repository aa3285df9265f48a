"""What a map pin or a postcode answers: the intake unit of the child's area, or why not.

Pure functions over a `LookupAnswer` whose `home` is set (`bot.services.home`). The pin and the
postcode are never repeated: a reply names the stadsdel, the postort, the area or the
municipality, never the number or the coordinates.
"""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from bot.services.directory_index import LookupAnswer
from bot.services.lookup import Match, Outcome
from handlers.cards import render_intake, render_outside


def pin_hint(tr: Translator) -> str:
    """Two lines on sending the child's home as a map pin."""
    return tr._(
        "📍 Du kan också skicka barnets adress som en plats: tryck 📎 → Plats.\n"
        "Sök adressen där, eller flytta nålen till huset. Platsen sparas inte."
    )


def outside_pin(tr: Translator) -> str:
    return tr._(
        "📍 Platsen ligger utanför Stockholms stad. Orosanmälan görs till socialtjänsten i "
        "den kommun där barnet är folkbokfört.\n\n"
        "🚨 Akut fara för barnet: ring 112."
    )


def home_place_text(answer: LookupAnswer, tr: Translator) -> tuple[str, tuple[Match, ...], bool]:
    """(text, areas to offer as buttons, whether the question is settled) for a pin/postcode."""
    home, result = answer.home, answer.result
    assert home is not None
    best = result.matches[0].entry if result.matches else None
    if result.outcome is Outcome.OUTSIDE:
        return (render_outside(best.name, tr) if best else outside_pin(tr)), (), True
    if answer.intake is not None and best is not None:
        if home.by_pin:
            return render_intake(answer.intake, tr, place=best.name), (), True
        intro = tr._("Postorten {postort} ligger i stadsdelsområde {area}.").format(
            postort=escape(home.postort or ""), area=escape(answer.intake.area.name)
        )
        return f"{intro}\n\n{render_intake(answer.intake, tr)}", (), True
    if result.outcome is Outcome.AMBIGUOUS:
        text = tr._(
            "Postorten {postort} finns i flera stadsdelsområden. Välj det där barnet bor."
        ).format(postort=escape(home.postort or ""))
        return f"{text}\n\n{pin_hint(tr)}", result.matches, False
    if home.postort is not None:
        text = tr._("Postnumret ligger i Stockholm, men jag kan inte avgöra stadsdelsområdet.")
    else:
        text = tr._("Det postnumret finns inte i min lista. Skriv stadsdelen i stället.")
    return f"{text}\n\n{pin_hint(tr)}", (), False
