"""Load and validate the concern-report guide (orosanmälan) from `knowledge/guide/*.yaml`.

The guide is a small step graph: every node is one short screen of text, and question nodes
fork on yes/no/choice buttons. It is read once at start-up into frozen dataclasses; anything
wrong in it stops the start with a `KnowledgeError` that lists every problem with file, line,
node and field, so whoever edited the YAML can mend it without reading code.

The format is described in `docs/guide.md`. The engine that walks the graph is
`bot/services/guide.py`; it never imports `telegram`, and neither does this module.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml

from knowledge.errors import KnowledgeError, Problem, relative_path

KNOWLEDGE_DIR = Path(__file__).resolve().parent
GUIDE_DIR = KNOWLEDGE_DIR / "guide"

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"

NODE_KINDS = frozenset({"info", "question", "contact", "emergency", "checklist"})
# What a contact step shows; the handler looks the entry up in the directory at runtime.
INTAKE_CONTACT = "intake_for_child_area"  # the intake unit where the child is registered
SCHOOL_CONTACT = "school_cooperation"  # the school's cooperation contact in social services
SOCIALJOUR_CONTACT = "socialjour"  # social services after office hours
CONTACT_KINDS = frozenset({INTAKE_CONTACT, SCHOOL_CONTACT, SOCIALJOUR_CONTACT})
# Answers the engine and the callback data use for navigation; no option may be called so.
RESERVED_ANSWERS = frozenset({"next", "back", "restart", "cancel"})

# Ids end up in Telegram callback data ("g:<node>:<answer>", at most 64 bytes).
SLUG = re.compile(r"^[a-z0-9_]{1,24}$")
# Telegram's limit for one message, counted after entity parsing; we count the raw HTML,
# which is never shorter, in UTF-16 code units as Telegram does.
TELEGRAM_TEXT_LIMIT = 4096
# A button label longer than this is cut off on a phone.
LABEL_LIMIT = 64
# Telegram HTML that the guide may use; everything else must be escaped.
ALLOWED_TAGS = frozenset({"b", "i", "u", "s", "code"})
_ALLOWED_LIST = ", ".join(f"<{tag}>" for tag in sorted(ALLOWED_TAGS))

_NODE_FIELDS = frozenset(
    {
        "id",
        "kind",
        "title",
        "text",
        "next",
        "options",
        "source",
        "topic",
        "terminal",
        "contact",
        "checkpoints",
        "contacts",
    }
)
_OPTION_FIELDS = frozenset({"id", "label", "next"})
_TOP_FIELDS = frozenset({"start", "checklist_topics", "nodes"})
_TOPIC_FIELDS = frozenset({"id", "label"})


# --- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalText:
    """A text in Swedish and English."""

    sv: str
    en: str

    def get(self, lang: str | None = DEFAULT_LANGUAGE) -> str:
        """Return the text in `lang` ("sv", "en", "en-GB" …), falling back to Swedish."""
        code = (lang or DEFAULT_LANGUAGE).split("-")[0].split("_")[0].lower()
        if code == "en" and self.en:
            return self.en
        return self.sv


@dataclass(frozen=True)
class Origin:
    """Where something was written: file (relative to the repo), line, and lines of its fields."""

    file: str
    line: int | None = None
    field_lines: tuple[tuple[str, int], ...] = ()

    def line_of(self, name: str | None) -> int | None:
        """Line of field `name` ("options[1].next" → the line of "options"), else the node's."""
        if name:
            top = re.split(r"[.\[]", name, maxsplit=1)[0]
            for key, line in self.field_lines:
                if key == top:
                    return line
        return self.line


