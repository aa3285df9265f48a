"""Turn what a worried teacher types into comparable Swedish name keys.

Three layers, each built on the previous one, and applied identically to directory names and
to queries so that any folding can only make true matches meet, never split them:

- `normalise`: the readable form. Control and bidi characters gone, casefolded, å/ä/ö/é/ü
  folded to ASCII, punctuation and hyphens as spaces, "S:t"/"St" → "sankt", "g:la" → "gamla".
- `spelling_key`: also forgives how people and OCR misspell: doubled letters, "ae"/"oe"/"aa"
  for ä/ö/å, rn/m, w/v, ck/k, 0/o and 1/l inside words.
- `core`: the key without generic words (skola, vem ska jag ringa, district, …), without the
  school suffix of a compound ("Eriksdalsskolan" → "eriksdal") and without a genitive -s
  ("Bagarmossens skola" → "bagarmosen"), plus which kind of school the words asked for.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum

from rapidfuzz import process
from rapidfuzz.distance import OSA

# Telegram allows 4096 characters; no school or district name is longer than ~60, and a
# question around one ("vem ska jag ringa om …") fits well within this. A longer message is
# not a name but most likely text about a child, which the lookup should not even read.
MAX_QUERY_CHARS = 200
# Cleaning is linear, but NFKC and per-character checks on 10,000 characters are still wasted
# work; cut the raw text first with room for characters that cleaning removes.
_RAW_CHAR_CAP = MAX_QUERY_CHARS * 4

# Letters that NFKD does not decompose into base letter + accent.
_SPECIAL_LETTERS = str.maketrans({"ø": "o", "æ": "ae", "ł": "l", "đ": "d", "ð": "d", "þ": "th"})
_ABBREVIATIONS = (
    (re.compile(r"\bs\s*:\s*t\b"), " sankt "),
    (re.compile(r"\bg\s*:\s*la\b"), " gamla "),
)
_TOKEN_ALIASES = {"st": "sankt", "skt": "sankt"}
_NON_ALNUM = re.compile(r"[\W_]+")

# Ordered: earlier rules feed later ones ("æ" became "ae" in `normalise`, "ae" becomes "a" here).
_SPELLING_RULES = (
    (re.compile(r"(?<=[a-z])0|0(?=[a-z])"), "o"),
    (re.compile(r"(?<=[a-z])1|1(?=[a-z])"), "l"),
    (re.compile(r"ae"), "a"),
    (re.compile(r"oe"), "o"),
    (re.compile(r"aa"), "a"),
    (re.compile(r"ck"), "k"),
    (re.compile(r"ph"), "f"),
    (re.compile(r"w"), "v"),
    (re.compile(r"rn"), "m"),
    (re.compile(r"([a-z])\1+"), r"\1"),
)


class SchoolKind(StrEnum):
    """Which kind of school the words of a name or a query point to."""

    ANY = "any"
    GRUNDSKOLA = "grundskola"
    GYMNASIUM = "gymnasium"


_GRUNDSKOLA_WORDS = (
    "skola skolan skolor skolorna grundskola grundskolan friskola friskolan "
    "lagstadiet mellanstadiet hogstadiet"
)
_GYMNASIUM_WORDS = "gymnasium gymnasiet gymnasieskola gymnasieskolan gymn gymnasiums high"
_ANY_SCHOOL_WORDS = "school schools"
# Words that say what the user wants but not which place: they must not decide the match.
_FILLER_WORDS = (
    # Swedish question words and glue
    "vem vilka vilken vad var hur ska skall jag vi man ringa ring kontakta kontakt kontakten "
    "kontaktperson till for om i pa av och eller med hos vid fran en ett det den har ar som "
    "min mitt mina hej tack behover vill kan galler nummer telefon tel mejl mail "
    "elev eleven elever barn barnet barnen pupil oro orosanmalan anmalan anmala bor gar "
    "lararen larare rektor kommun kommunen stad staden stockholm stockholms "
    "stadsdel stadsdelen stadsdelsomrade stadsdelsomradet stadsdelsforvaltning "
    "stadsdelsforvaltningen stadsdelsnamnd stadsdelsnamnden omrade omradet "
    "socialtjanst socialtjansten soc socialkontor socialkontoret mottagning mottagningen "
    # English
    "who whom whose what which where do does should can could i we my our the a an of in at on "
    "to for about is are call phone contact contacts person please need help hi hello "
    "district area borough municipality city social services service student child "
    "teacher lives live goes attends work works working jobbar arbetar undervisar"
)


def _strip_controls(text: str) -> str:
    """Drop control and format characters (bidi marks, zero-width joiners); keep whitespace."""
    if text.isprintable():  # the usual case, and no character-by-character work
        return text
    return "".join(
        " " if ch.isspace() else ch
        for ch in text
        if ch.isspace() or unicodedata.category(ch)[0] != "C"
    )


def clean(text: str, limit: int = MAX_QUERY_CHARS) -> str:
    """Return the text safe to echo back: no control/bidi characters, single spaces, capped."""
    text = _strip_controls(unicodedata.normalize("NFKC", text[:_RAW_CHAR_CAP]))
    return " ".join(text.split())[:limit]


def is_too_long(text: str) -> bool:
    """Whether the text, cleaned, is longer than any query worth matching."""
    return len(text) > _RAW_CHAR_CAP or len(clean(text, MAX_QUERY_CHARS + 1)) > MAX_QUERY_CHARS


def normalise(text: str) -> str:
    """Return the casefolded ASCII-folded form, words separated by single spaces."""
    text = clean(text).casefold().translate(_SPECIAL_LETTERS)
    if not text.isascii():
        text = "".join(
            ch for ch in unicodedata.normalize("NFKD", text) if unicodedata.category(ch) != "Mn"
        )
    for pattern, replacement in _ABBREVIATIONS:
        text = pattern.sub(replacement, text)
    tokens = _NON_ALNUM.sub(" ", text).split()
    return " ".join(_TOKEN_ALIASES.get(token, token) for token in tokens)[:MAX_QUERY_CHARS]


def spelling_key(normalised: str) -> str:
    """Return the form of a normalised string that forgives common misspellings."""
    for pattern, replacement in _SPELLING_RULES:
        normalised = pattern.sub(replacement, normalised)
    return normalised


def _keys(words: str) -> frozenset[str]:
    return frozenset(spelling_key(normalise(word)) for word in words.split())


_KIND_BY_WORD: dict[str, SchoolKind] = {
    **dict.fromkeys(_keys(_GRUNDSKOLA_WORDS), SchoolKind.GRUNDSKOLA),
    **dict.fromkeys(_keys(_GYMNASIUM_WORDS), SchoolKind.GYMNASIUM),
    **dict.fromkeys(_keys(_ANY_SCHOOL_WORDS), SchoolKind.ANY),
}
_FILLER_KEYS = _keys(_FILLER_WORDS)
# Words that qualify a name rather than make it ("Norra Ängby", "Skarpnäcks nya skola"): a
# query that leaves one out has still found most of the name.
_QUALIFIER_KEYS = _keys("norra sodra ostra vastra stora lilla gamla nya sankt")
QUALIFIER_WEIGHT = 0.5


def is_qualifier(token: str) -> bool:
    """Whether a core token only qualifies a name ("norra", "nya"), never makes one."""
    return token in _QUALIFIER_KEYS


# Compound endings, longest first so "gymnasieskolan" is not cut as "…skolan".
_SCHOOL_SUFFIXES: tuple[tuple[str, SchoolKind], ...] = tuple(
    sorted(
        (
            (spelling_key(suffix), kind)
            for suffix, kind in (
                ("gymnasieskolan", SchoolKind.GYMNASIUM),
                ("gymnasiet", SchoolKind.GYMNASIUM),
                ("gymnasium", SchoolKind.GYMNASIUM),
                ("skolan", SchoolKind.GRUNDSKOLA),
                ("skola", SchoolKind.GRUNDSKOLA),
            )
        ),
        key=lambda pair: -len(pair[0]),
    )
)
# A stem shorter than this is not a name ("gy|mnasiet"); a token shorter than this keeps its
# final s ("hus", "aso").
_MIN_STEM = 3
_MIN_GENITIVE_TOKEN = 5
# A school word typed with one slip (a letter missing, extra, swapped or wrong: "gymnsium",
# "skloan") still says "school". A four-letter slip ("kola", "skoa") only counts as the last
# of several words, where Swedish puts "skola": alone, "sola" or "kola" is too often a word.
_SLIPS = 1
_MIN_FUZZY_SCHOOL_WORD = 5
_MIN_FUZZY_LAST_WORD = 4
_FUZZY_SCHOOL_WORDS = tuple(word for word in _KIND_BY_WORD if len(word) >= _MIN_FUZZY_SCHOOL_WORD)
# A misspelt suffix needs a longer stem than an exact one before we believe it is a suffix.
_MIN_FUZZY_STEM = 4


@dataclass(frozen=True)
class Core:
    """The distinctive words of a name or query and the kind of school its words named."""

    tokens: tuple[str, ...]
    school_kind: SchoolKind | None
    # Words that carried a school suffix ("eriksdal" from "Eriksdalsskolan"): the user said
    # which school, so a school without that word is not the one meant.
    school_stems: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return " ".join(self.tokens)

    @property
    def weights(self) -> tuple[float, ...]:
        """How much each word counts when measuring coverage: its length, qualifiers less."""
        return tuple(
            len(token) * (QUALIFIER_WEIGHT if token in _QUALIFIER_KEYS else 1.0)
            for token in self.tokens
        )


def core(key: str) -> Core:
    """Return the distinctive words of a spelling key (see the module docstring)."""
    tokens: list[str] = []
    stems: list[str] = []
    kind: SchoolKind | None = None
    words = key.split()
    for position, token in enumerate(words):
        if token in _FILLER_KEYS:
            continue
        last = 0 < position == len(words) - 1
        word_kind = _school_word(token, _MIN_FUZZY_LAST_WORD if last else _MIN_FUZZY_SCHOOL_WORD)
        if word_kind is not None:
            kind = _stronger(kind, word_kind)
            continue
        split = _split_school_suffix(token)
        if split is not None:
            token, suffix_kind = split
            kind = _stronger(kind, suffix_kind)
            stems.append(_without_genitive(token))
        tokens.append(_without_genitive(token))
    return Core(tuple(tokens), kind, tuple(stems))


def _school_word(token: str, min_fuzzy: int) -> SchoolKind | None:
    kind = _KIND_BY_WORD.get(token)
    if kind is not None or len(token) < min_fuzzy:
        return kind
    slip = process.extractOne(
        token, _FUZZY_SCHOOL_WORDS, scorer=OSA.distance, processor=None, score_cutoff=_SLIPS
    )
    return _KIND_BY_WORD[slip[0]] if slip is not None else None


def _split_school_suffix(token: str) -> tuple[str, SchoolKind] | None:
    """Return (stem, kind) when the token ends in a school suffix, exactly or with one slip."""
    for suffix, kind in _SCHOOL_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= _MIN_STEM:
            return token[: -len(suffix)], kind
    # Among equally close tails prefer one that starts like the suffix: "alviksolan" is
    # "alvik" + "solan", not "alvi" + "ksolan".
    best: tuple[int, bool, int, SchoolKind] | None = None
    for suffix, kind in _SCHOOL_SUFFIXES:
        for tail in (len(suffix), len(suffix) - _SLIPS, len(suffix) + _SLIPS):
            if len(token) - tail < _MIN_FUZZY_STEM:
                continue
            slips = OSA.distance(token[-tail:], suffix, score_cutoff=_SLIPS)
            if slips <= _SLIPS:
                candidate = (slips, token[-tail] != suffix[0], tail, kind)
                if best is None or candidate[:2] < best[:2]:
                    best = candidate
    if best is None:
        return None
    return token[: -best[2]], best[3]


def _without_genitive(token: str) -> str:
    if len(token) >= _MIN_GENITIVE_TOKEN and token.endswith("s"):
        return token[:-1]
    return token


def _stronger(current: SchoolKind | None, new: SchoolKind) -> SchoolKind:
    """Keep the most specific kind: "Spånga gymnasium skola" is still a gymnasium."""
    if current is None or current is SchoolKind.ANY:
        return new
    if new is SchoolKind.GYMNASIUM:
        return new
    return current
