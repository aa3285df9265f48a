"""The CSV formats for schools and contacts: reading (with every error, line by line) and writing.

Admins in Sweden edit these files in Excel, which saves Windows-1252 with semicolons; other tools
save UTF-8 with commas. Both are read. Exports for Excel are UTF-8 with a byte-order mark and
semicolons: Excel opens them with every letter intact (Ł, Arabic), and they import unchanged.
Every exported text cell that a spreadsheet would read as a formula is neutralised (OWASP's
CSV-injection rule: a leading apostrophe), and the import takes the apostrophe off again.
A file is either a school file or a contact file, told apart by its header. Reading validates
every row and collects every problem; nothing is applied here (see `directory_admin.py` for the
all-or-nothing import).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

from bot.models import ContactRole, Operator, SchoolKind
from bot.services.fields import (
    NAME_MAX_LENGTH,
    TEXT_MAX_LENGTH,
    FieldError,
    check_free_text,
    normalise_email,
    normalise_phone,
    normalise_skolenhetskod,
    parse_iso_date,
)
from knowledge.errors import KnowledgeError, Problem

SCHOOL_COLUMNS = (
    "name", "kind", "operator", "skolenhetskod", "address", "stadsdel", "area_id", "aliases",
    "source", "lat", "lon",
)  # fmt: skip
CONTACT_COLUMNS = (
    "role", "area_id", "school", "name", "title", "phone", "email", "hours", "url",
    "valid_from", "confirmed_on", "example", "deputy_for", "back_on", "status",
)  # fmt: skip
# `deputy_for` and `back_on`: a deputy's row, covering `deputy_for` from `valid_from` until the
# day they are back. `status` is for people reading the file ("gäller", "planerad",
# "ersättare"); the import does not read it. Files without these columns import as before.
MAX_ROWS = 50_000

T = TypeVar("T")

_KIND_WORDS = {
    "grundskola": SchoolKind.GRUNDSKOLA,
    "gymnasium": SchoolKind.GYMNASIUM,
    "gymnasieskola": SchoolKind.GYMNASIUM,
    "anpassad_skola": SchoolKind.ANPASSAD_SKOLA,
    "anpassad skola": SchoolKind.ANPASSAD_SKOLA,
    "anpassad grundskola": SchoolKind.ANPASSAD_SKOLA,
    "anpassad gymnasieskola": SchoolKind.ANPASSAD_SKOLA,
    "grundsärskola": SchoolKind.ANPASSAD_SKOLA,
    "gymnasiesärskola": SchoolKind.ANPASSAD_SKOLA,
    "sarskild_undervisningsgrupp": SchoolKind.SPECIAL_GROUP,
    "särskild undervisningsgrupp": SchoolKind.SPECIAL_GROUP,
    "rsu": SchoolKind.SPECIAL_GROUP,
    "csu": SchoolKind.SPECIAL_GROUP,
}
_OPERATOR_WORDS = {
    "": Operator.MUNICIPAL,
    "kommunal": Operator.MUNICIPAL,
    "kommun": Operator.MUNICIPAL,
    "fristående": Operator.INDEPENDENT,
    "fristaende": Operator.INDEPENDENT,
    "enskild": Operator.INDEPENDENT,
    "statlig": Operator.STATE,
}
_ROLE_WORDS = {
    "samverkan": ContactRole.COOPERATION,
    "samverkanskontakt": ContactRole.COOPERATION,
    "kontaktperson": ContactRole.COOPERATION,
    "cooperation": ContactRole.COOPERATION,
    "mottagning": ContactRole.INTAKE,
    "intake": ContactRole.INTAKE,
    "socialjour": ContactRole.SOCIALJOUR,
}
_TRUE = {"ja", "yes", "true", "1", "x"}
_FALSE = {"", "nej", "no", "false", "0"}


class FileKind(StrEnum):
    SCHOOLS = "schools"
    CONTACTS = "contacts"


@dataclass(frozen=True)
class SchoolRow:
    line: int
    name: str
    kind: SchoolKind
    operator: Operator
    skolenhetskod: str | None
    address: str | None
    stadsdel: str | None
    area_id: str
    aliases: tuple[str, ...]
    source: str | None
    # WGS84; when given, the school's stadsdel and area come from where it stands.
    lat: float | None = None
    lon: float | None = None


@dataclass(frozen=True)
class ContactRow:
    line: int
    role: ContactRole
    area_id: str | None
    school: str | None
    name: str
    title: str | None
    phone: str | None
    email: str | None
    hours: str | None
    url: str | None
    valid_from: date
    confirmed_on: date | None
    example: bool
    # A deputy's row: whom they cover, and the day that contact is back.
    deputy_for: str | None = None
    back_on: date | None = None


@dataclass(frozen=True)
class ParsedFile:
    path: str
    kind: FileKind
    schools: tuple[SchoolRow, ...] = ()
    contacts: tuple[ContactRow, ...] = ()


# A cell starting with one of these is a formula (or becomes one) in Excel, LibreOffice and
# Google Sheets: "=", "+", "-", "@", a tab or a carriage return (OWASP, "CSV Injection"); the
# full-width forms too, which some spreadsheets fold to the plain ones.
FORMULA_STARTS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_ESCAPE = "'"


def neutralise_formula(value: object) -> object:
    """`value` as an export writes it: text that could start a formula gets a leading "'"."""
    if isinstance(value, str) and value[:1] in FORMULA_STARTS:
        return _ESCAPE + value
    return value


def restore_formula(value: str) -> str:
    """The import's inverse of `neutralise_formula`."""
    if value[:1] == _ESCAPE and value[1:2] in FORMULA_STARTS and len(value) > 1:
        return value[1:]
    return value