@dataclass(frozen=True)
class GuideOption:
    """One button of a question node."""

    id: str
    label: LocalText
    next: str
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class GuideNode:
    """One step of the guide."""

    id: str
    kind: str
    text: LocalText
    source: str
    title: LocalText | None = None
    next: str | None = None
    options: tuple[GuideOption, ...] = ()
    topic: str | None = None
    terminal: bool = False
    contact: str | None = None
    checkpoints: tuple[str, ...] = ()
    contacts: tuple[str, ...] = ()
    origin: Origin = field(default=Origin("<code>"), compare=False, repr=False)

    @property
    def targets(self) -> tuple[str, ...]:
        """Ids of the nodes this node leads to (its `next`, or its options' targets)."""
        if self.kind == "question":
            return tuple(option.next for option in self.options)
        return (self.next,) if self.next else ()

    @property
    def answers(self) -> tuple[str, ...]:
        """The answers `advance` accepts here: option ids, "next", or none at the end."""
        if self.kind == "question":
            return tuple(option.id for option in self.options)
        return ("next",) if self.next else ()

    def option(self, option_id: str) -> GuideOption | None:
        """The option with this id, if any."""
        for option in self.options:
            if option.id == option_id:
                return option
        return None


@dataclass(frozen=True)
class ChecklistTopic:
    """A point on the closing checklist; nodes with `topic: <id>` tick it off."""

    id: str
    label: LocalText
    origin: Origin = field(default=Origin("<code>"), compare=False, repr=False)


@dataclass(frozen=True, eq=False)
class Guide:
    """The whole step graph. Nodes are kept in file order; look them up with `node()`."""

    start: str
    nodes: tuple[GuideNode, ...]
    topics: tuple[ChecklistTopic, ...]
    origin: Origin = field(default=Origin("<code>"), repr=False)
    _index: Mapping[str, GuideNode] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        index: dict[str, GuideNode] = {}
        for node in self.nodes:
            index.setdefault(node.id, node)
        object.__setattr__(self, "_index", MappingProxyType(index))

    def node(self, node_id: str) -> GuideNode:
        """The node with this id; KeyError if there is none."""
        return self._index[node_id]

    def has_node(self, node_id: str) -> bool:
        return node_id in self._index

    @property
    def topic_ids(self) -> tuple[str, ...]:
        """Checklist topic ids in checklist order."""
        return tuple(topic.id for topic in self.topics)


# --- reading YAML with line numbers ----------------------------------------------------------


class _LineDict(dict[Any, Any]):
    """A YAML mapping that remembers its own line and the line of each key."""

    line: int | None = None
    key_lines: dict[str, int]
    duplicate_keys: list[tuple[str, int]]


class _LineLoader(yaml.SafeLoader):
    pass


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> _LineDict:
    loader.flatten_mapping(node)
    result = _LineDict()
    result.line = node.start_mark.line + 1
    result.key_lines = {}
    result.duplicate_keys = []
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        line = key_node.start_mark.line + 1
        if key in result:
            result.duplicate_keys.append((str(key), line))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[str(key)] = line
    return result


_LineLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def located_problem(
    origin: Origin,
    node_id: str | None,
    fieldname: str | None,
    message: str,
    *,
    line: int | None = None,
) -> Problem:
    """A problem at a node's (or the file's) field; its line is the field's unless given."""
    prefix = f"nod '{node_id}': " if node_id else ""
    where = line if line is not None else origin.line_of(fieldname)
    return Problem(origin.file, where, fieldname, prefix + message)


def _line(data: object) -> int | None:
    return data.line if isinstance(data, _LineDict) else None


def _origin(file: str, data: object) -> Origin:
    if isinstance(data, _LineDict):
        return Origin(file, data.line, tuple(data.key_lines.items()))
    return Origin(file)


