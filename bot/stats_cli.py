"""`kontaktlotsen stats`: the follow-up figures for the annual report, as CSV or a summary.

    kontaktlotsen stats --from 2026-01-01 --to 2026-06-30 --csv > uppfoljning.csv

The CSV has one row per day × area × event × operator with a count (`day,area_id,event,
operator,count`; empty `area_id`/`operator` where they do not apply). Without `--csv` a short
summary in Swedish: totals per event, answered lookups per area split by school operator, and
each area's cooperation-agreement date.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from typing import Any

from bot.runtime import Services
from bot.services import agreements, usage

EVENT_NAMES_SV = {
    "lookup_answered": "uppslag med svar",
    "lookup_no_match": "uppslag utan träff",
    "guide_started": "guiden påbörjad",
    "guide_completed": "guiden slutförd",
    "handover_recorded": "överlämningar",
    "notification_delivered": "aviseringar levererade",
    "notification_failed": "aviseringar misslyckade",
    "stale_reminder_sent": "påminnelser, inaktuella uppgifter",
    "agreement_reminder_sent": "påminnelser, samverkansavtal",
}


def add_parser(commands: Any) -> None:
    """Register `stats` on the CLI's sub-command parsers."""
    today = date.today()
    stats = commands.add_parser("stats", help="uppföljningssiffror (antal, aldrig vem) som CSV")
    stats.add_argument(
        "--from",
        dest="start",
        type=date.fromisoformat,
        default=date(today.year, 1, 1),
        help="första dagen, ÅÅÅÅ-MM-DD (standard: 1 januari i år)",
    )
    stats.add_argument(
        "--to",
        dest="end",
        type=date.fromisoformat,
        default=today,
        help="sista dagen, ÅÅÅÅ-MM-DD (standard: idag)",
    )
    stats.add_argument("--csv", action="store_true", help="en rad per dag, område och händelse")


async def run(services: Services, args: argparse.Namespace) -> int:
    start, end = args.start, args.end
    if end < start:
        print("--to ligger före --from.", file=sys.stderr)
        return 2
    async with services.database.transaction() as session:
        rows = await usage.rows(session, start, end)
        areas = await agreements.statuses(session, services.today())
    if args.csv:
        sys.stdout.write(usage.as_csv(rows))
        return 0
    print(summary_text(usage.summarise(rows, start, end), areas))
    return 0


def summary_text(summary: usage.Summary, areas: list[agreements.AgreementStatus]) -> str:
    lines = [f"Kontaktlotsen, uppföljning {summary.start} – {summary.end}", ""]
    width = max(len(name) for name in EVENT_NAMES_SV.values())
    for event, name in EVENT_NAMES_SV.items():
        lines.append(f"  {name:<{width}}  {summary.events.get(event, 0):>7}")
    lines += ["", "Uppslag med svar per stadsdelsområde (kommunal / fristående / stadsdel-område)"]
    for status in areas:
        counts = summary.lookups.get(status.area_id, usage.AreaLookups())
        lines.append(
            f"  {status.area_name:<22} {counts.municipal:>6} {counts.independent:>6} "
            f"{counts.area_only:>6}   = {counts.total}"
        )
    total = summary.lookup_total
    lines.append(
        f"  {'Summa':<22} {total.municipal:>6} {total.independent:>6} {total.area_only:>6}"
        f"   = {total.total}"
    )
    lines += ["", "Samverkansöverenskommelse, senast reviderad"]
    for status in areas:
        when = status.revised_on.isoformat() if status.revised_on else "saknas"
        flag = "  (äldre än 12 månader eller saknas)" if status.overdue else ""
        lines.append(f"  {status.area_name:<22} {when}{flag}")
    return "\n".join(lines)
