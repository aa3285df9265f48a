"""The concern-report guide's model: steps, options, checklist topics and the whole graph.

Frozen dataclasses, read once at start-up by `knowledge.guide.load_guide` (the YAML reader is
`knowledge._guide_yaml`, the checks `knowledge._guide_checks`). Nothing here imports `telegram`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

LANGUAGES = ("sv", "en")
DEFAULT_LANGUAGE = "sv"

NODE_KINDS = frozenset({"info", "question", "contact", "emergency", "checklist"})
# What a contact step shows; the handler looks the entry up in the directory at runtime.
INTAKE_CONTACT = "intake_for_child_area"  # the intake unit where the child is registered
SCHOOL_CONTACT = "school_cooperation"  # the school's cooperation contact in social services
SOCIALJOUR_CONTACT = "socialjour"  # social services after office hours
# Social services now: the socialjour after office hours, the child's intake unit during them.
ACUTE_CONTACT = "social_services_now"
CONTACT_KINDS = frozenset({INTAKE_CONTACT, SCHOOL_CONTACT, SOCIALJOUR_CONTACT, ACUTE_CONTACT})
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
    # A date (YYYY-MM-DD) by which a person must check the step again (law not yet settled).
    review_by: str | None = None
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
