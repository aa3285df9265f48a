"""Load and validate the concern-report guide (orosanmälan) from `knowledge/guide/*.yaml`.

The guide is a small step graph: every node is one short screen of text, and question nodes
fork on yes/no/choice buttons. It is read once at start-up into frozen dataclasses
(`knowledge.guide_model`); anything wrong in it stops the start with a `KnowledgeError` that
lists every problem with file, line, node and field, so whoever edited the YAML can mend it
without reading code. Reading is `knowledge._guide_yaml`, checking `knowledge._guide_checks`;
this module puts them together and re-exports the model, so `from knowledge.guide import …`
is the one way in.

The format is described in `docs/guide.md`. The engine that walks the graph is
`bot/services/guide.py`; it never imports `telegram`, and neither does this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from pathlib import Path

from knowledge._guide_checks import html_problems, validate
from knowledge._guide_yaml import GuideParser, located_problem
from knowledge.errors import KnowledgeError, Problem, relative_path
from knowledge.guide_model import (
    ACUTE_CONTACT,
    ALLOWED_TAGS,
    CONTACT_KINDS,
    DEFAULT_LANGUAGE,
    INTAKE_CONTACT,
    LABEL_LIMIT,
    LANGUAGES,
    NODE_KINDS,
    RESERVED_ANSWERS,
    SCHOOL_CONTACT,
    SLUG,
    SOCIALJOUR_CONTACT,
    TELEGRAM_TEXT_LIMIT,
    ChecklistTopic,
    Guide,
    GuideNode,
    GuideOption,
    LocalText,
    Origin,
)

__all__ = [
    "ACUTE_CONTACT",
    "ALLOWED_TAGS",
    "CONTACT_KINDS",
    "DEFAULT_LANGUAGE",
    "GUIDE_DIR",
    "INTAKE_CONTACT",
    "KNOWLEDGE_DIR",
    "LABEL_LIMIT",
    "LANGUAGES",
    "NODE_KINDS",
    "RESERVED_ANSWERS",
    "SCHOOL_CONTACT",
    "SLUG",
    "SOCIALJOUR_CONTACT",
    "TELEGRAM_TEXT_LIMIT",
    "ChecklistTopic",
    "Guide",
    "GuideNode",
    "GuideOption",
    "LocalText",
    "Origin",
    "html_problems",
    "load_guide",
    "located_problem",
    "shipped_guide",
    "validate",
]

KNOWLEDGE_DIR = Path(__file__).resolve().parent
GUIDE_DIR = KNOWLEDGE_DIR / "guide"


def _guide_files(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(path.glob("*.yaml"))
    return [path]


def load_guide(path: Path = GUIDE_DIR) -> Guide:
    """Read the guide from a folder of YAML files (or one file) and validate it.

    Raises:
        KnowledgeError: listing every problem found, each with file, line, node and field.
    """
    if not path.exists():
        raise KnowledgeError.single(relative_path(path), "filen eller mappen finns inte")
    files = _guide_files(path)
    if not files:
        raise KnowledgeError.single(relative_path(path), "inga guide-filer (*.yaml) hittades")
    parser = GuideParser()
    parser.start_origin = Origin(relative_path(files[0]))
    for file in files:
        parser.read_file(file)
    guide = Guide(
        start=parser.start or "",
        nodes=tuple(parser.nodes),
        topics=tuple(parser.topics),
        origin=parser.start_origin,
    )
    problems = list(parser.problems)
    if len(parser.start_files) > 1:
        problems.append(
            Problem(
                parser.start_files[-1],
                None,
                "start",
                "'start' står i flera filer: " + ", ".join(parser.start_files),
            )
        )
    # After a file that could not be read, the graph checks would only add confusing echoes.
    if not parser.unreadable:
        problems.extend(validate(guide))
    if problems:
        raise KnowledgeError(_unique(problems))
    return guide


def _unique(problems: Iterable[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


@cache
def shipped_guide() -> Guide:
    """The guide shipped with the bot, loaded and validated once per process."""
    return load_guide()
