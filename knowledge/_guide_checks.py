"""Check a loaded guide: ids, kinds, sources, texts in both languages, edges and the graph.

Private to `knowledge.guide`; `validate` lists every problem with file, line, node and field.
"""

from __future__ import annotations

import re
from datetime import date

from knowledge._guide_yaml import located_problem
from knowledge.errors import Problem
from knowledge.guide_model import (
    ALLOWED_TAGS,
    CONTACT_KINDS,
    LABEL_LIMIT,
    LANGUAGES,
    NODE_KINDS,
    RESERVED_ANSWERS,
    SLUG,
    TELEGRAM_TEXT_LIMIT,
    Guide,
    GuideNode,
    LocalText,
    Origin,
)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


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


def _check_kind_fields(node: GuideNode, topic_ids: set[str], report: _Report) -> None:
    origin, nid = node.origin, node.id or None
    if node.kind == "contact":
        if node.contact not in CONTACT_KINDS:
            kinds = ", ".join(sorted(CONTACT_KINDS))
            report.add(origin, nid, "contact", f"okänd kontakt '{node.contact}' (en av: {kinds})")
    elif node.contact is not None:
        report.add(origin, nid, "contact", "bara en kontaktnod (kind: contact) har 'contact'")
    if node.kind == "checklist":
        _check_checklist(node, topic_ids, report)
    else:
        if node.checkpoints:
            report.add(origin, nid, "checkpoints", "bara en checklista har 'checkpoints'")
        if node.contacts:
            report.add(origin, nid, "contacts", "bara en checklista har 'contacts'")


def _check_checklist(node: GuideNode, topic_ids: set[str], report: _Report) -> None:
    origin, nid = node.origin, node.id or None
    if not node.terminal:
        report.add(origin, nid, "terminal", "en checklista avslutar guiden: sätt terminal: true")
    if not node.checkpoints:
        report.add(origin, nid, "checkpoints", "en checklista behöver 'checkpoints'")
    for topic_id in node.checkpoints:
        if topic_id not in topic_ids:
            report.add(origin, nid, "checkpoints", f"ämnet '{topic_id}' finns inte")
    for kind in node.contacts:
        if kind not in CONTACT_KINDS:
            report.add(origin, nid, "contacts", f"okänd kontakt '{kind}'")


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
    if node.review_by is not None and not _is_date(node.review_by):
        report.add(origin, nid, "review_by", "ska vara ett datum: ÅÅÅÅ-MM-DD")
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
