"""Find the school, stadsdel, stadsdelsområde or other municipality a user means.

Every name is normalised once when the index is built (`text_normalise`), so a search only does
dictionary look-ups and rapidfuzz work:

1. tiers that need no fuzziness: the same normalised text, the same spelling key, the same core
   (name without school words and genitive -s);
2. candidates: every form that shares a rare word with the query, found by a fuzzy search
   over the word list, or a compound the user split or joined ("hasselbystrand");
3. the candidates are scored by whole-text `fuzz.ratio` and by word coverage, lowered for
   every word the user typed that names something else ("engelska skolan hässelby" is not
   Engelska skolan at Roslagstull), adjusted for whether the user asked for a school, grouped
   by what they lead to (a stadsdel and its area are one answer), and turned into an
   `Outcome`. A query that only names a chain ("Kunskapsskolan") is never confident.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum

from rapidfuzz import fuzz, process

from bot.services.text_normalise import (
    Core,
    SchoolKind,
    clean,
    core,
    is_qualifier,
    is_too_long,
    normalise,
    spelling_key,
)

__all__ = [
    "CONFIDENT_SCORE",
    "MARGIN",
    "MIN_SCORE",
    "SUGGESTION_SCORE",
    "EntryKind",
    "IndexEntry",
    "LookupIndex",
    "LookupResult",
    "Match",
    "Outcome",
    "is_too_long",
    "normalise",
]

# --- Scores (0..100) -----------------------------------------------------------------------
# Tiers for hits that need no fuzziness, above anything two different strings score (at most
# FUZZY_CAP), in the order of how much of the typing they forgive.
EXACT_SCORE = 100.0  # same normalised text: "sodermalm" = "Södermalm"
KEY_SCORE = 98.0  # same spelling key: "fridhemskolan" = "Fridhemsskolan"
CORE_SCORE = 96.0  # same core, spaces aside: "Eriksdal" = "Eriksdalsskolan", "Norra Real" = …
# Fuzzy scores above the knee are squeezed into (FUZZY_KNEE, FUZZY_CAP] so they stay below the
# tiers yet keep their order: "…skolan i Rönnmyra" must still beat "…skolan i Månsmyra".
FUZZY_KNEE = 90.0
FUZZY_CAP = 95.0
# The user said which kind of thing they mean: a school word ("Rinkeby skola") asks for a
# school, none ("Rinkeby") for a place, "gymnasiet" for a gymnasium. A fuzzy hit of the other
# kind loses KIND_PENALTY (more than MARGIN, so kind alone decides between look-alikes). A hit
# on the other kind's exact distinctive words loses it only when something of the wanted kind
# explains the query as fully: "Skarpnäcks nya" stays Skarpnäcks nya skola, since the district
# Skarpnäck leaves "nya" unexplained, but "Farsta" is the district, not Farsta gymnasium.
KIND_PENALTY = 8.0
EXPLAINED_TIE = 0.05
# One typo in a 6-10 letter name scores 83-94, two typos 70-85. A confident answer sends a
# teacher to a phone number, so it allows about one typo's worth of doubt.
CONFIDENT_SCORE = 85.0
# Without a tier hit, a runner-up leading somewhere else must be this far behind. A typo of
# one name ("Rinkby": Rinkeby 91, Riksby 83) clears it; a query between two real names
# ("Liljeholmsskolan": Lillholmsskolan 88, Liljeholmen 82) does not.
MARGIN = 6.0
# Below this the best hit shares little more than letters with the query ("Brommaplan" vs
# "Bromma" is 71, "Ekhagen" vs "Björkhagen" 71): answer "no match" rather than guess.
MIN_SCORE = 72.0
# With NONE, up to three "did you mean" suggestions above this score.
SUGGESTION_SCORE = 55.0
NONE_SUGGESTIONS = 3
# An ambiguous answer lists candidates within this distance of the best one; further down are
# mostly shared letters, noise on the buttons.
AMBIGUITY_WINDOW = 20.0
# Word similarity below this counts as a different word (one typo in a four-letter word is 75;
# unrelated words share letters at 30-60 and must not add up to a match).
WORD_FLOOR = 70.0
# How much of the name the query found counts more than how much of the query the name
# explains: teachers add words ("på Södermalm") more often than they drop a name's own.
NAME_COVERAGE_WEIGHT = 0.7
# A query word the directory knows (a place, a word of some name) that a candidate does not
# explain points somewhere else: in "engelska skolan hässelby", Hässelby is not where Engelska
# skolan is. Coverage alone charges the word only its (1 - NAME_COVERAGE_WEIGHT) share of the
# query (Engelska skolan scored 86), and a long chain name ("Internationella Engelska skolan
# Hässelby" for "… Täby") barely notices a different place in the whole-text ratio. So such a
# candidate loses UNEXPLAINED_PENALTY per word and scores at most UNEXPLAINED_CAP: never
# confident, and a confident candidate that explains every word is clear of it by MARGIN.
# The penalty is small enough that a query naming two things ("Enskedefält skola Hässelby")
# still offers both. Words the directory does not know (a misspelt "ringa", a street) cost
# nothing more: they point nowhere.
UNEXPLAINED_PENALTY = 8.0
UNEXPLAINED_CAP = CONFIDENT_SCORE - MARGIN  # 79
# Two words are the same word, one typo allowed ("kista"/"kysta" 80), from here. It decides
# whether the directory knows a query word at all ("undrar" is not Lunda, 73), whether a query
# word is a place ("Kista" is not Vinsta, 73) and whether a name contains it; and a word the
# directory has, typed as it is, is no typo of a look-alike below it ("vittra" not Vinsta).
SAME_WORD = 80.0
SAME_SHARE = SAME_WORD / 100.0  # the same, as a 0..1 word similarity
# A word of a name the user left out counts this share of its weight when they typed the
# name's place and another of its words: "Engelska skolan Hässelby" is how people shorten
# Internationella Engelska skolan Hässelby (it then finds 81% of the name and scores 87.5; at
# half weight it would stay below CONFIDENT_SCORE). A place left out ("Kunskapsskolan" for
# Kunskapsskolan Kista) always counts in full: it is what tells a chain's schools apart.
SHORTENED_WEIGHT = 0.25

# --- Chains of free-standing schools ---------------------------------------------------------
# When at least this many schools contain every word of a query that names no place, each next
# to a place the user did not type ("kunskapsskolan": Kunskapsskolan Kista, Kunskapsskolan
# Enskede; "Engelska skolan": also what people call each Internationella Engelska skolan), the
# query names a chain: never confident, and all its schools are offered. Two schools are
# already a choice only the user can make.
CHAIN_MIN_SCHOOLS = 2

# --- Candidate generation (speed, not ranking) ---------------------------------------------
# A word in more forms than this ("norra", "vittra") narrows nothing down and is not looked
# up; a name made only of such words is still found by the tiers.
MAX_POSTING = 40
# Per query word, the few most similar directory words (from WORD_FLOOR up) bring their forms.
WORD_CUTOFF = WORD_FLOOR
WORD_MATCHES = 3
MAX_QUERY_WORDS = 5
MIN_WORD_LEN = 3
# Shorter parts of a hyphenated district name are not names on their own.
MIN_AREA_PART = 4


class EntryKind(StrEnum):
    SCHOOL = "school"
    NEIGHBOURHOOD = "neighbourhood"
    AREA = "area"
    MUNICIPALITY = "municipality"


@dataclass(frozen=True)
class IndexEntry:
    """One thing a user can mean. `ref`: school id, stadsdel name, area slug or kommun code."""

    kind: EntryKind
    ref: str
    name: str
    area_id: str | None
    aliases: tuple[str, ...] = ()


class Outcome(StrEnum):
    CONFIDENT = "confident"
    AMBIGUOUS = "ambiguous"
    NONE = "none"
    OUTSIDE = "outside"


@dataclass(frozen=True)
class Match:
    entry: IndexEntry
    score: float


@dataclass(frozen=True)
class LookupResult:
    query: str
    outcome: Outcome
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class _Form:
    """One name or alias of an entry, prenormalised."""

    entry: int
    normalised: str
    key: str
    core: Core
    weights: tuple[float, ...]
    joined: str  # the core without spaces, see `_joined`


# Equal scores: without a school word the stadsdel comes first (it is the most specific place),
# with one the school does.
_PLACE_FIRST = {
    EntryKind.NEIGHBOURHOOD: 0,
    EntryKind.AREA: 1,
    EntryKind.MUNICIPALITY: 2,
    EntryKind.SCHOOL: 3,
}
_SCHOOL_FIRST = {
    EntryKind.SCHOOL: 0,
    EntryKind.MUNICIPALITY: 1,
    EntryKind.NEIGHBOURHOOD: 2,
    EntryKind.AREA: 3,
}


def _target(entry: IndexEntry) -> tuple[str, str]:
    """What an entry leads to: a stadsdel and its area give the same contact."""
    if entry.kind in (EntryKind.NEIGHBOURHOOD, EntryKind.AREA) and entry.area_id:
        return ("area", entry.area_id)
    return (entry.kind.value, entry.ref)


def _area_parts(entry: IndexEntry) -> tuple[str, ...]:
    """Each part of a merged district's name is a name people use for it.

    Stockholm formed "Hässelby-Vällingby", "Enskede-Årsta-Vantör", "Spånga-Tensta" by merging
    districts, and people still say "Hässelby" or "Enskede" for the whole.
    """
    if entry.kind is not EntryKind.AREA:
        return ()
    return tuple(
        part.strip()
        for name in (entry.name, *entry.aliases)
        if "-" in name
        for part in name.split("-")
        if len(part.strip()) >= MIN_AREA_PART
    )


def _joined(form_core: Core) -> str:
    """The core without spaces: compounds are written apart and together ("Hässelby gård")."""
    return "".join(form_core.tokens)


def _squeeze(score: float) -> float:
    if score <= FUZZY_KNEE:
        return score
    return FUZZY_KNEE + (score - FUZZY_KNEE) * (FUZZY_CAP - FUZZY_KNEE) / (100.0 - FUZZY_KNEE)


def _index(mapping: dict[str, list[int]], text: str, form: int) -> None:
    if text:
        mapping.setdefault(text, []).append(form)


@dataclass(frozen=True)
class _Word:
    """A distinctive word of the query and what the directory knows about it."""

    text: str
    # Some name in the directory has this word, a typo allowed (SAME_WORD): "undrar" is not
    # Lunda (73), "ringer" not Ärvinge (77).
    known: bool
    # The areas in which it names a stadsdel or district (empty for another municipality);
    # None when it is no place at all.
    areas: frozenset[str] | None


def _places(entries: tuple[IndexEntry, ...], forms: tuple[_Form, ...]) -> dict[str, set[str]]:
    """Each word of a place's name and the areas it lies in; qualifiers are no place."""
    places: dict[str, set[str]] = {}
    for form in forms:
        entry = entries[form.entry]
        if entry.kind is EntryKind.SCHOOL:
            continue
        for word in form.core.tokens:
            if not is_qualifier(word):
                areas = places.setdefault(word, set())
                if entry.kind is not EntryKind.MUNICIPALITY and entry.area_id:
                    areas.add(entry.area_id)
    return places


