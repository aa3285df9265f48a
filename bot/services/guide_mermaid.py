"""Draw the concern-report guide as a Mermaid flowchart, for reviewers and for `docs/guide.md`.

The CLI (`kontaktlotsen guide --mermaid [--lang sv|en]`) prints `to_mermaid(shipped_guide())`.
A test checks that the diagram in `docs/guide.md` is exactly what this module generates now.
"""

from __future__ import annotations

import html
import re

from knowledge.guide import Guide, GuideNode

LABEL_WORDS = 6
LABEL_MAX = 48

# Mermaid shape per node kind: (opening, closing).
_SHAPES = {
    "question": ("{", "}"),
    "emergency": ("[[", "]]"),
    "contact": ("[/", "/]"),
    "checklist": ("([", "])"),
    "info": ("[", "]"),
}

_TAG = re.compile(r"<[^>]*>")


def _plain(text: str) -> str:
    """Telegram HTML → one line of plain text."""
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _escape(text: str) -> str:
    """Make `text` safe inside a quoted Mermaid label (Mermaid's own #code; entities)."""
    out = []
    for char in text:
        if char in '#"<>&':
            out.append(f"#{ord(char)};")
        else:
            out.append(char)
    return "".join(out)


def _node_label(node: GuideNode, lang: str) -> str:
    if node.title is not None:
        label = _plain(node.title.get(lang))
    else:
        words = _plain(node.text.get(lang)).split()
        label = " ".join(words[:LABEL_WORDS]) + (" …" if len(words) > LABEL_WORDS else "")
    if len(label) > LABEL_MAX:
        label = label[: LABEL_MAX - 1].rstrip() + "…"
    return label


def _mermaid_id(node_id: str) -> str:
    # A prefix keeps ids like "end" (a Mermaid keyword) or "o…"/"x…" (edge markers) harmless.
    return f"n_{node_id}"


def to_mermaid(guide: Guide, lang: str = "sv") -> str:
    """A `flowchart TD` of the guide: one box per node, edges labelled with the answers."""
    lines = ["flowchart TD"]
    for node in guide.nodes:
        opening, closing = _SHAPES.get(node.kind, ("[", "]"))
        label = _escape(_node_label(node, lang))
        lines.append(f'    {_mermaid_id(node.id)}{opening}"{label}"{closing}')
    for node in guide.nodes:
        source = _mermaid_id(node.id)
        if node.kind == "question":
            for option in node.options:
                label = _escape(_plain(option.label.get(lang)))
                lines.append(f'    {source} -->|"{label}"| {_mermaid_id(option.next)}')
        elif node.next:
            lines.append(f"    {source} --> {_mermaid_id(node.next)}")
    emergency = [_mermaid_id(n.id) for n in guide.nodes if n.kind == "emergency"]
    checklists = [_mermaid_id(n.id) for n in guide.nodes if n.kind == "checklist"]
    lines.append("    classDef emergency fill:#fdd,stroke:#c00,stroke-width:2px")
    lines.append("    classDef checklist fill:#dfd,stroke:#070")
    if emergency:
        lines.append(f"    class {','.join(emergency)} emergency")
    if checklists:
        lines.append(f"    class {','.join(checklists)} checklist")
    return "\n".join(lines) + "\n"
