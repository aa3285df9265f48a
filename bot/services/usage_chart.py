"""Draw the follow-up figures as a PNG: answered lookups per area and week, the operator split
and guide completions.

Uses matplotlib's object API (`Figure` + the Agg canvas), not `pyplot`: no global figure state,
no GUI backend, safe to call from a worker thread (`asyncio.to_thread`), which the handler does
because drawing takes a few hundred milliseconds.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import timedelta

from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.i18n import Translator
from bot.models import Operator
from bot.services.usage import NO_OPERATOR, WeeklySeries

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def week_label(series: WeeklySeries, index: int, tr: Translator) -> str:
    """ "v. 47", with a star when the period covers only part of the week."""
    monday = series.weeks[index]
    label = tr._("v. {week}").format(week=monday.isocalendar().week)
    partial = monday < series.start or monday + timedelta(days=6) > series.end
    return label + "*" if partial else label


def draw(series: WeeklySeries, area_names: Mapping[str, str], tr: Translator) -> bytes:
    """Two panels, one bar group per ISO week; returns the PNG's bytes."""
    figure = Figure(figsize=(8, 6.5), dpi=100, layout="constrained")
    FigureCanvasAgg(figure)
    by_area, split = figure.subplots(2, 1)
    positions = list(range(len(series.weeks)))
    labels = [week_label(series, i, tr) for i in positions]

    bottom = [0] * len(positions)
    # 20 distinct colours: the default cycle has 10, and Stockholm has 11 areas.
    palette = colormaps["tab20"]
    for i, (area_id, values) in enumerate(series.lookups_by_area.items()):
        label = area_names.get(area_id, area_id)
        color = palette(i % palette.N)
        by_area.bar(positions, values, bottom=bottom, label=label, color=color)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    by_area.set_title(tr._("Uppslag med svar per stadsdelsområde och vecka"))
    by_area.set_xticks(positions, labels)
    by_area.set_ylabel(tr._("antal"))
    if series.lookups_by_area:
        by_area.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))
    else:
        by_area.text(0.5, 0.5, tr._("Inga uppslag ännu"), ha="center", transform=by_area.transAxes)

    width = 0.27
    groups = (
        (Operator.MUNICIPAL.value, tr._("kommunala skolor"), -width),
        (Operator.INDEPENDENT.value, tr._("fristående skolor"), 0.0),
        (NO_OPERATOR, tr._("stadsdel/område"), width),
    )
    for operator, label, offset in groups:
        values = series.lookups_by_operator.get(operator, (0,) * len(positions))
        split.bar([p + offset for p in positions], values, width=width, label=label)
    split.plot(
        positions,
        series.guide_completed,
        marker="o",
        color="black",
        label=tr._("guiden slutförd"),
    )
    split.set_title(tr._("Kommunala och fristående skolor, och guiden"))
    split.set_xticks(positions, labels)
    split.set_ylabel(tr._("antal"))
    split.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.0, 1.0))

    for axes in (by_area, split):
        axes.yaxis.get_major_locator().set_params(integer=True)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
