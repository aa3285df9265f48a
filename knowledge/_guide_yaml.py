"""Read the guide's YAML into the model, keeping file and line of every field.

Private to `knowledge.guide`: shape problems (unknown fields, wrong types, bad YAML) are
recorded as `Problem`s and reading carries on, so one run lists everything to mend.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from knowledge.errors import Problem, relative_path
from knowledge.guide_model import (
    LANGUAGES,
    ChecklistTopic,
    GuideNode,
    GuideOption,
    LocalText,
    Origin,
)

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
        "review_by",
    }
)
_OPTION_FIELDS = frozenset({"id", "label", "next"})
_TOP_FIELDS = frozenset({"start", "checklist_topics", "nodes"})
_TOPIC_FIELDS = frozenset({"id", "label"})


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


class GuideParser:
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

    def read_file(self, path: Path) -> None:
        """Read one YAML file into the parser's start, topics and nodes."""
        rel = relative_path(path)
        data = self._load(path, rel)
        if data is None:
            return
        origin = _origin(rel, data)
        if not isinstance(data, dict):
            self.problems.append(Problem(rel, 1, None, "filen ska vara en tabell med 'nodes'"))
            return
        self._duplicate_keys(origin, None, data)
        self._unknown_keys(origin, None, None, data, _TOP_FIELDS)
        if "start" in data:
            self.start_files.append(rel)
            self.start = data["start"] if isinstance(data["start"], str) else str(data["start"])
            self.start_origin = Origin(rel, origin.line_of("start"), origin.field_lines)
        if "checklist_topics" in data:
            self._read_topics(origin, data["checklist_topics"])
        self._read_nodes(rel, origin, data)

    def _load(self, path: Path, rel: str) -> object:
        """The file's YAML, or None (with the problem recorded) if it is unreadable or empty."""
        try:
            data = yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            line = mark.line + 1 if mark is not None else None
            what = getattr(error, "problem", None) or str(error).splitlines()[0]
            where = f" (kolumn {mark.column + 1})" if mark is not None else ""
            self.problems.append(Problem(rel, line, None, f"ogiltig YAML: {what}{where}"))
            self.unreadable = True
            return None
        except OSError as error:
            self.problems.append(Problem(rel, None, None, f"kan inte läsa filen: {error}"))
            self.unreadable = True
            return None
        if data is None:
            self.problems.append(Problem(rel, None, None, "filen är tom"))
        return data

    def _read_nodes(self, rel: str, origin: Origin, data: dict[Any, Any]) -> None:
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

    def _unknown_keys(
        self,
        origin: Origin,
        where: str | None,
        prefix: str | None,
        data: dict[Any, Any],
        known: frozenset[str],
    ) -> None:
        for key in data:
            if key not in known:
                name = f"{prefix}.{key}" if prefix else str(key)
                self.problem(origin, where, name, f"okänt fält '{key}'")

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
            self._unknown_keys(topic_origin, None, where, entry, _TOPIC_FIELDS)
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

    def _read_node(self, rel: str, index: int, raw: object, file_origin: Origin) -> None:
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
        self._unknown_keys(origin, where, None, raw, _NODE_FIELDS)
        fields = _NodeFields(self, origin, where, raw)
        self.nodes.append(
            GuideNode(
                id=node_id,
                kind=fields.text("kind") or "",
                text=self._local_text(origin, where, "text", raw.get("text")) or LocalText("", ""),
                source=fields.text("source") or "",
                title=self._local_text(origin, where, "title", raw.get("title")),
                next=fields.text("next"),
                options=self._read_options(origin, where, raw.get("options")),
                topic=fields.text("topic"),
                terminal=fields.flag("terminal"),
                contact=fields.text("contact"),
                checkpoints=fields.strings("checkpoints"),
                contacts=fields.strings("contacts"),
                review_by=fields.text("review_by"),
                origin=origin,
            )
        )

    def _read_options(
        self, origin: Origin, where: str, raw_options: object
    ) -> tuple[GuideOption, ...]:
        if raw_options is not None and not isinstance(raw_options, list):
            self.problem(origin, where, "options", "ska vara en lista")
            return ()
        options: list[GuideOption] = []
        for position, entry in enumerate(raw_options or ()):
            option = self._read_option(origin, where, f"options[{position}]", entry)
            if option is not None:
                options.append(option)
        return tuple(options)

    def _read_option(
        self, origin: Origin, where: str, name: str, entry: object
    ) -> GuideOption | None:
        if not isinstance(entry, dict):
            self.problem(origin, where, name, "ska vara en tabell med id, label och next")
            return None
        self._duplicate_keys(origin, where, entry)
        self._unknown_keys(origin, where, name, entry, _OPTION_FIELDS)
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
        return GuideOption(
            "" if option_id is None else str(option_id),
            self._local_text(origin, where, f"{name}.label", entry.get("label"))
            or LocalText("", ""),
            "" if target is None else str(target),
            _line(entry),
        )


class _NodeFields:
    """Typed access to a node's plain fields, recording a problem for each wrong type."""

    def __init__(
        self, parser: GuideParser, origin: Origin, where: str, raw: dict[Any, Any]
    ) -> None:
        self.parser, self.origin, self.where, self.raw = parser, origin, where, raw

    def text(self, name: str) -> str | None:
        value = self.raw.get(name)
        if value is None or isinstance(value, str):
            return value
        self.parser.problem(
            self.origin, self.where, name, "ska vara text (sätt citattecken runt det)"
        )
        return str(value)

    def strings(self, name: str) -> tuple[str, ...]:
        value = self.raw.get(name)
        if value is None:
            return ()
        if not isinstance(value, list):
            self.parser.problem(self.origin, self.where, name, "ska vara en lista")
            return ()
        return tuple(str(item) for item in value)

    def flag(self, name: str) -> bool:
        value = self.raw.get(name, False)
        if not isinstance(value, bool):
            self.parser.problem(self.origin, self.where, name, "ska vara true eller false")
            return bool(value)
        return value
