"""Every user-facing string has an English translation, and every catalog compiles cleanly."""

from __future__ import annotations

from datetime import date
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import PoFileError, read_po

from bot.i18n import LOCALES_DIR, compile_catalogs, pick_language, translator
from bot.i18n_check import missing_translations, source_messages

PO_FILES = sorted(LOCALES_DIR.glob("*/LC_MESSAGES/*.po"))


def test_the_code_has_translatable_strings() -> None:
    # Guards the check below: an extractor that found nothing would make it pass vacuously.
    assert len(source_messages()) > 40


def test_every_string_has_an_english_translation() -> None:
    missing = missing_translations("en")
    assert not missing, "untranslated: " + "; ".join(f"{m.location} {m.msgid!r}" for m in missing)


@pytest.mark.parametrize("po_file", PO_FILES, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_catalog_compiles_without_errors_or_fuzzy_entries(po_file: Path) -> None:
    with po_file.open("rb") as handle:
        catalog = read_po(handle)
    assert not catalog.fuzzy, "the header is marked fuzzy, so the catalog's metadata is ignored"
    fuzzy = [m.id for m in catalog if m.id and m.fuzzy]
    assert not fuzzy
    problems = [(m.id, errors) for m, errors in catalog.check() if errors]
    assert not problems  # e.g. a {placeholder} missing from the translation
    write_mo(BytesIO(), catalog)


def test_placeholders_survive_translation() -> None:
    en = translator("en")
    assert en._("Telefon: {phone}").format(phone="08-1") == "Phone: 08-1"


def test_dates_are_formatted_by_babel_per_language() -> None:
    assert translator("sv").date(date(2026, 12, 1)) == "1 december 2026"
    assert translator("en").date(date(2026, 12, 1)) == "1 December 2026"


@pytest.mark.parametrize(
    ("chosen", "telegram", "default", "expected"),
    [
        ("en", "sv", "sv", "en"),
        (None, "en-US", "sv", "en"),
        (None, "de", "sv", "sv"),
        (None, None, "en", "en"),
        ("xx", "sv-SE", "en", "sv"),
    ],
)
def test_language_resolution_order(
    chosen: str | None, telegram: str | None, default: str, expected: str
) -> None:
    assert pick_language(chosen, telegram, default) == expected


def test_a_broken_catalog_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "en" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / "broken.po").write_text('msgid "a"\nmsgstr "b"\nnot a po line\n', encoding="utf-8")
    with pytest.raises(PoFileError):
        compile_catalogs("en", tmp_path)
