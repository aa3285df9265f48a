"""/statistik: the follow-up figures for admins; /samverkansavtal: the cooperation agreements.

City admins see every area, area admins their own areas; everyone else gets a polite no (the
refusal is audited by `authz`). The figures are counters only (`bot.services.usage`); events that
belong to no area (a lookup without a match, the guide) are shown to every admin, since they are
city-wide totals that say nothing about any one area.

/statistik runs with `block=False`: drawing the chart takes a few hundred milliseconds, and PTB
otherwise handles updates one at a time, so every other user would wait for it. It only reads
(and, for someone without a role, audits the refusal), so nothing depends on its order.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from html import escape
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler

from bot.i18n import Translator
from bot.models import UsageEvent
from bot.services import agreements, reach, usage
from bot.services.agreements import AgreementStatus, AreaNotUnderstood, FutureRevision
from bot.services.authz import Permissions
from bot.services.dates import DateNotUnderstood
from bot.services.errors import NotAuthorized, UnknownTarget
from handlers.admin_common import actor_of
from handlers.common import Action, BotContext, admin_permissions, reply, user_action
from handlers.reach_stats import follower_messages

PERIOD_DAYS = 30
NAME_WIDTH = 20  # "Enskede-Årsta-Vantör", the longest area name
EVENT_WIDTH = 24
NUMBER_WIDTH = 5

# Answered lookups have a table of their own (per area and operator); the rest are totals.
EVENTS = [event for event in usage.EVENT_LABELS if event is not UsageEvent.LOOKUP_ANSWERED]


def not_allowed(tr: Translator) -> str:
    return tr._(
        "Statistiken och samverkansavtalen är till för administratörer i socialtjänsten. "
        "Har du fått en kod, skriv /kod följt av koden."
    )


def _cell(value: int) -> str:
    return str(value).rjust(NUMBER_WIDTH)


def _name(text: str) -> str:
    return escape(text[:NAME_WIDTH].ljust(NAME_WIDTH))


def agreement_line(status: AgreementStatus, tr: Translator) -> str:
    when = status.revised_on.isoformat() if status.revised_on else tr._("saknas")
    return f"{_name(status.area_name)} {when}{' ⚠' if status.overdue else ''}"


def render_table(summary: usage.Summary, areas: list[AgreementStatus], tr: Translator) -> str:
    """The figures as three monospace blocks: lookups per area, other events, agreements."""
    header = tr._("📊 <b>Uppföljning {start} – {end}</b> ({days} dagar)").format(
        start=summary.start.isoformat(), end=summary.end.isoformat(), days=PERIOD_DAYS
    )
    columns = (tr._("kom"), tr._("fri"), tr._("omr"), tr._("alla"))
    answered = tr._(usage.EVENT_LABELS[UsageEvent.LOOKUP_ANSWERED])
    lookups = [_name(answered) + "".join(c.rjust(NUMBER_WIDTH) for c in columns)]
    for status in areas:
        counts = summary.lookups.get(status.area_id, usage.AreaLookups())
        lookups.append(
            _name(status.area_name)
            + "".join(
                _cell(v)
                for v in (counts.municipal, counts.independent, counts.area_only, counts.total)
            )
        )
    total = summary.lookup_total
    lookups.append(
        _name(tr._("Summa"))
        + "".join(
            _cell(v) for v in (total.municipal, total.independent, total.area_only, total.total)
        )
    )
    events = [
        escape(tr._(usage.EVENT_LABELS[event])[:EVENT_WIDTH].ljust(EVENT_WIDTH))
        + _cell(summary.events.get(event.value, 0))
        for event in EVENTS
    ]
    agreement_lines = [agreement_line(status, tr) for status in areas] or [tr._("inga områden")]
    legend = tr._(
        "kom/fri: kommunal/fristående skola, omr: stadsdel eller område. "
        "⚠ Samverkansöverenskommelsen är äldre än 12 månader eller saknas: /samverkansavtal"
    )
    return "\n\n".join(
        [
            header,
            "<pre>" + "\n".join(lookups) + "</pre>",
            "<pre>" + "\n".join(events) + "</pre>",
            tr._("<b>Samverkansöverenskommelse, senast reviderad</b>"),
            "<pre>" + "\n".join(agreement_lines) + "</pre>",
            legend,
        ]
    )


async def _permissions(update: Update, context: BotContext, action: Action) -> Permissions | None:
    actor = actor_of(update, context)
    return await admin_permissions(update, action, actor, "stats.view", not_allowed(action.tr))


async def show_stats(update: Update, context: BotContext) -> None:
    """/statistik: the last 30 days as a table, then as a chart."""
    await context.services.flush_usage()  # this instance's lookups, counted in memory so far
    async with user_action(update, context) as action:
        granted = await _permissions(update, context, action)
        if granted is None:
            return
        end = action.today
        start = end - timedelta(days=PERIOD_DAYS - 1)
        rows = await usage.rows(action.session, start, end, granted.area_filter)
        areas = await agreements.statuses(action.session, end, granted.area_filter)
        await reply(update, render_table(usage.summarise(rows, start, end), areas, action.tr))
        reached = await reach.follower_counts(action.session, granted.area_filter)
        for text in follower_messages(reached, action.tr, city_wide=granted.city_admin):
            await reply(update, text)
    series = usage.weekly(rows, start, end)
    names = {status.area_id: status.area_name for status in areas}
    # Drawing takes a few hundred milliseconds: off the event loop, after the transaction.
    from bot.services import usage_chart  # matplotlib loads with the first chart, not at start

    png = await asyncio.to_thread(usage_chart.draw, series, names, action.tr)
    assert update.effective_chat is not None
    await update.effective_chat.send_photo(
        png,
        filename="statistik.png",
        caption=action.tr._("Uppslag per vecka, {start} – {end} (* del av vecka)").format(
            start=start.isoformat(), end=end.isoformat()
        ),
    )


def _agreement_usage(tr: Translator) -> str:
    return tr._(
        "Skriv området och dagen då samverkansöverenskommelsen senast reviderades, till exempel:\n"
        "/samverkansavtal Södermalm 2026-03-15"
    )


async def agreement(update: Update, context: BotContext) -> None:
    """/samverkansavtal [område datum]: show the agreements, or record a revision."""
    async with user_action(update, context) as action:
        granted = await _permissions(update, context, action)
        if granted is None:
            return
        text = " ".join(context.args or [])
        if not text.strip():
            await _show_agreements(update, action, granted)
            return
        await _record(update, context, action, text)


async def _show_agreements(update: Update, action: Action, granted: Permissions) -> None:
    areas = await agreements.statuses(action.session, action.today, granted.area_filter)
    lines = "\n".join(agreement_line(status, action.tr) for status in areas)
    await reply(
        update,
        action.tr._("<b>Samverkansöverenskommelse, senast reviderad</b>")
        + f"\n<pre>{lines}</pre>\n\n"
        + _agreement_usage(action.tr),
    )


async def _record(update: Update, context: BotContext, action: Action, text: str) -> None:
    tr = action.tr
    try:
        area_id, day = agreements.parse_revision(
            text, action.services.geography.areas, action.today
        )
        status = await agreements.record_revision(
            action.session, actor_of(update, context), area_id, day, action.today
        )
    except AreaNotUnderstood:
        await reply(update, tr._("Jag känner inte igen området.") + "\n" + _agreement_usage(tr))
    except DateNotUnderstood:
        await reply(update, tr._("Jag förstår inte datumet.") + "\n" + _agreement_usage(tr))
    except FutureRevision:
        await reply(update, tr._("Datumet ligger i framtiden. Ange dagen då avtalet reviderades."))
    except (NotAuthorized, UnknownTarget):
        await reply(update, tr._("Du kan bara ändra samverkansavtalet för dina egna områden."))
    else:
        await reply(update, _recorded_text(status, tr))


def _recorded_text(status: AgreementStatus, tr: Translator) -> str:
    assert status.revised_on is not None
    text = tr._("Sparat: samverkansöverenskommelsen för {area} reviderades {date}.").format(
        area=escape(status.area_name), date=tr.date(status.revised_on)
    )
    if status.overdue:
        text += "\n" + tr._("Den är äldre än 12 månader; det är dags att revidera den igen.")
    return text


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler(["statistik", "stats"], show_stats, block=False),
        CommandHandler(["samverkansavtal", "agreement"], agreement),
    ]