class _Parser:
    """Turns raw YAML into the model, recording shape problems and carrying on."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.start: str | None = None
        self.start_origin = Origin("<okänd fil>")
        self.topics: list[ChecklistTopic] = []
        self.nodes: list[GuideNode] = []
        self.start_files: list[str] = []
        self.unreadable = False

    def problem(self, origin: Origin, where: str | None, fieldname: str | None, msg: str) -> None:
        self.problems.append(located_problem(origin, where, fieldname, msg))

    def read_file(self, path: Path) -> None:  # noqa: C901 - known debt, split in issue 8
        rel = relative_path(path)
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            what = getattr(error, "problem", None) or str(error).splitlines()[0]
            where = f" (kolumn {mark.column + 1})" if mark is not None else ""
            self.problems.append(Problem(rel, line, None, f"ogiltig YAML: {what}{where}"))
            self.unreadable = True
            return
        except OSError as error:
            self.problems.append(Problem(rel, None, None, f"kan inte läsa filen: {error}"))
            self.unreadable = True
            return
        if data is None:
            self.problems.append(Problem(rel, None, None, "filen är tom"))
            return
        origin = _origin(rel, data)
        if not isinstance(data, dict):
            self.problems.append(Problem(rel, 1, None, "filen ska vara en tabell med 'nodes'"))
            return
        self._duplicate_keys(origin, None, data)
        for key in data:
            if key not in _TOP_FIELDS:
                self.problem(origin, None, str(key), f"okänt fält '{key}'")
        if "start" in data:
            self.start_files.append(rel)
            self.start = data["start"] if isinstance(data["start"], str) else str(data["start"])
            self.start_origin = Origin(rel, origin.line_of("start"), origin.field_lines)
        if "checklist_topics" in data:
            self._read_topics(origin, data["checklist_topics"])
        nodes = data.get("nodes")
        if nodes is None:
            if "start" not in data:
                self.problem(origin, None, "nodes", "listan 'nodes' saknas")
            return
        if not isinstance(nodes, list):
            self.problem(origin, None, "nodes", "'nodes' ska vara en lista")
            return
        for index, raw in enumerate(nodes):
            self._read_node(rel, index, raw, origin)

    def _duplicate_keys(self, origin: Origin, where: str | None, data: object) -> None:
        if isinstance(data, _LineDict):
            for key, line in data.duplicate_keys:
                message = f"fältet '{key}' står två gånger"
                self.problems.append(located_problem(origin, where, key, message, line=line))

    def _read_topics(self, origin: Origin, raw: object) -> None:
        if not isinstance(raw, list):
            self.problem(origin, None, "checklist_topics", "ska vara en lista")
            return
        for index, entry in enumerate(raw):
            where = f"checklist_topics[{index}]"
            topic_origin = _origin(origin.file, entry)
            if not isinstance(entry, dict):
                self.problem(origin, None, where, "ska vara en tabell med id och label")
                continue
            self._duplicate_keys(topic_origin, None, entry)
            for key in entry:
                if key not in _TOPIC_FIELDS:
                    self.problem(topic_origin, None, f"{where}.{key}", f"okänt fält '{key}'")
            label = self._local_text(topic_origin, None, f"{where}.label", entry.get("label"))
            topic_id = entry.get("id")
            self.topics.append(
                ChecklistTopic(
                    "" if topic_id is None else str(topic_id),
                    label or LocalText("", ""),
                    topic_origin,
                )
            )

    def _local_text(
        self, origin: Origin, where: str | None, name: str, raw: object
    ) -> LocalText | None:
        if raw is None:
            return None
        if isinstance(raw, str):
            self.problem(origin, where, name, "ska ha en text per språk: sv och en")
            return LocalText(raw, "")
        if not isinstance(raw, dict):
            self.problem(origin, where, name, "ska ha en text per språk: sv och en")
            return LocalText("", "")
        for key in raw:
            if key not in LANGUAGES:
                self.problem(origin, where, f"{name}.{key}", f"okänt språk '{key}'")
        values = []
        for lang in LANGUAGES:
            value = raw.get(lang)
            if value is not None and not isinstance(value, str):
                self.problem(origin, where, f"{name}.{lang}", "ska vara en text")
                value = str(value)
            values.append(value or "")
        return LocalText(values[0], values[1])

    def _read_node(self, rel: str, index: int, raw: object, file_origin: Origin) -> None:  # noqa: C901 - known debt, split in issue 8
        if not isinstance(raw, dict):
            self.problem(file_origin, None, f"nodes[{index}]", "ska vara en tabell")
            return
        origin = _origin(rel, raw)
        raw_id = raw.get("id")
        node_id = raw_id if isinstance(raw_id, str) else ("" if raw_id is None else str(raw_id))
        where = node_id or f"nodes[{index}]"
        if raw_id is not None and not isinstance(raw_id, str):
            self.problem(origin, where, "id", "id ska vara text (sätt citattecken runt det)")
        self._duplicate_keys(origin, where, raw)
        for key in raw:
            if key not in _NODE_FIELDS:
                self.problem(origin, where, str(key), f"okänt fält '{key}'")

        def text_field(name: str) -> str | None:
            value = raw.get(name)
            if value is None or isinstance(value, str):
                return value
            self.problem(origin, where, name, "ska vara text (sätt citattecken runt det)")
            return str(value)

        def list_field(name: str) -> tuple[str, ...]:
            value = raw.get(name)
            if value is None:
                return ()
            if not isinstance(value, list):
                self.problem(origin, where, name, "ska vara en lista")
                return ()
            return tuple(str(item) for item in value)

        terminal = raw.get("terminal", False)
        if not isinstance(terminal, bool):
            self.problem(origin, where, "terminal", "ska vara true eller false")
            terminal = bool(terminal)

        options: list[GuideOption] = []
        raw_options = raw.get("options")
        if raw_options is not None and not isinstance(raw_options, list):
            self.problem(origin, where, "options", "ska vara en lista")
        elif raw_options:
            for position, entry in enumerate(raw_options):
                name = f"options[{position}]"
                if not isinstance(entry, dict):
                    self.problem(origin, where, name, "ska vara en tabell med id, label och next")
                    continue
                self._duplicate_keys(origin, where, entry)
                for key in entry:
                    if key not in _OPTION_FIELDS:
                        self.problem(origin, where, f"{name}.{key}", f"okänt fält '{key}'")
                option_id = entry.get("id")
                if option_id is not None and not isinstance(option_id, str):
                    self.problem(
                        origin,
                        where,
                        f"{name}.id",
                        f"'{option_id}' lästes inte som text – skriv t.ex. ja/nej, "
                        "eller sätt citattecken runt det",
                    )
                target = entry.get("next")
                options.append(
                    GuideOption(
                        "" if option_id is None else str(option_id),
                        self._local_text(origin, where, f"{name}.label", entry.get("label"))
                        or LocalText("", ""),
                        "" if target is None else str(target),
                        _line(entry),
                    )
                )

        self.nodes.append(
            GuideNode(
                id=node_id,
                kind=text_field("kind") or "",
                text=self._local_text(origin, where, "text", raw.get("text")) or LocalText("", ""),
                source=text_field("source") or "",
                title=self._local_text(origin, where, "title", raw.get("title")),
                next=text_field("next"),
                options=tuple(options),
                topic=text_field("topic"),
                terminal=terminal,
                contact=text_field("contact"),
                checkpoints=list_field("checkpoints"),
                contacts=list_field("contacts"),
                origin=origin,
            )
        )


# --- validation ------------------------------------------------------------------------------


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


_TAG = re.compile(r"<(/?)([a-zA-Z0-9-]*)[^>]*>")
_ENTITY = re.compile(r"&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


def html_problems(text: str) -> list[str]:
    """What is wrong with `text` as Telegram HTML (only <b>, <i>, <u>, <s>, <code>)."""
    problems: list[str] = []
    stack: list[str] = []
    position = 0
    while position < len(text):
        char = text[position]
        if char == "<":
            match = _TAG.match(text, position)
            if not match or match.group(0) != f"<{match.group(1)}{match.group(2)}>":
                problems.append("ensamt '<' eller tagg med attribut – skriv &lt;")
                position += 1
                continue
            closing, tag = match.group(1) == "/", match.group(2).lower()
            if tag not in ALLOWED_TAGS:
                problems.append(
                    f"taggen <{tag}> är inte tillåten (bara <b>, <i>, <u>, <s>, <code>)"
                )
            elif closing:
                if not stack or stack[-1] != tag:
                    problems.append(f"</{tag}> stänger ingen öppen <{tag}>")
                else:
                    stack.pop()
            else:
                stack.append(tag)
            position = match.end()
        elif char == "&":
            match = _ENTITY.match(text, position)
            if not match:
                problems.append("ensamt '&' – skriv &amp;")
                position += 1
            else:
                position = match.end()
        elif char == ">":
            problems.append("ensamt '>' – skriv &gt;")
            position += 1
        else:
            position += 1
    problems.extend(f"<{tag}> stängs aldrig" for tag in reversed(stack))
    return problems


def _find_cycle(guide: Guide) -> list[str] | None:
    """A cycle of node ids if the graph has one (the guide must only go forward)."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node_id: str) -> list[str] | None:
        state[node_id] = 1
        path.append(node_id)
        for target in guide.node(node_id).targets:
            if not guide.has_node(target):
                continue
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state:
                found = visit(target)
                if found:
                    return found
        path.pop()
        state[node_id] = 2
        return None

    for node in guide.nodes:
        if node.id and guide.has_node(node.id) and node.id not in state:
            found = visit(node.id)
            if found:
                return found
    return None


