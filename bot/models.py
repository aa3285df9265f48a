"""Database tables (SQLAlchemy 2.0 typed ORM).

History is never overwritten: a contact change closes one assignment (`valid_to`) and opens
another, so "who was the contact on 3 March" stays answerable.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from bot.clock import utcnow

NAME_MAX = 120
FIELD_MAX = 200


class Base(DeclarativeBase):
    pass


class SchoolKind(StrEnum):
    GRUNDSKOLA = "grundskola"
    GYMNASIUM = "gymnasium"
    ANPASSAD_SKOLA = "anpassad_skola"
    # RSU/CSU: regional/central special teaching groups; routed exactly like a school.
    SPECIAL_GROUP = "sarskild_undervisningsgrupp"


class Operator(StrEnum):
    MUNICIPAL = "kommunal"
    INDEPENDENT = "fristående"
    # The state's own schools (Skolverket's organizer types STAT, SPECIAL, SAME).
    STATE = "statlig"


class SchoolStatus(StrEnum):
    OPEN = "open"
    # Gone from Skolverket's register, or no longer active there; kept for its history.
    CLOSED = "closed"


class ContactRole(StrEnum):
    # The motion's "särskild kontaktperson": whom the school turns to for cooperation.
    COOPERATION = "samverkan"
    # The intake unit (mottagning) that receives concern reports for children registered here.
    INTAKE = "mottagning"
    # City-wide social emergency service, after office hours.
    SOCIALJOUR = "socialjour"


class Area(Base):
    __tablename__ = "areas"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    genitive_name: Mapped[str] = mapped_column(String(NAME_MAX))
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The day the local cooperation agreement (samverkansöverenskommelse) was last revised;
    # the motion asks each district to revise it regularly. None: never recorded.
    agreement_revised_on: Mapped[date | None] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"Area({self.id!r})"


class Neighbourhood(Base):
    __tablename__ = "neighbourhoods"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX), unique=True)
    area_id: Mapped[str] = mapped_column(ForeignKey("areas.id"))

    def __repr__(self) -> str:
        return f"Neighbourhood({self.name!r} → {self.area_id!r})"


class School(Base):
    __tablename__ = "schools"
    __table_args__ = (UniqueConstraint("name", "area_id", name="uq_school_name_area"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    kind: Mapped[str] = mapped_column(String(40))
    operator: Mapped[str] = mapped_column(String(20), default=Operator.MUNICIPAL.value)
    skolenhetskod: Mapped[str | None] = mapped_column(String(8), unique=True)
    address: Mapped[str | None] = mapped_column(String(FIELD_MAX))
    stadsdel: Mapped[str | None] = mapped_column(String(NAME_MAX))
    area_id: Mapped[str] = mapped_column(ForeignKey("areas.id"), index=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str | None] = mapped_column(Text)
    # From Skolverket's register (issue 9): open/closed, the school forms ("GR", "GY", ...),
    # the visiting address's postcode and WGS84 coordinates.
    status: Mapped[str] = mapped_column(
        String(10), default=SchoolStatus.OPEN.value, server_default=SchoolStatus.OPEN.value
    )
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    school_forms: Mapped[list[str]] = mapped_column(JSON, default=list, server_default="[]")
    postcode: Mapped[str | None] = mapped_column(String(10))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)

    area: Mapped[Area] = relationship(lazy="raise")

    def __repr__(self) -> str:
        return f"School({self.id}, {self.name!r})"


class Contact(Base):
    """A person's or unit's work details. Fictitious example entries carry `is_example`."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(NAME_MAX))
    title: Mapped[str | None] = mapped_column(String(NAME_MAX))
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(FIELD_MAX))
    hours: Mapped[str | None] = mapped_column(String(FIELD_MAX))
    url: Mapped[str | None] = mapped_column(String(FIELD_MAX))
    is_example: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"Contact({self.id}, {self.name!r})"


