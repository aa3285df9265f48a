"""The follower counts in /statistik: which schools the handover notices reach (counts only).

Area admins see each school of their areas; city admins, whose list would be every school in
the city, see one line per area and get the per-school figures from `kontaktlotsen stats --csv
--followers`. Long lists are split by area so no message passes Telegram's 4,096 characters.
"""

from __future__ import annotations

from html import escape

from bot.i18n import Translator
from bot.services.reach import AreaReach

NAME_WIDTH = 24
NUMBER_WIDTH = 5
MESSAGE_LIMIT = 3500  # below Telegram's 4,096, leaving room for the header


def _name(text: str) -> str:
    return escape(text[:NAME_WIDTH].ljust(NAME_WIDTH))


def header(tr: Translator) -> str:
    return tr._("👥 <b>Följare – vem nås av beskedet när kontaktpersonen byts</b>")


def area_summary(areas: list[AreaReach], tr: Translator) -> str:
    """One line per area: its own followers, and how many of its schools have any."""
    columns = tr._("omr").rjust(NUMBER_WIDTH) + tr._("skolor").rjust(NUMBER_WIDTH + 4)
    rows = [_name(tr._("Område")) + escape(columns)]
    for area in areas:
        reached = f"{area.schools_reached}/{len(area.schools)}"
        rows.append(
            _name(area.name)
            + str(area.area_followers).rjust(NUMBER_WIDTH)
            + reached.rjust(NUMBER_WIDTH + 4)
        )
    legend = tr._(
        "omr: följer hela området. skolor: skolor där minst en följer skolan. "
        "Per skola: kontaktlotsen stats --csv --followers"
    )
    return "\n\n".join([header(tr), "<pre>" + "\n".join(rows) + "</pre>", legend])


def area_schools(area: AreaReach, tr: Translator) -> str:
    title = tr.ngettext(
        "<b>{area}</b>: {count} följer hela området",
        "<b>{area}</b>: {count} följer hela området",
        area.area_followers,
    ).format(area=escape(area.name), count=area.area_followers)
    rows = [
        _name(school.name)
        + str(school.followers).rjust(NUMBER_WIDTH)
        + (" ⚠" if not school.followers else "")
        for school in area.schools
    ] or [tr._("inga skolor")]
    return title + "\n<pre>" + "\n".join(rows) + "</pre>"


def per_school(areas: list[AreaReach], tr: Translator) -> list[str]:
    """Messages with each school's followers, split between areas when long."""
    legend = tr._(
        "⚠ Ingen följer skolan: beskeden når där bara dem som följer området. "
        "/affisch &lt;skola&gt; ger en affisch med en länk till skolans kort."
    )
    messages: list[str] = []
    current = header(tr)
    for area in areas:
        block = area_schools(area, tr)
        if len(current) + len(block) > MESSAGE_LIMIT:
            messages.append(current)
            current = block
        else:
            current += "\n\n" + block
    messages.append(current + "\n\n" + legend)
    return messages


def follower_messages(areas: list[AreaReach], tr: Translator, *, city_wide: bool) -> list[str]:
    return [area_summary(areas, tr)] if city_wide else per_school(areas, tr)
