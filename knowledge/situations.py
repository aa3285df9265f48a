"""Load the situation words (`knowledge/situations.yaml`) that keep free text from the lookup.

Plain data: the phrases as written and what each situation answers with. The folding and the
matching live in `bot.services.situations`; a broken file stops the start with every problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

from knowledge.errors import KnowledgeError, Problem, relative_path

SITUATIONS_FILE = Path(__file__).resolve().parent / "situations.yaml"
ANSWERS = frozenset({"guide", "socialjour"})


@dataclass(frozen=True)
class Situation:
    id: str
    answer: str
    phrases: tuple[str, ...]
    source: str


def load_situations(path: Path = SITUATIONS_FILE) -> tuple[Situation, ...]:
    """Read and check the situations; KnowledgeError lists every problem."""
    rel = relative_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise KnowledgeError.single(rel, f"kan inte läsa filen: {error}") from error
    raw = data.get("situations") if isinstance(data, dict) else None
    if not isinstance(raw, list) or not raw:
        raise KnowledgeError.single(rel, "listan 'situations' saknas", field="situations")
    problems: list[Problem] = []
    situations = [_situation(rel, index, entry, problems) for index, entry in enumerate(raw)]
    ids = [s.id for s in situations]
    problems += [
        Problem(rel, None, "id", f"id '{i}' står två gånger") for i in set(ids) if ids.count(i) > 1
    ]
    if problems:
        raise KnowledgeError(problems)
    return tuple(situations)


def _situation(rel: str, index: int, entry: object, problems: list[Problem]) -> Situation:
    where = f"situations[{index}]"
    if not isinstance(entry, dict):
        problems.append(Problem(rel, None, where, "ska vara en tabell"))
        return Situation(where, "guide", (), "")
    answer, source = str(entry.get("answer", "")), str(entry.get("source") or "")
    phrases = entry.get("phrases")
    if answer not in ANSWERS:
        problems.append(Problem(rel, None, f"{where}.answer", f"okänt svar '{answer}'"))
    if not source.strip():
        problems.append(Problem(rel, None, f"{where}.source", "källa saknas"))
    if not isinstance(phrases, list) or not all(isinstance(p, str) and p.strip() for p in phrases):
        problems.append(Problem(rel, None, f"{where}.phrases", "ska vara en lista med fraser"))
        phrases = []
    return Situation(str(entry.get("id") or where), answer, tuple(phrases), source)


@cache
def shipped_situations() -> tuple[Situation, ...]:
    return load_situations()
