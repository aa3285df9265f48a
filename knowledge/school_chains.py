"""Load `knowledge/school_chains.yaml`: free-standing school chains and their short forms."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from knowledge.directory import KNOWLEDGE_DIR
from knowledge.errors import KnowledgeError, relative_path

CHAINS_FILE = KNOWLEDGE_DIR / "school_chains.yaml"


@dataclass(frozen=True)
class ChainName:
    """How a chain's unit names begin, and what people type instead."""

    prefix: str
    short: tuple[str, ...]


@dataclass(frozen=True)
class Chain:
    name: str
    names: tuple[ChainName, ...]


def _strings(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        return None
    return tuple(v.strip() for v in value)


def _chain(entry: Any, number: int, rel: str) -> Chain:
    where = f"chains[{number}]"
    if not isinstance(entry, dict) or not isinstance(entry.get("chain"), str):
        raise KnowledgeError.single(rel, "kedjans namn saknas", field=f"{where}.chain")
    names = []
    for position, name in enumerate(entry.get("names") or []):
        short = _strings(name.get("short", [])) if isinstance(name, dict) else None
        prefix = name.get("prefix") if isinstance(name, dict) else None
        if not isinstance(prefix, str) or not prefix.strip() or short is None:
            field = f"{where}.names[{position}]"
            raise KnowledgeError.single(rel, "prefix och short (en lista) behövs", field=field)
        names.append(ChainName(prefix.strip(), short))
    if not names:
        raise KnowledgeError.single(rel, "minst ett namn behövs", field=f"{where}.names")
    return Chain(entry["chain"].strip(), tuple(names))


def load_chains(path: Path = CHAINS_FILE) -> tuple[Chain, ...]:
    rel = relative_path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise KnowledgeError.single(rel, f"kan inte läsas: {error}") from None
    if (
        not isinstance(data, dict)
        or not data.get("source")
        or not isinstance(data.get("chains"), list)
    ):
        raise KnowledgeError.single(rel, "source och listan chains behövs")
    return tuple(_chain(entry, number, rel) for number, entry in enumerate(data["chains"]))


@cache
def shipped_chains() -> tuple[Chain, ...]:
    return load_chains()