class LookupIndex:
    """A prebuilt, immutable search index over directory entries."""

    def __init__(self, entries: tuple[IndexEntry, ...], forms: tuple[_Form, ...]) -> None:
        self._entries = entries
        self._targets = [_target(entry) for entry in entries]
        self._forms = forms
        self._places = {word: frozenset(areas) for word, areas in _places(entries, forms).items()}
        # Which words of each form are places; None for the many names without one.
        self._place_flags: list[tuple[bool, ...] | None] = []
        for form in forms:
            flags = tuple(word in self._places for word in form.core.tokens)
            self._place_flags.append(flags if any(flags) else None)
        self._by_normalised: dict[str, list[int]] = {}
        self._by_key: dict[str, list[int]] = {}
        self._by_core: dict[str, list[int]] = {}
        postings: dict[str, list[int]] = {}
        for number, form in enumerate(forms):
            _index(self._by_normalised, form.normalised, number)
            _index(self._by_key, form.key, number)
            _index(self._by_core, form.joined, number)
            for word in dict.fromkeys(form.core.tokens):
                postings.setdefault(word, []).append(number)
        self._postings = {w: f for w, f in postings.items() if len(f) <= MAX_POSTING}
        self._frequent = frozenset(postings) - frozenset(self._postings)
        self._vocabulary = frozenset(postings)
        self._words = list(self._postings)

    @classmethod
    def build(cls, entries: Iterable[IndexEntry]) -> LookupIndex:
        """Normalise every name and alias once."""
        frozen = tuple(entries)
        forms: list[_Form] = []
        for number, entry in enumerate(frozen):
            for text in dict.fromkeys((entry.name, *entry.aliases, *_area_parts(entry))):
                normalised = normalise(text)
                if normalised:
                    key = spelling_key(normalised)
                    form_core = core(key)
                    forms.append(
                        _Form(
                            number,
                            normalised,
                            key,
                            form_core,
                            form_core.weights,
                            _joined(form_core),
                        )
                    )
        return cls(frozen, tuple(forms))

    def only(self, kinds: frozenset[EntryKind]) -> LookupIndex:
        """The index of the entries of `kinds` alone, as `build` would make it, but reusing the
        names already normalised here (normalising is most of the cost of building)."""
        renumbered: dict[int, int] = {}
        entries: list[IndexEntry] = []
        for number, entry in enumerate(self._entries):
            if entry.kind in kinds:
                renumbered[number] = len(entries)
                entries.append(entry)
        forms = tuple(
            replace(form, entry=renumbered[form.entry])
            for form in self._forms
            if form.entry in renumbered
        )
        return LookupIndex(tuple(entries), forms)

    def __len__(self) -> int:
        return len(self._entries)

    def search(self, query: str, limit: int = 5) -> LookupResult:
        """Return the best matches for what the user typed, best first, with an outcome."""
        shown = clean(query)
        if is_too_long(query):
            return LookupResult(shown, Outcome.NONE, ())
        normalised = normalise(shown)
        if not any(ch.isalpha() for ch in normalised):
            return LookupResult(shown, Outcome.NONE, ())
        key = spelling_key(normalised)
        query_core = core(key)
        if not query_core.tokens:
            return LookupResult(shown, Outcome.NONE, ())
        scored, chain = self._score_forms(normalised, key, query_core)
        self._drop_weak_municipalities(scored, query_core)
        outcome, matches = self._decide(scored, chain, query_core.school_kind, max(1, limit))
        return LookupResult(shown, outcome, matches)

    # --- scoring ----------------------------------------------------------------------------

    def _score_forms(
        self, normalised: str, key: str, query_core: Core
    ) -> tuple[dict[int, tuple[float, float]], set[int]]:
        """(raw score, share of the query explained) per form; tiers explain all of it.

        Also the forms of the chain the query names, if it names one (see `_fuzzy_scores`).
        """
        scores: dict[int, tuple[float, float]] = {}
        for mapping, text, tier in (
            (self._by_core, _joined(query_core), CORE_SCORE),
            (self._by_key, key, KEY_SCORE),
            (self._by_normalised, normalised, EXACT_SCORE),
        ):
            for form in mapping.get(text, ()):
                scores[form] = (tier, 1.0)
        found, similar = self._candidates(query_core)
        candidates = [form for form in found if form not in scores]
        words = tuple(
            self._describe(word, similar.get(word)) for word in dict.fromkeys(query_core.tokens)
        )
        fuzzy, chain = self._fuzzy_scores(query_core, words, candidates)
        scores.update(fuzzy)
        return scores, chain

    def _describe(self, word: str, similar: list[tuple[str, float]] | None) -> _Word:
        """Whether the directory knows a query word, and where it is a place."""
        if similar is None:  # not looked up: frequent, short, or beyond MAX_QUERY_WORDS
            similar = [(word, 100.0)] if word in self._vocabulary else []
        same = [name_word for name_word, score in similar if score >= SAME_WORD]
        areas: set[str] | None = None
        for name_word in (word, *same):
            place = self._places.get(name_word)
            if place is not None:
                areas = (areas or set()) | place
        return _Word(word, bool(same), None if areas is None else frozenset(areas))

    def _candidates(self, query_core: Core) -> tuple[set[int], dict[str, list[tuple[str, float]]]]:
        """Forms that share a rare word with the query, exactly, fuzzily or as a compound.

        Looking words up instead of scanning every name keeps a lookup in a national
        directory to a few word-list searches; a name made only of frequent words is still
        found by the exact tiers. Also returns the directory words found for each query word.
        """
        words = sorted(
            {w for w in query_core.tokens if len(w) >= MIN_WORD_LEN and w not in self._frequent},
            key=len,
            reverse=True,
        )[:MAX_QUERY_WORDS]
        if len(query_core.tokens) > 1:
            # "hasselby strand" typed apart, "Hässelbystrandsskolan" written together
            words.append("".join(query_core.tokens))
        found: set[int] = set()
        near: dict[str, list[tuple[str, float]]] = {}
        postings = self._postings
        for word in words:
            near[word] = []
            for similar, score, _ in process.extract(
                word,
                self._words,
                scorer=fuzz.ratio,
                processor=None,
                limit=WORD_MATCHES,
                score_cutoff=WORD_CUTOFF,
            ):
                found.update(postings[similar])
                near[word].append((similar, score))
            # "hasselbystrand" typed together, "Hässelby strand" written apart
            for cut in range(MIN_WORD_LEN, len(word) - MIN_WORD_LEN + 1):
                head, tail = postings.get(word[:cut]), postings.get(word[cut:])
                if head is not None and tail is not None:
                    found.update(set(head).intersection(tail))
        return found, near

    def _fuzzy_scores(
        self, query_core: Core, query_words: tuple[_Word, ...], candidates: list[int]
    ) -> tuple[dict[int, tuple[float, float]], set[int]]:
        """Score candidates by the better of whole-text similarity and word coverage.

        Whole text (`fuzz.ratio`) forgives typos and a missing or extra space. Word coverage
        weighs how much of the name the query found more than how much of the query the name
        explains, so "Hässelby" only half-finds "Hässelby strand", extra words lower a full
        name a little, and one shared word ("Södra" in "Södra Latin"/"Södra Ängby") is no
        match. WRatio's partial scorers give each of these 85-90, and 90 to "Dalskolan" for
        "Eriksdal". A query word the directory knows but the name does not explain costs
        UNEXPLAINED_PENALTY more and caps the score (see UNEXPLAINED_CAP).

        Also returns the forms of the chain the query names: when the query has no place and
        at least CHAIN_MIN_SCHOOLS schools contain every query word next to a place the user
        did not type ("kunskapsskolan": Kunskapsskolan Kista, Kunskapsskolan Enskede, ...).
        """
        if not candidates:
            return {}, set()
        forms = [self._forms[number] for number in candidates]
        similarity, best_for_word = self._word_similarity(query_words, forms)
        whole = _whole_ratios(query_core, forms)
        query_total = sum(len(q.text) for q in query_words)
        scores: dict[int, tuple[float, float]] = {}
        chain: set[int] = set()
        for number, form, ratio in zip(candidates, forms, whole, strict=True):
            words = form.core.tokens
            shares = [best_for_word.get(word, 0.0) for word in words]
            explained, contains_query, unexplained = self._explained(
                query_words, similarity, number, form
            )
            explained /= query_total
            found = self._found(number, shares)
            coverage = NAME_COVERAGE_WEIGHT * found + (1 - NAME_COVERAGE_WEIGHT) * explained
            score = max(ratio, 100.0 * coverage)
            if unexplained:
                score = min(score - UNEXPLAINED_PENALTY * unexplained, UNEXPLAINED_CAP)
            score -= self._kind_penalty(query_core, similarity, number, words)
            member = contains_query and self._names_an_untyped_place(number, shares)
            if member:
                chain.add(number)
            if score >= SUGGESTION_SCORE or member:
                scores[number] = (_squeeze(score), max(explained, ratio / 100.0))
        places_named = any(q.areas is not None for q in query_words)
        chain_schools = {self._targets[self._forms[number].entry] for number in chain}
        if places_named or len(chain_schools) < CHAIN_MIN_SCHOOLS:
            chain = set()
        return scores, chain

    def _word_similarity(
        self, query_words: tuple[_Word, ...], forms: list[_Form]
    ) -> tuple[dict[str, dict[str, float]], dict[str, float]]:
        """Per query word, its similar directory words; and each word's best similarity."""
        vocabulary = list({word for form in forms for word in form.core.tokens})
        similarity: dict[str, dict[str, float]] = {}
        best_for_word: dict[str, float] = {}
        for q in query_words:
            row = similarity[q.text] = {}
            # A word the directory has, typed as it is, is no typo of a look-alike.
            floor = SAME_WORD if q.text in self._vocabulary else WORD_FLOOR
            for word, score, _ in process.extract(
                q.text,
                vocabulary,
                scorer=fuzz.ratio,
                processor=None,
                limit=None,
                score_cutoff=floor,
            ):
                row[word] = score / 100.0
                if row[word] > best_for_word.get(word, 0.0):
                    best_for_word[word] = row[word]
        return similarity, best_for_word

    def _explained(
        self,
        query_words: tuple[_Word, ...],
        similarity: dict[str, dict[str, float]],
        number: int,
        form: _Form,
    ) -> tuple[float, bool, int]:
        """How much of the query the name explains (in characters), whether it contains every
        query word, and how many known query words it leaves unexplained."""
        entry = self._entries[form.entry]
        words = form.core.tokens
        explained = 0.0
        unexplained = 0
        contains_query = True
        for q in query_words:
            best = max(similarity[q.text].get(word, 0.0) for word in words)
            explained += len(q.text) * best
            contains_query = contains_query and best >= SAME_SHARE
            # A place where the candidate lies ("Eriksdalsskolan på Södermalm") or part of
            # a compound ("gard" in "Hässelbygårdsskolan") points nowhere else.
            if (
                not best
                and q.known
                and not (q.areas and entry.area_id in q.areas)
                and q.text not in form.joined
            ):
                unexplained += 1
        return explained, contains_query, unexplained

    def _kind_penalty(
        self,
        query_core: Core,
        similarity: dict[str, dict[str, float]],
        number: int,
        words: tuple[str, ...],
    ) -> float:
        """ "Eriksdalsskolan på Södermalm": the word the user made a school of must be in the
        school's name, or Södermalmsskolan ties with Eriksdalsskolan."""
        stems = query_core.school_stems
        entry = self._entries[self._forms[number].entry]
        if (
            stems
            and entry.kind is EntryKind.SCHOOL
            and not any(word in similarity[stem] for stem in stems for word in words)
        ):
            return KIND_PENALTY
        return 0.0

    def _names_an_untyped_place(self, number: int, shares: list[float]) -> bool:
        """A school whose name holds a place the user did not type (a chain's member)."""
        places = self._place_flags[number]
        entry = self._entries[self._forms[number].entry]
        return (
            places is not None
            and entry.kind is EntryKind.SCHOOL
            and any(
                place and share < SAME_SHARE for place, share in zip(places, shares, strict=True)
            )
        )

    def _found(self, number: int, shares: list[float]) -> float:
        """How much of a form's name the query found, given how well it found each word.

        Qualifiers the user left out count less ("Ängby" finds most of "Norra Ängby"), one the
        user typed must be explained ("Skarpnäcks nya" is not just Skarpnäck). A name with a
        place in it, typed with its place and another of its words, was shortened: the words
        left out count SHORTENED_WEIGHT ("Engelska skolan Hässelby").
        """
        weights = self._forms[number].weights
        found = sum(weight * share for weight, share in zip(weights, shares, strict=True))
        places = self._place_flags[number]
        if places is None:
            return found / (sum(weights) or 1.0)
        typed = [share >= SAME_SHARE for share in shares]
        shortened = any(p and t for p, t in zip(places, typed, strict=True)) and any(
            not p and t for p, t in zip(places, typed, strict=True)
        )
        total = 0.0
        for weight, place, share in zip(weights, places, shares, strict=True):
            left_out = shortened and not share and not place
            total += weight * SHORTENED_WEIGHT if left_out else weight
        return found / (total or 1.0)

    def _drop_weak_municipalities(
        self, scored: dict[int, tuple[float, float]], query_core: Core
    ) -> None:
        """Forget municipalities the query does not name clearly.

        Sweden has 289 other municipalities, and short ones ("Nora", "Eksjö", "Bromölla") look
        like parts of Stockholm names ("Norra", "Viksjö", "Brommaplan"). A municipality is no
        button to press, so one below CONFIDENT_SCORE could only crowd out the real
        suggestions; and a query of qualifiers only ("Norra") names no place at all.
        """
        vague = all(is_qualifier(token) for token in query_core.tokens)
        for number in [n for n, (raw, _) in scored.items() if raw < CONFIDENT_SCORE or vague]:
            if self._entries[self._forms[number].entry].kind is EntryKind.MUNICIPALITY:
                del scored[number]

    # --- deciding ---------------------------------------------------------------------------

    def _fits(self, form: _Form, wanted: SchoolKind | None) -> bool | None:
        """Whether a form is the kind the query asked for; None for municipalities.

        "skola i Nacka" means a school in Nacka, so municipalities are never the wrong kind.
        """
        kind = self._entries[form.entry].kind
        if kind is EntryKind.MUNICIPALITY:
            return None
        named = form.core.school_kind
        if wanted is None:
            return kind is not EntryKind.SCHOOL or named is None
        if kind is not EntryKind.SCHOOL:
            return False
        return {wanted, named} != {SchoolKind.GRUNDSKOLA, SchoolKind.GYMNASIUM}

    def _decide(
        self,
        scored: dict[int, tuple[float, float]],
        chain: set[int],
        wanted: SchoolKind | None,
        limit: int,
    ) -> tuple[Outcome, tuple[Match, ...]]:
        """Apply the kind preference, keep the best entry per target and pick the outcome.

        The schools of a chain the query names are raised into the list of candidates, however
        little of their names the query found and whatever their kind (which still orders
        them), and the answer is not confident.
        """
        best, exact, strong = self._kind_adjusted(scored, chain, wanted)
        order = _PLACE_FIRST if wanted is None else _SCHOOL_FIRST
        entries = self._entries
        ranked = sorted(
            best.items(),
            key=lambda item: (-item[1], order[entries[item[0]].kind], entries[item[0]].name),
        )
        targets: dict[tuple[str, str], Match] = {}
        for number, score in ranked:
            targets.setdefault(self._targets[number], Match(entries[number], round(score, 1)))
        matches = list(targets.values())
        if not matches:
            return Outcome.NONE, ()
        top = matches[0]
        floor = max(SUGGESTION_SCORE, top.score - AMBIGUITY_WINDOW)
        window = tuple(m for m in matches if m.score >= floor)[:limit]
        if top.score < MIN_SCORE:
            return Outcome.NONE, window[:NONE_SUGGESTIONS]
        if top.entry.kind is EntryKind.MUNICIPALITY and top.score >= CONFIDENT_SCORE:
            return Outcome.OUTSIDE, window
        confident = _is_confident(matches, chain=bool(chain), exact=exact, strong=strong)
        return (Outcome.CONFIDENT if confident else Outcome.AMBIGUOUS), window

    def _kind_adjusted(
        self,
        scored: dict[int, tuple[float, float]],
        chain: set[int],
        wanted: SchoolKind | None,
    ) -> tuple[dict[int, float], set[tuple[str, str]], set[tuple[str, str]]]:
        """The best score per entry after the kind preference and the chain lift, and the
        targets hit exactly or by their distinctive words."""
        lifted = max((raw for raw, _ in scored.values()), default=0.0) - AMBIGUITY_WINDOW
        fits = {number: self._fits(self._forms[number], wanted) for number in scored}
        best_fitting = max(
            (
                explained
                for number, (raw, explained) in scored.items()
                if fits[number] and raw >= MIN_SCORE
            ),
            default=0.0,
        )
        best: dict[int, float] = {}
        exact: set[tuple[str, str]] = set()
        strong: set[tuple[str, str]] = set()
        for number, (raw, explained) in scored.items():
            entry = self._forms[number].entry
            wrong_kind = fits[number] is False and raw < EXACT_SCORE
            # A fuzzy hit always pays; a tier hit only if the wanted kind explains as much.
            penalty = (
                KIND_PENALTY
                if wrong_kind and (raw < CORE_SCORE or best_fitting >= explained - EXPLAINED_TIE)
                else 0.0
            )
            score = raw - penalty
            if number in chain:
                score = max(score, lifted - penalty, MIN_SCORE)
            best[entry] = max(score, best.get(entry, 0.0))
            if raw >= EXACT_SCORE:
                exact.add(self._targets[entry])
            elif raw >= CORE_SCORE and score == raw:
                strong.add(self._targets[entry])
        return best, exact, strong


def _is_confident(
    matches: list[Match],
    *,
    chain: bool,
    exact: set[tuple[str, str]],
    strong: set[tuple[str, str]],
) -> bool:
    """Whether the top match is the one thing the user means."""
    top = matches[0]
    if chain:
        # "Kunskapsskolan", "Engelska skolan": which of the chain's schools?
        return False
    if exact:
        # An exact name is certain unless two different things carry it.
        return len(exact) == 1
    if strong:
        # Same distinctive words as exactly one thing of the wanted kind.
        return strong == {_target(top.entry)}
    runner_up = matches[1].score if len(matches) > 1 else 0.0
    return top.score >= CONFIDENT_SCORE and top.score - runner_up >= MARGIN


def _whole_ratios(query_core: Core, forms: list[_Form]) -> list[float]:
    """`fuzz.ratio` of the whole query against each form's whole name (0–100)."""
    whole = [0.0] * len(forms)
    for _, score, position in process.extract(
        query_core.text,
        [form.core.text for form in forms],
        scorer=fuzz.ratio,
        processor=None,
        limit=None,
    ):
        whole[position] = score
    return whole
