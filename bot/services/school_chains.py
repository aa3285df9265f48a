"""Free-standing school chains as people type them (`knowledge/school_chains.yaml`).

Two things, both from data:

- `aliases(name)`: the short forms of a chain school's name. "Internationella Engelska Skolan
  Enskede" is also "IES Enskede" and "Engelska skolan Enskede"; the lookup indexes them as the
  school's aliases, so chain plus place finds the one school.
- `members_for(query)`: a query that is only a chain's name ("IES", "Vittra") names no single
  school, however few the chain has: the chain's schools are offered and the user picks.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from bot.services.lookup import EntryKind, IndexEntry, LookupResult, Match, Outcome
from bot.services.text_normalise import clean, core, normalise, spelling_key
from knowledge.school_chains import Chain, shipped_chains

CHAIN_SCORE = 100.0
MAX_MEMBERS = 5  # as many as a list of buttons shows
# Longer than any chain's name with a few words around it: a question, not a chain's name.
MAX_CHAIN_QUERY = 60


def _key(text: str) -> str:
    return core(spelling_key(normalise(text))).text


class SchoolChains:
    def __init__(self, chains: Iterable[Chain]) -> None:
        self._prefixes: list[tuple[tuple[str, ...], str, tuple[str, ...]]] = []
        self._named: dict[str, str] = {}
        for chain in chains:
            self._named.setdefault(_key(chain.name), chain.name)
            for name in chain.names:
                words = tuple(normalise(name.prefix).split())
                self._prefixes.append((words, chain.name, name.short))
                for form in (name.prefix, *name.short):
                    self._named.setdefault(_key(form), chain.name)
        # Longest prefix first: "Internationella Engelska Gymnasiet" before a shorter one.
        self._prefixes.sort(key=lambda item: -len(item[0]))
        self._named.pop("", None)

    def _split(self, name: str) -> tuple[str, tuple[str, ...], str] | None:
        """(chain, short forms, the rest of the name) for a name that starts with a prefix."""
        words = normalise(name).split()
        for prefix, chain, shorts in self._prefixes:
            if tuple(words[: len(prefix)]) == prefix:
                # The rest as written: the name's last words, as many as follow the prefix.
                written = name.replace("-", " ").split()
                rest = " ".join(written[len(written) - (len(words) - len(prefix)) :])
                return chain, shorts, rest if len(words) > len(prefix) else ""
        return None

    def chain_of(self, name: str) -> str | None:
        split = self._split(name)
        return split[0] if split else None

    def aliases(self, name: str) -> tuple[str, ...]:
        split = self._split(name)
        if split is None or not split[2]:
            return ()
        _, shorts, rest = split
        return tuple(f"{short} {rest}" for short in shorts)

    def named_chain(self, query: str) -> str | None:
        """The chain the query names and nothing else ("ies", "Kunskapsskolan")."""
        return self._named.get(_key(query))

    def members_for(
        self, query: str, result: LookupResult, schools: Iterable[IndexEntry]
    ) -> LookupResult | None:
        """The chain's schools to choose from, when the query is only a chain's name.

        None when it is not, or when the lookup already offers a choice (an exact school of
        that very name among others, "Engelska skolan").
        """
        if result.outcome is Outcome.AMBIGUOUS or len(query) > MAX_CHAIN_QUERY:
            return None
        chain = self.named_chain(query)
        if chain is None:
            return None
        members = sorted(
            (e for e in schools if e.kind is EntryKind.SCHOOL and self.chain_of(e.name) == chain),
            key=lambda entry: entry.name,
        )
        if not members:
            return None
        matches = tuple(Match(entry, CHAIN_SCORE) for entry in members[:MAX_MEMBERS])
        return LookupResult(clean(query), Outcome.AMBIGUOUS, matches)


@cache
def shipped_school_chains() -> SchoolChains:
    return SchoolChains(shipped_chains())