class ContactAssignment(Base):
    """A contact holds a role for a scope (the city, an area, or one school) over [from, to)."""

    __tablename__ = "contact_assignments"
    __table_args__ = (
        CheckConstraint(
            "(scope = 'city' AND area_id IS NULL AND school_id IS NULL)"
            " OR (scope = 'area' AND area_id IS NOT NULL AND school_id IS NULL)"
            " OR (scope = 'school' AND school_id IS NOT NULL AND area_id IS NULL)",
            name="ck_assignment_scope",
        ),
        CheckConstraint("valid_to IS NULL OR valid_to > valid_from", name="ck_assignment_dates"),
        Index("ix_assignment_lookup", "role", "scope", "area_id", "school_id", "valid_from"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    role: Mapped[str] = mapped_column(String(20))
    scope: Mapped[str] = mapped_column(String(10))
    area_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    confirmed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Optimistic locking: two admins changing the same scope at once, exactly one wins.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    contact: Mapped[Contact] = relationship(lazy="raise")

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy reads it once

    def __repr__(self) -> str:
        return f"ContactAssignment({self.id}, {self.role}/{self.scope}, {self.valid_from})"


class User(Base):
    """A Telegram user: only what the bot needs to answer them in their language."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    language: Mapped[str | None] = mapped_column(String(5))
    first_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"User({self.id})"


class DirectoryRevision(Base):
    """One row whose counter an import bumps, so running bots rebuild their lookup index."""

    __tablename__ = "directory_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(Integer, default=0)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# --- Handovers, absences, roles, follows, the outbox and the audit log (issue 4) -------------

NOTE_MAX = 500


class NotificationStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    # Gave up (blocked by the user, a permanent error, or too many attempts); error kept.
    FAILED = "failed"
    # No longer wanted (the recipient blocked the bot before it was sent).
    CANCELLED = "cancelled"


class GrantRole(StrEnum):
    AREA_ADMIN = "area_admin"


class Absence(Base):
    """The contact of an assignment is away over [starts_on, back_on); a deputy covers."""

    __tablename__ = "absences"
    __table_args__ = (
        CheckConstraint("back_on > starts_on", name="ck_absence_dates"),
        Index("ix_absence_assignment", "assignment_id", "starts_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    assignment_id: Mapped[int] = mapped_column(
        ForeignKey("contact_assignments.id", ondelete="CASCADE")
    )
    deputy_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    starts_on: Mapped[date] = mapped_column(Date)
    back_on: Mapped[date] = mapped_column(Date)
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    recorded_by: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"Absence({self.id}, assignment {self.assignment_id}, {self.starts_on})"


class Handover(Base):
    """One contact replaced by another in a scope from a day on; the assignments keep history."""

    __tablename__ = "handovers"
    __table_args__ = (Index("ix_handover_scope", "area_id", "school_id", "effective_on"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    role: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[str] = mapped_column(ForeignKey("areas.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    old_assignment_id: Mapped[int | None] = mapped_column(ForeignKey("contact_assignments.id"))
    new_assignment_id: Mapped[int] = mapped_column(ForeignKey("contact_assignments.id"))
    old_name: Mapped[str | None] = mapped_column(String(NAME_MAX))
    new_name: Mapped[str] = mapped_column(String(NAME_MAX))
    effective_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(String(NOTE_MAX))
    recorded_by: Mapped[str] = mapped_column(String(40))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    # Compare-and-set: at most one handover replaces a given assignment (or "none") in a scope.
    replaces_key: Mapped[str] = mapped_column(String(120), unique=True)
    # The same confirm pressed twice (or one update delivered twice) records one handover.
    idempotency_key: Mapped[str] = mapped_column(String(80), unique=True)
    # Future-dated handovers are announced at once and reminded on the day.
    remind_on_day: Mapped[bool] = mapped_column(default=False)
    reminded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"Handover({self.id}, {self.area_id}/{self.school_id}, {self.effective_on})"


class Grant(Base):
    """A role a user holds; revoking stamps `revoked_at` (history is kept)."""

    __tablename__ = "grants"
    __table_args__ = (Index("ix_grant_user", "user_id", "revoked_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(BigInteger)
    role: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[str] = mapped_column(ForeignKey("areas.id"))
    granted_by: Mapped[str] = mapped_column(String(40))
    granted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(40))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"Grant({self.id}, {self.user_id} {self.role} {self.area_id})"


class Invite(Base):
    """A one-time code that grants a role; only the code's SHA-256 is stored."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    role: Mapped[str] = mapped_column(String(20))
    area_id: Mapped[str] = mapped_column(ForeignKey("areas.id"))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    used_by: Mapped[int | None] = mapped_column(BigInteger)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"Invite({self.id}, {self.area_id})"


class Follow(Base):
    """A user follows a school or an area; inactive while the user has blocked the bot."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "target", name="uq_follow_user_target"),
        CheckConstraint("(area_id IS NULL) <> (school_id IS NULL)", name="ck_follow_one_target"),
        Index("ix_follow_area", "area_id", "active"),
        Index("ix_follow_school", "school_id", "active"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "a:<area id>" or "s:<school id>", the same keys the buttons carry.
    target: Mapped[str] = mapped_column(String(60))
    area_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id"))
    school_id: Mapped[int | None] = mapped_column(ForeignKey("schools.id", ondelete="CASCADE"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    deactivated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"Follow({self.user_id} → {self.target}, active={self.active})"


class Notification(Base):
    """The outbox: written in the transaction that causes it, delivered by a JobQueue job."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notification_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger, index=True)
    kind: Mapped[str] = mapped_column(String(30))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # One message per cause and recipient, e.g. "handover:12:4242"; a retry never duplicates.
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    status: Mapped[str] = mapped_column(String(10), default=NotificationStatus.PENDING.value)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(300))
    handover_id: Mapped[int | None] = mapped_column(
        ForeignKey("handovers.id", ondelete="CASCADE"), index=True
    )
    # The area the message is about, so its admins can see failed deliveries.
    area_id: Mapped[str | None] = mapped_column(ForeignKey("areas.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The delivery worker that claimed the row ("host:pid:start token") and until when; a
    # restarted process frees a dead owner's rows at once (bot.services.outbox).
    lease_owner: Mapped[str | None] = mapped_column(String(80))
    lease_expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    def __repr__(self) -> str:
        return f"Notification({self.id}, {self.kind} → {self.chat_id}, {self.status})"


class AuditEvent(Base):
    """Who did what to which record, before and after; permission refusals too."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # A Telegram user id, or "cli" for the command line.
    actor: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    target: Mapped[str] = mapped_column(String(120))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)

    def __repr__(self) -> str:
        return f"AuditEvent({self.id}, {self.actor} {self.action} {self.target})"


class GuideSession(Base):
    """Where a user is in the concern-report guide (/anmalan), so it survives a restart.

    Only the path of step ids the user pressed through and the id of the message that carries
    the current step's buttons. Nothing typed about the child (the area, the school) is kept;
    the row goes when the guide ends at its checklist or is cancelled.
    """

    __tablename__ = "guide_sessions"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    # `bot.services.guide.dump_position`: {"v": 1, "path": ["acute", "role", ...]}
    position: Mapped[dict[str, Any]] = mapped_column(JSON)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    def __repr__(self) -> str:
        return f"GuideSession({self.user_id})"


class WizardSession(Base):
    """Where a user is in an admin wizard (or a pending question), so that any replica can
    answer the next step and a restart resumes it (`bot.services.wizard_sessions`).

    `answers` holds what the admin has answered so far: the scope, and the name, title, phone,
    e-mail and dates of a contact person. Never anything about a child: the wizards do not ask
    for it. A row goes when the wizard ends; an abandoned one when `expires_at` has passed
    (the housekeeping job).
    """

    __tablename__ = "wizard_sessions"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    chat_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    state: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)

    def __repr__(self) -> str:
        return f"WizardSession({self.user_id}, {self.name})"


# --- Follow-up figures and installation keys (issue 5) -----------------------------------------


class UsageEvent(StrEnum):
    """What the follow-up model counts. Never who: no user, chat or query is ever stored."""

    LOOKUP_ANSWERED = "lookup_answered"
    LOOKUP_NO_MATCH = "lookup_no_match"
    GUIDE_STARTED = "guide_started"
    GUIDE_COMPLETED = "guide_completed"
    HANDOVER_RECORDED = "handover_recorded"
    NOTIFICATION_DELIVERED = "notification_delivered"
    NOTIFICATION_FAILED = "notification_failed"
    STALE_REMINDER_SENT = "stale_reminder_sent"
    AGREEMENT_REMINDER_SENT = "agreement_reminder_sent"
    # The opt-in check-in after "Jag har gjort anmälan" (issue 13): accepted, asked, answered.
    CHECKIN_ACCEPTED = "checkin_accepted"
    CHECKIN_ASKED = "checkin_asked"
    FEEDBACK_YES = "feedback_yes"
    FEEDBACK_NO = "feedback_no"
    FEEDBACK_UNKNOWN = "feedback_unknown"
    MEETING_YES = "meeting_yes"
    MEETING_NO = "meeting_no"
    MEETING_UNKNOWN = "meeting_unknown"


class UsageCount(Base):
    """How many times an event happened on a day, per area and school operator.

    `area_id` and `operator` are "" where they do not apply (not NULL): a unique key treats
    NULLs as distinct, and the upsert in `bot.services.usage` needs the key to match.
    """

    __tablename__ = "usage_counts"
    __table_args__ = (
        UniqueConstraint("day", "area_id", "event", "operator", name="uq_usage_key"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    area_id: Mapped[str] = mapped_column(String(40), default="")
    event: Mapped[str] = mapped_column(String(40))
    # Operator.MUNICIPAL / Operator.INDEPENDENT for a school's card, "" otherwise.
    operator: Mapped[str] = mapped_column(String(20), default="")
    count: Mapped[int] = mapped_column(Integer, default=0)

    def __repr__(self) -> str:
        return f"UsageCount({self.day}, {self.area_id!r}, {self.event}, {self.operator!r})"


class InstallationKey(Base):
    """Secrets the installation makes for itself, e.g. the pseudonym key when none is set."""

    __tablename__ = "installation_keys"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"InstallationKey({self.name!r})"


# --- The opt-in check-in after a report (issue 13) ---------------------------------------------


class GuideCheckIn(Base):
    """A user asked to be asked, `due_on`, whether social services gave feedback.

    Only what the question needs: who to ask (the user's id; a private chat has the same id),
    when, and the area and school operator the answers are counted under – the school's, from
    what the user follows, never the child's. Deleted when answered, by /glom_mig, or 30 days
    after it was due. Nothing about the report or the child.
    """

    __tablename__ = "guide_checkins"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    area_id: Mapped[str] = mapped_column(String(40), default="")
    operator: Mapped[str] = mapped_column(String(20), default="")
    due_on: Mapped[date] = mapped_column(Date)
    asked_on: Mapped[date | None] = mapped_column(Date)

    def __repr__(self) -> str:
        return f"GuideCheckIn({self.user_id}, due {self.due_on})"