def decode(raw: bytes) -> str:
    """UTF-8 (with or without BOM) first; otherwise the Windows-1252 that Excel writes."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="strict")


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def read_table(path: str, text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Split CSV text into a header and (line number, row) pairs; line numbers count from 1."""
    first_line = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first_line))
    try:
        header = [h.strip().lstrip("\ufeff").lower() for h in next(reader)]
    except StopIteration:
        raise KnowledgeError.single(path, "filen är tom", line=1) from None
    except csv.Error as error:
        raise KnowledgeError.single(path, f"kan inte läsas som CSV: {error}", line=1) from None
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for values in reader:
            line = reader.line_num
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(header):
                raise KnowledgeError.single(
                    path, f"{len(values)} fält men rubrikraden har {len(header)}", line=line
                )
            cells = (restore_formula(v.strip()) for v in values)
            rows.append((line, dict(zip(header, cells, strict=False))))
            if len(rows) > MAX_ROWS:
                raise KnowledgeError.single(path, f"fler än {MAX_ROWS} rader", line=line)
    except csv.Error as error:
        raise KnowledgeError.single(path, f"trasig CSV: {error}", line=reader.line_num) from None
    return header, rows


def detect_kind(path: str, header: Sequence[str]) -> FileKind:
    columns = set(header)
    if {"role", "name"} <= columns and ("valid_from" in columns):
        return FileKind.CONTACTS
    if {"name", "kind", "area_id"} <= columns:
        return FileKind.SCHOOLS
    raise KnowledgeError.single(
        path,
        "okänd rubrikrad: en skolfil har minst name, kind, area_id; en kontaktfil har minst "
        "role, name, valid_from",
        line=1,
    )


class _RowReader:
    """Reads fields of one row and collects problems instead of stopping at the first."""

    def __init__(self, path: str, line: int, row: dict[str, str], problems: list[Problem]):
        self.path, self.line, self.row, self.problems = path, line, row, problems

    def problem(self, field: str, message: str) -> None:
        self.problems.append(Problem(self.path, self.line, field, message))

    def text(
        self, field: str, *, required: bool = False, max_length: int = TEXT_MAX_LENGTH
    ) -> str:
        raw = self.row.get(field, "") or ""
        try:
            return check_free_text(raw, max_length=max_length, required=required)
        except FieldError as error:  # the message never repeats a personnummer
            self.problem(field, str(error))
            return ""

    def optional(self, field: str, max_length: int = TEXT_MAX_LENGTH) -> str | None:
        return self.text(field, max_length=max_length) or None

    def choice(self, field: str, words: dict[str, T], *, default: T | None = None) -> T | None:
        value = self.text(field).lower()
        if not value and default is not None:
            return default
        if value in words:
            return words[value]
        allowed = ", ".join(sorted(k for k in words if k))
        self.problem(field, f"okänt värde '{value}' (tillåtet: {allowed})")
        return None

    def converted(self, field: str, convert: Callable[[str], T], *, required: bool) -> T | None:
        value = self.text(field, required=required)
        if not value:
            return None
        try:
            return convert(value)
        except FieldError as error:
            self.problem(field, str(error))
            return None


