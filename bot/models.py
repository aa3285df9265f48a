"""Database tables (SQLAlchemy 2.0 typed ORM).

History is never overwritten: a contact change closes one assignment (`valid_to`) and opens
another, so "who was the contact on 3 March" stays answerable.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    BigInteger,
    CheckConstraint,
    Date,
    DateTime,
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
