"""Errors the admin services raise; handlers turn each into a translated reply.

Exception hierarchy::

    AdminError
     ├── NotAuthorized            the actor may not do this here (the refusal is audited)
     ├── UnknownTarget            no such school, area, assignment, grant or follow
     ├── ContactChangedMeanwhile  someone else changed the scope's contact since it was shown
     ├── InvalidDate              a date in the past, or not after the current entry's start
     ├── OverlappingAbsence       an absence already covers part of the period
     └── InvalidInvite            unknown, used or expired code (the refusal is audited)

Field values (phone, e-mail, lengths, dates typed as text) raise `bot.services.fields.FieldError`.
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum


class AdminError(Exception):
    """Base of the errors an admin action can end with."""


class NotAuthorized(AdminError):
    def __init__(self, action: str, target: str) -> None:
        super().__init__(f"not authorised: {action} on {target}")
        self.action = action
        self.target = target


class UnknownTarget(AdminError):
    def __init__(self, target: str) -> None:
        super().__init__(f"unknown target {target!r}")
        self.target = target


class ContactChangedMeanwhile(AdminError):
    """Optimistic locking lost: another admin recorded a change to the same scope first."""


class InvalidDateReason(StrEnum):
    IN_THE_PAST = "in_the_past"
    NOT_AFTER_CURRENT = "not_after_current"
    BACK_NOT_AFTER_START = "back_not_after_start"


class InvalidDate(AdminError):
    def __init__(self, reason: InvalidDateReason, limit: date | None = None) -> None:
        super().__init__(f"invalid date: {reason.value}")
        self.reason = reason
        # For NOT_AFTER_CURRENT: the day the current entry starts; the new one must be later.
        self.limit = limit


class OverlappingAbsence(AdminError):
    pass


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"


class InvalidInvite(AdminError):
    def __init__(self, problem: InviteProblem) -> None:
        super().__init__(f"invalid invite: {problem.value}")
        self.problem = problem