def _parse_school(reader: _RowReader, area_ids: frozenset[str]) -> SchoolRow | None:
    before = len(reader.problems)
    name = reader.text("name", required=True, max_length=NAME_MAX_LENGTH)
    kind = reader.choice("kind", _KIND_WORDS)
    operator = reader.choice("operator", _OPERATOR_WORDS, default=Operator.MUNICIPAL)
    code = reader.converted("skolenhetskod", normalise_skolenhetskod, required=False)
    lat, lon = _coordinates(reader)
    area_id = reader.text("area_id", required=lat is None).lower()
    if area_id and area_id not in area_ids:
        reader.problem("area_id", f"okänt stadsdelsområde '{area_id}'")
    aliases = tuple(
        a.strip() for a in reader.text("aliases", max_length=1000).split(";") if a.strip()
    )
    if len(reader.problems) > before or kind is None or operator is None:
        return None
    return SchoolRow(
        line=reader.line,
        name=name,
        kind=kind,
        operator=operator,
        skolenhetskod=code,
        address=reader.optional("address"),
        stadsdel=reader.optional("stadsdel", NAME_MAX_LENGTH),
        area_id=area_id,
        aliases=aliases,
        source=reader.optional("source", 1000),
        lat=lat,
        lon=lon,
    )


def _coordinates(reader: _RowReader) -> tuple[float | None, float | None]:
    """`lat` and `lon` (WGS84 decimal degrees, a decimal comma allowed), both or neither."""
    values: list[float | None] = []
    for field, limit in (("lat", 90.0), ("lon", 180.0)):
        raw = reader.text(field).replace(",", ".")
        try:
            value = float(raw) if raw else None
        except ValueError:
            value = None
            reader.problem(field, "ska vara ett decimaltal, till exempel 59.3086")
        if value is not None and not -limit <= value <= limit:
            reader.problem(field, f"ska ligga mellan -{limit:g} och {limit:g}")
            value = None
        values.append(value)
    lat, lon = values
    if (lat is None) != (lon is None) and not reader.text("lat" if lat is None else "lon"):
        reader.problem("lat" if lat is None else "lon", "ange både lat och lon, eller ingen")
        return None, None
    return lat, lon


def _parse_contact(reader: _RowReader, area_ids: frozenset[str]) -> ContactRow | None:
    before = len(reader.problems)
    role = reader.choice("role", _ROLE_WORDS)
    area_id = reader.text("area_id").lower() or None
    school = reader.optional("school", NAME_MAX_LENGTH)
    if area_id and area_id not in area_ids:
        reader.problem("area_id", f"okänt stadsdelsområde '{area_id}'")
    if role == ContactRole.SOCIALJOUR and (area_id or school):
        reader.problem(
            "area_id", "socialjouren gäller hela staden: lämna area_id och school tomma"
        )
    if role in (ContactRole.COOPERATION, ContactRole.INTAKE) and not (area_id or school):
        reader.problem("area_id", "ange area_id (område) eller school (skola)")
    if role == ContactRole.INTAKE and school:
        reader.problem("school", "mottagningen hör till ett område, inte till en skola")
    name = reader.text("name", required=True, max_length=NAME_MAX_LENGTH)
    phone = reader.converted("phone", normalise_phone, required=False)
    email = reader.converted("email", normalise_email, required=False)
    if phone is None and email is None and len(reader.problems) == before:
        reader.problem("phone", "ange minst telefon eller e-post")
    valid_from = reader.converted("valid_from", parse_iso_date, required=True)
    confirmed_on = reader.converted("confirmed_on", parse_iso_date, required=False)
    example_word = reader.text("example").lower()
    if example_word not in _TRUE | _FALSE:
        reader.problem("example", "skriv ja eller nej")
    deputy_for, back_on = _deputy_fields(reader, role, valid_from)
    if len(reader.problems) > before or role is None or valid_from is None:
        return None
    return ContactRow(
        line=reader.line,
        role=role,
        area_id=area_id,
        school=school,
        name=name,
        title=reader.optional("title", NAME_MAX_LENGTH),
        phone=phone,
        email=email,
        hours=reader.optional("hours"),
        url=reader.optional("url"),
        valid_from=valid_from,
        confirmed_on=confirmed_on,
        example=example_word in _TRUE,
        deputy_for=deputy_for,
        back_on=back_on,
    )


