"""A summary of a finished guide that the user can copy into the school's own records.

Only what the guide itself knows: the date, the path, the steps passed and the contacts that
the checklist names. Never anything about the child: the guide never asked for it, and the
child's area (typed at a contact step) was never kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.services.guide import GuidePosition, checklist
from knowledge.guide import Guide


@dataclass(frozen=True)
class GuideSummary:
    finished_at: datetime
    steps: tuple[str, ...]  # the titles of the steps passed, in order, in the user's language
    covered: tuple[str, ...]  # the checklist topics covered
    missed: tuple[str, ...]  # the checklist topics of this path not covered


def summarise(guide: Guide, position: GuidePosition, now: datetime, language: str) -> GuideSummary:
    """The summary of the path in `position`, which ends at a checklist."""
    steps = tuple(
        node.title.get(language)
        for node_id in position.path
        if (node := guide.node(node_id)).title is not None and node.kind != "question"
    )
    items = checklist(guide, position)
    return GuideSummary(
        finished_at=now,
        steps=steps,
        covered=tuple(i.topic.label.get(language) for i in items if i.covered),
        missed=tuple(i.topic.label.get(language) for i in items if not i.covered),
    )
