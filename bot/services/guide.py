"""Walk the concern-report guide (orosanmälan): a pure engine over `knowledge.guide.Guide`.

A position is an immutable `GuidePosition`: the node ids actually visited, the current one
last. Every function returns a new position; nothing here talks to Telegram or a database.

Errors (all raised for things a user can cause by pressing an old or forged button)::

    GuideError
     ├── StaleStep        the button belongs to another step than the current one
     ├── InvalidAnswer    the answer is not one the current step offers
     └── InvalidPosition  the position does not fit this guide (e.g. the YAML changed)

Callback data: `encode_callback(node_id, action)` → "g:<node_id>:<action>", at most
2 + 24 + 1 + 24 = 51 bytes (Telegram allows 64). `action` is an option id, "next", "back",
"restart" or "cancel"; `apply` handles all but "cancel", which only the handler can do.
`decode_callback` accepts only data the guide can have made (a real step and one of its
answers, or navigation), so forged data is refused before `apply` could call it stale.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import pairwise

from knowledge.guide import SLUG, ChecklistTopic, Guide, GuideNode, LocalText

CALLBACK_PREFIX = "g"
NEXT = "next"
BACK = "back"
RESTART = "restart"
CANCEL = "cancel"
NAVIGATION = frozenset({BACK, RESTART, CANCEL})
STATE_VERSION = 1


class GuideError(Exception):
    """Base class for everything the guide engine refuses."""


class StaleStep(GuideError):
    """A button from an older message: it belongs to `node_id`, the user is at `current`."""

    def __init__(self, node_id: str, current: str) -> None:
        self.node_id = node_id
        self.current = current
        super().__init__(f"button for step '{node_id}', but the current step is '{current}'")


class InvalidAnswer(GuideError):
    """The answer is not one the current step offers."""

    def __init__(self, node_id: str, answer: str, allowed: tuple[str, ...]) -> None:
        self.node_id = node_id
        self.answer = answer
        self.allowed = allowed
        super().__init__(f"step '{node_id}' does not accept '{answer}' (allowed: {allowed})")


class InvalidPosition(GuideError):
    """The position names a node that this guide does not have."""


@dataclass(frozen=True)
class GuidePosition:
    """Where a user is: the node ids visited on the way, the current step last."""

    path: tuple[str, ...]

    def __post_init__(self) -> None:
        if not self.path:
            raise ValueError("a guide position needs at least the start node")

    @property
    def current(self) -> str:
        return self.path[-1]


@dataclass(frozen=True)
class AnswerButton:
    """One answer button: the label (None = "next") and the callback data."""

    label: LocalText | None
    data: str


@dataclass(frozen=True)
class ChecklistItem:
    """One line of the closing checklist."""

    topic: ChecklistTopic
    covered: bool


# --- moving ----------------------------------------------------------------------------------


def start(guide: Guide) -> GuidePosition:
    """The first step: the acute-danger question."""
    return GuidePosition((guide.start,))


def current_node(guide: Guide, position: GuidePosition) -> GuideNode:
    """The node the user is at; InvalidPosition if the guide has no such node."""
    try:
        return guide.node(position.current)
    except KeyError:
        raise InvalidPosition(f"unknown step '{position.current}'") from None


def advance(guide: Guide, position: GuidePosition, answer: str) -> GuidePosition:
    """Move on by `answer`: "next" on a plain step, or an option id on a question."""
    node = current_node(guide, position)
    if node.kind == "question":
        option = node.option(answer)
        if option is None:
            raise InvalidAnswer(node.id, answer, node.answers)
        target = option.next
    elif answer == NEXT and node.next:
        target = node.next
    else:
        raise InvalidAnswer(node.id, answer, node.answers)
    return GuidePosition((*position.path, target))


def back(guide: Guide, position: GuidePosition) -> GuidePosition:
    """One step back along the path actually taken; at the start, stay there."""
    if len(position.path) <= 1:
        return position
    return GuidePosition(position.path[:-1])


def apply(guide: Guide, position: GuidePosition, node_id: str, action: str) -> GuidePosition:
    """Handle a decoded button press: an answer, "back" or "restart".

    "restart" works from any message, even an old one; every other action must come from
    the current step (StaleStep otherwise). "cancel" is for the handler: InvalidAnswer here.
    """
    if action == RESTART:  # the old path is forgotten
        return start(guide)
    if position.current != node_id:
        raise StaleStep(node_id, position.current)
    if action == BACK:
        return back(guide, position)
    return advance(guide, position, action)


# --- reading the position --------------------------------------------------------------------


def is_finished(guide: Guide, position: GuidePosition) -> bool:
    """True at a terminal (checklist) step."""
    return current_node(guide, position).terminal


def can_go_back(position: GuidePosition) -> bool:
    return len(position.path) > 1


def covered_topics(guide: Guide, position: GuidePosition) -> list[str]:
    """Checklist topics of the steps actually visited, in checklist order."""
    visited = {
        topic
        for node_id in position.path
        if guide.has_node(node_id) and (topic := guide.node(node_id).topic) is not None
    }
    return [topic_id for topic_id in guide.topic_ids if topic_id in visited]


def checklist(guide: Guide, position: GuidePosition) -> list[ChecklistItem]:
    """The checklist to show: the current checklist node's checkpoints (else every topic)."""
    node = current_node(guide, position)
    wanted = node.checkpoints if node.kind == "checklist" else guide.topic_ids
    covered = set(covered_topics(guide, position))
    return [
        ChecklistItem(topic, topic.id in covered) for topic in guide.topics if topic.id in wanted
    ]