def _deputy_fields(
    reader: _RowReader, role: ContactRole | None, valid_from: date | None
) -> tuple[str | None, date | None]:
    """`deputy_for` and `back_on` of a deputy's row: both or neither, back after the start."""
    deputy_for = reader.optional("deputy_for", NAME_MAX_LENGTH)
    back_on = reader.converted("back_on", parse_iso_date, required=False)
    if (deputy_for is None) != (back_on is None):
        reader.problem("back_on", "en ersättare har både deputy_for och back_on")
    elif deputy_for is not None and role is ContactRole.SOCIALJOUR:
        reader.problem("deputy_for", "socialjouren har ingen ersättare i registret")
    elif back_on is not None and valid_from is not None and back_on <= valid_from:
        reader.problem("back_on", "dagen tillbaka måste komma efter valid_from")
    return deputy_for, back_on


def parse_file(path: str, raw: bytes, area_ids: frozenset[str]) -> ParsedFile:
    """Parse and validate a whole school or contact file, raising with every problem found."""
    try:
        text = decode(raw)
    except UnicodeDecodeError as error:
        raise KnowledgeError.single(path, f"okänd teckenkodning: {error.reason}") from None
    header, rows = read_table(path, text)
    kind = detect_kind(path, header)
    problems: list[Problem] = []
    if not rows:
        problems.append(Problem(path, None, None, "filen har inga rader under rubrikraden"))
    if kind is FileKind.SCHOOLS:
        schools = [_parse_school(_RowReader(path, n, r, problems), area_ids) for n, r in rows]
        _check_unique_schools(path, [s for s in schools if s], problems)
        if problems:
            raise KnowledgeError(problems)
        return ParsedFile(path, kind, schools=tuple(s for s in schools if s))
    contacts = [_parse_contact(_RowReader(path, n, r, problems), area_ids) for n, r in rows]
    if problems:
        raise KnowledgeError(problems)
    return ParsedFile(path, kind, contacts=tuple(c for c in contacts if c))


def _check_unique_schools(path: str, schools: list[SchoolRow], problems: list[Problem]) -> None:
    seen_codes: dict[str, int] = {}
    seen_names: dict[tuple[str, str], int] = {}
    for school in schools:
        if school.skolenhetskod:
            if school.skolenhetskod in seen_codes:
                first = seen_codes[school.skolenhetskod]
                problems.append(
                    Problem(path, school.line, "skolenhetskod", f"samma kod som rad {first}")
                )
            seen_codes.setdefault(school.skolenhetskod, school.line)
        key = (school.name.casefold(), school.area_id)
        if key in seen_names:
            problems.append(
                Problem(path, school.line, "name", f"samma skola som rad {seen_names[key]}")
            )
        seen_names.setdefault(key, school.line)


def read_file(path: Path, area_ids: frozenset[str]) -> ParsedFile:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise KnowledgeError.single(str(path), f"kan inte läsas: {error.strerror}") from None
    return parse_file(str(path), raw, area_ids)


def write_rows(columns: Sequence[str], rows: Iterable[Sequence[object]], *, excel: bool) -> bytes:
    """CSV bytes: UTF-8 with commas, or (for Excel) UTF-8 with a BOM and semicolons.

    Every export goes through here (or `write_text`): formula-like cells are neutralised.
    """
    text = write_text(columns, rows, delimiter=";" if excel else ",", line_end="\r\n")
    return text.encode("utf-8-sig" if excel else "utf-8")


def write_text(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ",",
    line_end: str = "\n",
) -> str:
    """CSV text with every formula-like cell neutralised (`neutralise_formula`)."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator=line_end)
    writer.writerow([neutralise_formula(c) for c in columns])
    for row in rows:
        writer.writerow([neutralise_formula("" if v is None else v) for v in row])
    return buffer.getvalue()