def _reachable(guide: Guide) -> set[str]:
    seen: set[str] = set()
    if not guide.has_node(guide.start):
        return seen
    todo = [guide.start]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        todo.extend(t for t in guide.node(node_id).targets if guide.has_node(t))
    return seen


def _unreachable_entries(guide: Guide, reachable: set[str]) -> list[tuple[GuideNode, int]]:
    """Where each unreachable part of the graph begins, and how many steps lie behind it.

    One mistyped `next` strands every step after it; naming only the first keeps the error
    list short enough to read.
    """
    lost = [n for n in guide.nodes if n.id and n.id not in reachable and guide.node(n.id) is n]
    lost_ids = {n.id for n in lost}
    has_lost_parent = {t for n in lost for t in n.targets if t in lost_ids and t != n.id}
    # Nodes nobody lost points to come first; what is left after them lies on a loop.
    ordered = [n for n in lost if n.id not in has_lost_parent] + [
        n for n in lost if n.id in has_lost_parent
    ]
    covered: set[str] = set()
    entries: list[tuple[GuideNode, int]] = []
    for node in ordered:
        if node.id in covered:
            continue
        behind: set[str] = set()
        todo = [t for t in node.targets if t in lost_ids]
        while todo:
            current = todo.pop()
            if current in behind or current == node.id:
                continue
            behind.add(current)
            todo.extend(t for t in guide.node(current).targets if t in lost_ids)
        covered |= behind | {node.id}
        entries.append((node, len(behind - {node.id})))
    return entries


