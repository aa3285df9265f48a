"""Errors the admin services raise; handlers turn each into a translated reply.

Exception hierarchy::

    AdminError
     ├── NotAuthorized            the actor may not do this here (the refusal is audited)
     ├── UnknownTarget            no such school, area, assignment, grant or follow
     │    └── UnknownArea         the text names no stadsdelsområde
     ├── ContactChangedMeanwhile  someone else changed the scope's contact since it was shown
     ├── InvalidDate              a date in the past, not after the current entry's start, or
     │                            after the day a planned handover replaces the contact
     ├── OverlappingAbsence       an absence already covers part of the period
     ├── SamePerson               a handover to the contact it would replace
     ├── NotPlanned               a handover already in effect (or a later one is planned)
     ├── NotStarted               a user picked for a role has never started the bot
     ├── InvalidInviteDays        an invite code valid for too few or too many days
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


class UnknownArea(UnknownTarget):
    """An area typed by an admin (id, name or former name) that is not one of the areas."""


class ContactChangedMeanwhile(AdminError):
    """Optimistic locking lost: another admin recorded a change to the same scope first."""


class InvalidDateReason(StrEnum):
    IN_THE_PAST = "in_the_past"
    NOT_AFTER_CURRENT = "not_after_current"
    BACK_NOT_AFTER_START = "back_not_after_start"
    # An absence of the contact shown today, starting on or after the day a planned handover
    # replaces them: it would belong to someone else.
    CONTACT_REPLACED = "contact_replaced"
    # An absence running past the day another contact takes over: it must end by then.
    CROSSES_CHANGE = "crosses_change"
    # No contact is registered on the absence's first day.
    NO_CONTACT = "no_contact"
    # A planned handover moved to a day that leaves recorded leave (from `limit`) outside its
    # contact's time.
    ABSENCE_IN_THE_WAY = "absence_in_the_way"


class InvalidDate(AdminError):
    def __init__(self, reason: InvalidDateReason, limit: date | None = None) -> None:
        super().__init__(f"invalid date: {reason.value}")
        self.reason = reason
        # NOT_AFTER_CURRENT: the day the current entry starts; the new one must be later.
        # BACK_NOT_AFTER_START: the first day away. CONTACT_REPLACED: the day the new contact
        # takes over; the absence must start before it.
        self.limit = limit


class OverlappingAbsence(AdminError):
    pass


class SamePerson(AdminError):
    """A handover naming the contact it would replace: nothing would change."""

    def __init__(self, name: str) -> None:
        super().__init__("the new contact is the one replaced")
        self.name = name


class NotPlanned(AdminError):
    """Only a handover that has not taken effect can be corrected or withdrawn, and only the
    last one planned in its scope (`later` is the day a later one takes effect)."""

    def __init__(self, later: date | None = None) -> None:
        super().__init__("not a planned handover")
        self.later = later


class NotStarted(AdminError):
    """A role can only go to someone who has started the bot (and so can be told)."""


class InvalidInviteDays(AdminError):
    def __init__(self, days: int, maximum: int) -> None:
        super().__init__(f"invite days must be 1–{maximum}, not {days}")
        self.days = days
        self.maximum = maximum


class InviteProblem(StrEnum):
    UNKNOWN = "unknown"
    USED = "used"
    EXPIRED = "expired"
    TOO_MANY = "too_many"  # the attempt limit: the code was not even looked at


class InvalidInvite(AdminError):
    def __init__(self, problem: InviteProblem) -> None:
        super().__init__(f"invalid invite: {problem.value}")
        self.problem = problem
