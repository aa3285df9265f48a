"""Translations through Babel catalogs, and dates through Babel's locale data.

Message ids are the Swedish texts (Swedish is the default language); the English catalog lives in
`knowledge/locales/en/LC_MESSAGES/*.po`. Several .po files per language are merged, one per
feature, so features can be translated independently. Catalogs are compiled in memory at start-up:
no build step, and a catalog that does not compile stops the start.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES_DIR = Path(__file__).resolve().parent.parent / "knowledge" / "locales"
LANGUAGES = ("sv", "en")
SOURCE_LANGUAGE = "sv"
BABEL_LOCALES = {"sv": "sv_SE", "en": "en_GB"}


def N_(message: str) -> str:
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message


def compile_catalogs(language: str, locales_dir: Path = LOCALES_DIR) -> NullTranslations:
    """Compile every .po file of `language` into one in-memory translation table."""
    if language == SOURCE_LANGUAGE:
        return NullTranslations()
    files = sorted((locales_dir / language / "LC_MESSAGES").glob("*.po"))
    merged: Translations | None = None
    for po_file in files:
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language, abort_invalid=True)
        buffer = BytesIO()
        write_mo(buffer, catalog)
        buffer.seek(0)
        translations = Translations(buffer)
        merged = translations if merged is None else merged.merge(translations)
    return merged if merged is not None else NullTranslations()


@dataclass(frozen=True)
class Translator:
    """The texts and date formats of one language; handlers get one per update."""

    language: str
    translations: NullTranslations

    def _(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def date(self, value: date, pattern: str = "long") -> str:
        # "long" is "12 november 2026" in Swedish and "12 November 2026" in British English.
        return format_date(value, format=pattern, locale=BABEL_LOCALES[self.language])


@cache
def translator(language: str) -> Translator:
    """The translator for a supported language; unknown languages get Swedish."""
    if language not in LANGUAGES:
        language = SOURCE_LANGUAGE
    return Translator(language, compile_catalogs(language))


def pick_language(chosen: str | None, telegram_code: str | None, default: str) -> str:
    """The user's own choice first, then Telegram's app language, then the configured default."""
    if chosen in LANGUAGES:
        return chosen
    if telegram_code:
        base = telegram_code.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return default if default in LANGUAGES else SOURCE_LANGUAGE
