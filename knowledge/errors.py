"""Errors raised while loading knowledge files.

A broken knowledge file must stop the start with a message that names the file, the line and
the field, so that whoever edited it can mend it without reading code.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# Problems name files relative to the project, as whoever edits them sees them in the repository.
PROJECT_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one place of a data file."""

    file: str
    line: int | None
    field: str | None
    message: str

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f", rad {self.line}"
        if self.field:
            where += f", fält '{self.field}'"
        return f"{where}: {self.message}"


def relative_path(path: Path) -> str:
    """`path` as shown in a problem: relative to the project when it lies inside it."""
    try:
        return str(path.resolve().relative_to(PROJECT_DIR))
    except ValueError:
        return str(path)


class KnowledgeError(Exception):
    """A knowledge or import file is invalid; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))

    @classmethod
    def single(
        cls, file: str | Path, message: str, line: int | None = None, field: str | None = None
    ) -> KnowledgeError:
        return cls([Problem(str(file), line, field, message)])
