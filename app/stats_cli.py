"""`kontaktlotsen stats`: the follow-up figures for the annual report, as CSV or a summary.

    kontaktlotsen stats --from 2026-01-01 --to 2026-06-30 --csv > uppfoljning.csv
    kontaktlotsen stats --followers --csv > foljare.csv

`--followers` counts, as of now, how many staff follow each area and each school (whom the
handover notices reach): `area_id,school_id,skolenhetskod,school,followers`, one row per area
(empty school) and per school. Counts only, never who.

The CSV has one row per day × area × event × operator with a count (`day,area_id,event,
operator,count`; empty `area_id`/`operator` where they do not apply), with machine keys for a
spreadsheet. Without `--csv` a short summary in the default language (DEFAULT_LANGUAGE): totals
per event, answered lookups per area split by school operator, and each area's
cooperation-agreement date. Without `--from`/`--to` the period is this year up to today, in
Stockholm (the counters' days), not on the server's clock.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from bot.i18n import Translator, translator
from bot.runtime import Services
from bot.services import agreements, reach, usage

AREA_WIDTH = 22


def add_parser(commands: Any) -> None:
    """Register `stats` on the CLI's sub-command parsers."""
    stats = commands.add_parser("stats", help="uppföljningssiffror (antal, aldrig vem) som CSV")
    stats.add_argument(
        "--from",
        dest="start",
        type=date.fromisoformat,
        help="första dagen, ÅÅÅÅ-MM-DD (standard: 1 januari i år)",
    )
    stats.add_argument(
        "--to",
        dest="end",
        type=date.fromisoformat,
        help="sista dagen, ÅÅÅÅ-MM-DD (standard: idag)",
    )
    stats.add_argument("--csv", action="store_true", help="en rad per dag, område och händelse")
    stats.add_argument(
        "--followers",
        action="store_true",
        help="antal som följer varje skola och område (med --csv: en rad per skola)",
    )


async def run(services: Services, args: argparse.Namespace) -> int:
    today = services.today()  # the day in Stockholm, as the counters are keyed
    start: date = args.start or date(today.year, 1, 1)
    end: date = args.end or today
    tr = translator(services.settings.default_language)
    if end < start:
        print(tr._("--to ligger före --from."), file=sys.stderr)
        return 2
    if args.followers:
        return await _followers(services, tr, as_csv=args.csv)
    async with services.database.transaction() as session:
        rows = await usage.rows(session, start, end)
        areas = await agreements.statuses(session, today)
    if args.csv:
        sys.stdout.write(usage.as_csv(rows))
        return 0
    print(summary_text(usage.summarise(rows, start, end), areas, tr))
    return 0


async def _followers(services: Services, tr: Translator, *, as_csv: bool) -> int:
    """Who the notices reach today: followers per area and school (counts, never who)."""
    async with services.database.transaction() as session:
        areas = await reach.follower_counts(session)
    if as_csv:
        sys.stdout.write(reach.as_csv(areas))
        return 0
    print(tr._("Följare per stadsdelsområde (följer området / skolor med följare)"))
    for area in areas:
        reached = f"{area.schools_reached}/{len(area.schools)}"
        print(f"  {area.name:<{AREA_WIDTH}} {area.area_followers:>6} {reached:>9}")
    return 0


def summary_text(
    summary: usage.Summary, areas: list[agreements.AgreementStatus], tr: Translator
) -> str:
    """The figures as plain text for a terminal: events, lookups per area, agreements."""
    title = tr._("Kontaktlotsen, uppföljning {start} – {end}")
    lines = [title.format(start=summary.start, end=summary.end), ""]
    names = {event: tr._(label) for event, label in usage.EVENT_LABELS.items()}
    width = max(len(name) for name in names.values())
    for event, name in names.items():
        lines.append(f"  {name:<{width}}  {summary.events.get(event.value, 0):>7}")
    lines += [
        "",
        tr._("Uppslag med svar per stadsdelsområde (kommunal / fristående / stadsdel-område)"),
    ]
    for status in areas:
        counts = summary.lookups.get(status.area_id, usage.AreaLookups())
        lines.append(_lookup_line(status.area_name, counts))
    lines.append(_lookup_line(tr._("Summa"), summary.lookup_total))
    lines += ["", tr._("Samverkansöverenskommelse, senast reviderad")]
    for status in areas:
        when = status.revised_on.isoformat() if status.revised_on else tr._("saknas")
        flag = "  " + tr._("(äldre än 12 månader eller saknas)") if status.overdue else ""
        lines.append(f"  {status.area_name:<{AREA_WIDTH}} {when}{flag}")
    return "\n".join(lines)


def _lookup_line(name: str, counts: usage.AreaLookups) -> str:
    return (
        f"  {name:<{AREA_WIDTH}} {counts.municipal:>6} {counts.independent:>6} "
        f"{counts.area_only:>6}   = {counts.total}"
    )
