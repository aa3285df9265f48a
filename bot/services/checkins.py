"""The opt-in check-in: "Har du fått återkoppling?" some weeks after "Jag har gjort anmälan".

The city's follow-up model asks what happens to reports, not only how often the bot is used.
A user who ends the guide with "Jag har gjort anmälan" may ask to be asked again after
`checkin_days` (default 21): did social services give feedback, was a meeting about the report
offered (Ja / Nej / Vet inte). The answers become anonymous counts (`usage_counts`) per day,
area and school operator; they are never linked to a person.

The pending row (`guide_checkins`) holds only the user's id, the due date, the day it was asked
and the area and operator to count under – the school's, taken from what the user follows (one
school: its area and operator; one area: that area), never the child's. It is deleted when the
questions are answered, by /glom_mig, or `checkin_expire_days` after it was due.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Follow, GuideCheckIn, School, UsageEvent
from bot.services.usage import NO_AREA, NO_OPERATOR, count

YES, NO, UNKNOWN = "ja", "nej", "vet"
ANSWERS = (YES, NO, UNKNOWN)
FEEDBACK_EVENTS = {
    YES: UsageEvent.FEEDBACK_YES,
    NO: UsageEvent.FEEDBACK_NO,
    UNKNOWN: UsageEvent.FEEDBACK_UNKNOWN,
}
MEETING_EVENTS = {
    YES: UsageEvent.MEETING_YES,
    NO: UsageEvent.MEETING_NO,
    UNKNOWN: UsageEvent.MEETING_UNKNOWN,
}


@dataclass(frozen=True)
class DueCheckIn:
    user_id: int


async def counted_under(session: AsyncSession, user_id: int) -> tuple[str, str]:
    """(area, operator) to count the answers under: from the one school or area followed."""
    rows = (
        await session.execute(
            select(Follow.area_id, School.area_id, School.operator)
            .outerjoin(School, School.id == Follow.school_id)
            .where(Follow.user_id == user_id)
        )
    ).tuples()
    targets = {
        (school_area or area or NO_AREA, operator or NO_OPERATOR)
        for area, school_area, operator in rows
    }
    if len(targets) != 1:
        return NO_AREA, NO_OPERATOR
    return next(iter(targets))


async def schedule(session: AsyncSession, user_id: int, today: date, days: int) -> date:
    """Ask the user again `days` from `today` (replacing an earlier check-in); the due date."""
    area, operator = await counted_under(session, user_id)
    due = today + timedelta(days=days)
    existing = await session.get(GuideCheckIn, user_id)
    if existing is None:
        session.add(GuideCheckIn(user_id=user_id, area_id=area, operator=operator, due_on=due))
    else:
        existing.area_id, existing.operator = area, operator
        existing.due_on, existing.asked_on = due, None
    await count(session, today, UsageEvent.CHECKIN_ACCEPTED, area or None, operator)
    return due


async def pending(session: AsyncSession, user_id: int) -> GuideCheckIn | None:
    return await session.get(GuideCheckIn, user_id)


async def claim_due(session: AsyncSession, today: date, *, limit: int = 200) -> list[int]:
    """The users whose check-in is due and not yet asked; marks them asked today."""
    rows = list(
        await session.scalars(
            select(GuideCheckIn)
            .where(GuideCheckIn.due_on <= today, GuideCheckIn.asked_on.is_(None))
            .order_by(GuideCheckIn.due_on, GuideCheckIn.user_id)
            .limit(limit)
        )
    )
    for row in rows:
        row.asked_on = today
        await count(session, today, UsageEvent.CHECKIN_ASKED, row.area_id or None, row.operator)
    return [row.user_id for row in rows]


async def unclaim(session: AsyncSession, user_id: int) -> None:
    """The question could not be sent (e.g. a network error): try again on the next run."""
    row = await session.get(GuideCheckIn, user_id)
    if row is not None:
        row.asked_on = None


async def answer(
    session: AsyncSession, user_id: int, feedback: str, meeting: str, today: date
) -> bool:
    """Count both answers under the check-in's area and operator, then delete it.

    False (and nothing counted) when the user has no asked check-in: a forged or repeated press.
    """
    row = await session.get(GuideCheckIn, user_id)
    if row is None or row.asked_on is None or feedback not in ANSWERS or meeting not in ANSWERS:
        return False
    area = row.area_id or None
    await count(session, today, FEEDBACK_EVENTS[feedback], area, row.operator)
    await count(session, today, MEETING_EVENTS[meeting], area, row.operator)
    await session.delete(row)
    return True


async def cancel(session: AsyncSession, user_id: int) -> bool:
    """Forget the user's check-in; whether there was one."""
    result = await session.execute(delete(GuideCheckIn).where(GuideCheckIn.user_id == user_id))
    return bool(getattr(result, "rowcount", 0))


async def purge_expired(session: AsyncSession, today: date, expire_days: int) -> int:
    """Delete check-ins due more than `expire_days` ago (answered or not)."""
    cutoff = today - timedelta(days=expire_days)
    result = await session.execute(delete(GuideCheckIn).where(GuideCheckIn.due_on < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)