def _ancestor_topics(guide: Guide, reachable: set[str]) -> dict[str, set[str]]:
    """For each reachable node: the topics of every node on some path from start to it."""
    parents: dict[str, set[str]] = {node_id: set() for node_id in reachable}
    for node_id in reachable:
        for target in guide.node(node_id).targets:
            if target in parents:
                parents[target].add(node_id)
    result: dict[str, set[str]] = {}
    for node_id in reachable:
        seen: set[str] = set()
        todo = [node_id]
        while todo:
            current = todo.pop()
            if current in seen:
                continue
            seen.add(current)
            todo.extend(parents[current])
        result[node_id] = {
            topic for n in seen if n != node_id and (topic := guide.node(n).topic) is not None
        }
        own = guide.node(node_id).topic
        if own:
            result[node_id].add(own)
    return result


class _Report:
    """Collects validation problems, each naming file, line, node and field."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def add(
        self, origin: Origin, node_id: str | None, fieldname: str | None, message: str
    ) -> None:
        self.problems.append(located_problem(origin, node_id, fieldname, message))

    def text(self, origin: Origin, node_id: str | None, name: str, text: LocalText) -> None:
        for lang in LANGUAGES:
            value = getattr(text, lang)
            if not value.strip():
                self.add(origin, node_id, f"{name}.{lang}", f"texten på {lang} saknas")
                continue
            for message in dict.fromkeys(html_problems(value)):
                self.add(origin, node_id, f"{name}.{lang}", f"ogiltig Telegram-HTML: {message}")


def _check_topics(guide: Guide, report: _Report) -> set[str]:
    topic_ids: set[str] = set()
    for topic in guide.topics:
        if not SLUG.match(topic.id):
            report.add(
                topic.origin, None, "id", f"ämnes-id '{topic.id}' ska matcha {SLUG.pattern}"
            )
        elif topic.id in topic_ids:
            report.add(topic.origin, None, "id", f"ämnet '{topic.id}' finns redan")
        topic_ids.add(topic.id)
        report.text(topic.origin, None, f"checklist_topics.{topic.id}.label", topic.label)
    used = {node.topic for node in guide.nodes if node.topic}
    for topic in guide.topics:
        if topic.id and topic.id not in used:
            report.add(topic.origin, None, "id", f"ämnet '{topic.id}' används inte av någon nod")
    return topic_ids


def _check_texts(node: GuideNode, report: _Report) -> None:
    origin, nid = node.origin, node.id or None
    report.text(origin, nid, "text", node.text)
    if node.title is not None:
        report.text(origin, nid, "title", node.title)
    for lang in LANGUAGES:
        body = getattr(node.text, lang)
        title = getattr(node.title, lang) if node.title else ""
        length = _utf16_len(title) + 2 + _utf16_len(body) if title else _utf16_len(body)
        if length > TELEGRAM_TEXT_LIMIT:
            counted = "tecken med rubriken" if title else "tecken"
            message = f"texten är {length} {counted}; Telegram tillåter {TELEGRAM_TEXT_LIMIT}"
            report.add(origin, nid, f"text.{lang}", message)


def _check_options(guide: Guide, node: GuideNode, report: _Report) -> None:
    origin, nid = node.origin, node.id or None
    if node.next is not None:
        report.add(origin, nid, "next", "en fråga har inget 'next' – varje svar har sitt eget")
    if len(node.options) < 2:
        report.add(origin, nid, "options", "en fråga behöver minst två svarsalternativ")
    option_ids: set[str] = set()
    for index, option in enumerate(node.options):
        name = f"options[{index}]"
        here = Origin(origin.file, option.line or origin.line_of("options"))
        if not SLUG.match(option.id):
            message = f"svarets id '{option.id}' ska matcha {SLUG.pattern}"
            report.add(here, nid, f"{name}.id", message)
        elif option.id in RESERVED_ANSWERS:
            report.add(here, nid, f"{name}.id", f"'{option.id}' är reserverat för navigering")
        elif option.id in option_ids:
            report.add(here, nid, f"{name}.id", f"svaret '{option.id}' finns redan i noden")
        option_ids.add(option.id)
        report.text(here, nid, f"{name}.label", option.label)
        for lang in LANGUAGES:
            if len(getattr(option.label, lang)) > LABEL_LIMIT:
                message = f"knapptexten är längre än {LABEL_LIMIT} tecken"
                report.add(here, nid, f"{name}.label.{lang}", message)
        if not option.next:
            report.add(here, nid, f"{name}.next", "målet saknas")
        elif not guide.has_node(option.next):
            report.add(here, nid, f"{name}.next", f"målet '{option.next}' finns inte")


def _check_edges(guide: Guide, node: GuideNode, report: _Report) -> None:
    origin, nid = node.origin, node.id or None
    if node.kind == "question":
        _check_options(guide, node, report)
    else:
        if node.options:
            report.add(
                origin, nid, "options", "bara en fråga (kind: question) har svarsalternativ"
            )
        if node.terminal:
            if node.next is not None:
                report.add(origin, nid, "next", "ett slutsteg (terminal: true) har inget 'next'")
        elif node.next is None:
            message = "'next' saknas – guiden får inte ta slut här (eller sätt terminal: true)"
            report.add(origin, nid, "next", message)
        elif not guide.has_node(node.next):
            report.add(origin, nid, "next", f"målet '{node.next}' finns inte")
    if node.terminal and node.kind != "checklist":
        report.add(origin, nid, "terminal", "guiden ska sluta med en checklista (kind: checklist)")


def _check_kind_fields(node: GuideNode, topic_ids: set[str], report: _Report) -> None:  # noqa: C901 - known debt, split in issue 8
    origin, nid = node.origin, node.id or None
    if node.kind == "contact":
        if node.contact not in CONTACT_KINDS:
            kinds = ", ".join(sorted(CONTACT_KINDS))
            report.add(origin, nid, "contact", f"okänd kontakt '{node.contact}' (en av: {kinds})")
    elif node.contact is not None:
        report.add(origin, nid, "contact", "bara en kontaktnod (kind: contact) har 'contact'")
    if node.kind == "checklist":
        if not node.terminal:
            report.add(
                origin, nid, "terminal", "en checklista avslutar guiden: sätt terminal: true"
            )
        if not node.checkpoints:
            report.add(origin, nid, "checkpoints", "en checklista behöver 'checkpoints'")
        for topic_id in node.checkpoints:
            if topic_id not in topic_ids:
                report.add(origin, nid, "checkpoints", f"ämnet '{topic_id}' finns inte")
        for kind in node.contacts:
            if kind not in CONTACT_KINDS:
                report.add(origin, nid, "contacts", f"okänd kontakt '{kind}'")
    else:
        if node.checkpoints:
            report.add(origin, nid, "checkpoints", "bara en checklista har 'checkpoints'")
        if node.contacts:
            report.add(origin, nid, "contacts", "bara en checklista har 'contacts'")


def _check_node(
    guide: Guide, node: GuideNode, topic_ids: set[str], seen: dict[str, GuideNode], report: _Report
) -> None:
    origin, nid = node.origin, node.id or None
    if not node.id:
        report.add(origin, None, "id", "nod utan id")
    elif not SLUG.match(node.id):
        report.add(
            origin, nid, "id", f"id ska matcha {SLUG.pattern} (a–z, 0–9, _; högst 24 tecken)"
        )
    if node.id in seen:
        first = seen[node.id].origin
        report.add(origin, nid, "id", f"id:t finns redan ({first.file}, rad {first.line})")
    elif node.id:
        seen[node.id] = node
    if node.kind not in NODE_KINDS:
        kinds = ", ".join(sorted(NODE_KINDS))
        report.add(origin, nid, "kind", f"okänd eller saknad kind '{node.kind}' (en av: {kinds})")
    if not node.source.strip():
        report.add(origin, nid, "source", "källa saknas (t.ex. 'domain.md §2.4')")
    if node.topic is not None and node.topic not in topic_ids:
        report.add(origin, nid, "topic", f"ämnet '{node.topic}' finns inte i checklist_topics")
    _check_texts(node, report)
    _check_edges(guide, node, report)
    _check_kind_fields(node, topic_ids, report)


def _check_graph(guide: Guide, topic_ids: set[str], report: _Report) -> None:
    if not guide.start:
        report.add(guide.origin, None, "start", "'start' saknas (vilken nod guiden börjar med)")
        return
    if not guide.has_node(guide.start):
        report.add(guide.origin, None, "start", f"startnoden '{guide.start}' finns inte")
        return
    reachable = _reachable(guide)
    for node, behind in _unreachable_entries(guide, reachable):
        message = "noden går inte att nå från start"
        if behind:
            message += f" (inte heller de {behind} steg som följer efter den)"
        report.add(node.origin, node.id, "id", message)
    cycle = _find_cycle(guide)
    if cycle:
        first = guide.node(cycle[0])
        report.add(first.origin, first.id, "next", "guiden går i en slinga: " + " → ".join(cycle))
        return
    ancestors = _ancestor_topics(guide, reachable)
    for node_id in sorted(reachable):
        node = guide.node(node_id)
        if node.kind != "checklist":
            continue
        passed = ancestors[node_id]
        for topic_id in guide.topic_ids:
            if topic_id in passed and topic_id not in node.checkpoints:
                message = f"ämnet '{topic_id}' tas upp på vägen hit men saknas i checklistan"
                report.add(node.origin, node_id, "checkpoints", message)
        for topic_id in node.checkpoints:
            if topic_id in topic_ids and topic_id not in passed:
                message = f"ämnet '{topic_id}' tas aldrig upp på vägen hit"
                report.add(node.origin, node_id, "checkpoints", message)


def validate(guide: Guide) -> list[Problem]:
    """Every problem in `guide`, in file order; an empty list means the guide is sound.

    Checks: ids are unique short slugs; kinds are known; every node has a source, and its
    texts, title and button labels exist in sv and en, are valid Telegram HTML and fit in a
    message; every `next`/option target exists; questions have ≥ 2 distinct options; only
    checklists end the guide; every node is reachable from start; the graph has no loop; and
    each checklist lists exactly the topics that can be passed on the way to it.
    """
    report = _Report()
    topic_ids = _check_topics(guide, report)
    seen: dict[str, GuideNode] = {}
    for node in guide.nodes:
        _check_node(guide, node, topic_ids, seen, report)
    _check_graph(guide, topic_ids, report)
    return sorted(report.problems, key=lambda p: (p.file, p.line or 0))


# --- loading ---------------------------------------------------------------------------------


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
    parser = _Parser()
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