def progress(guide: Guide, position: GuidePosition) -> tuple[int, int | None]:
    """(this step's number, the path's total) – "Steg 3 av 14", or "Steg 2" with no total.

    A total is shown only once it is fixed: when every way on from here has the same number of
    steps (after the path is chosen). Before that the total would jump with each answer.
    """
    done = len(position.path)
    here = current_node(guide, position).id
    shortest, longest = _steps_to_end(guide, here, min), _steps_to_end(guide, here, max)
    return done, (done - 1 + longest if shortest == longest else None)


def _steps_to_end(guide: Guide, node_id: str, pick: Callable[[list[int]], int]) -> int:
    """Nodes on the shortest or longest way from `node_id` to an end, itself included."""
    memo: dict[str, int] = {}

    def steps(here: str) -> int:
        if here not in memo:
            targets = [t for t in guide.node(here).targets if guide.has_node(t)]
            memo[here] = 1 + (pick([steps(t) for t in targets]) if targets else 0)
        return memo[here]

    return steps(node_id)


# --- storing ---------------------------------------------------------------------------------


def dump_position(position: GuidePosition) -> dict[str, object]:
    """A compact JSON-able form for the database: {"v": 1, "path": [...]}."""
    return {"v": STATE_VERSION, "path": list(position.path)}


def load_position(guide: Guide, data: object) -> GuidePosition | None:
    """Read a stored position back, or None if it no longer fits the guide.

    Checks that the path starts at the start node and every step follows an edge of the
    current guide; a guide edited since the position was stored gives None, and the caller
    starts over.
    """
    if not isinstance(data, Mapping) or data.get("v") != STATE_VERSION:
        return None
    raw_path = data.get("path")
    if not isinstance(raw_path, list) or not raw_path:
        return None
    if not all(isinstance(node_id, str) and guide.has_node(node_id) for node_id in raw_path):
        return None
    path: tuple[str, ...] = tuple(raw_path)
    if path[0] != guide.start:
        return None
    for here, there in pairwise(path):
        if there not in guide.node(here).targets:
            return None
    return GuidePosition(path)


def stored_steps(data: object) -> int:
    """How many steps a stored position holds, even one that no longer fits the guide."""
    path = data.get("path") if isinstance(data, Mapping) else None
    return len(path) if isinstance(path, list) else 0


# --- callback data ---------------------------------------------------------------------------


def encode_callback(node_id: str, action: str) -> str:
    """Callback data for a button on the step `node_id`: "g:<node_id>:<action>"."""
    return f"{CALLBACK_PREFIX}:{node_id}:{action}"


def decode_callback(guide: Guide, data: str) -> tuple[str, str] | None:
    """(node_id, action) from data `encode_callback` made for this guide, else None.

    None for malformed data, an unknown step, or an action the step never offered: data the
    guide cannot have produced, whichever step the user is at now.
    """
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != CALLBACK_PREFIX:
        return None
    node_id, action = parts[1], parts[2]
    if not SLUG.match(node_id) or not SLUG.match(action) or not guide.has_node(node_id):
        return None
    if action not in guide.node(node_id).answers and action not in NAVIGATION:
        return None
    return node_id, action


def buttons(guide: Guide, position: GuidePosition) -> list[AnswerButton]:
    """The current step's answer buttons, in display order (none at the end).

    A question gives one button per option, with its label; a plain step gives one "next"
    button with `label=None` (the handler writes "Nästa" with `_()`). Navigation buttons
    (back, restart, cancel) are the handler's to add with `encode_callback(node_id, BACK)`.
    """
    node = current_node(guide, position)
    if node.kind == "question":
        return [
            AnswerButton(option.label, encode_callback(node.id, option.id))
            for option in node.options
        ]
    return [AnswerButton(None, encode_callback(node.id, answer)) for answer in node.answers]
