"""Find user-facing strings that a catalog does not translate: `python -m bot.i18n_check`.

The tests call `missing_translations()`; run as a module it prints the missing entries as .po
stanzas to paste into the feature's catalog under `knowledge/locales/<lang>/LC_MESSAGES/`.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LANGUAGES, LOCALES_DIR, SOURCE_LANGUAGE

ROOT = Path(__file__).resolve().parent.parent
SOURCE_DIRS = ("app", "bot", "handlers", "knowledge")
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}


@dataclass(frozen=True)
class SourceMessage:
    msgid: str | tuple[str, str]
    location: str


def source_messages() -> list[SourceMessage]:
    """Every string passed to `_()` or `ngettext()` in the code."""
    found: dict[str | tuple[str, str], str] = {}
    for directory in SOURCE_DIRS:
        for filename, lineno, message, _comments, _context in extract_from_dir(
            ROOT / directory, method_map=[("**.py", "python")], keywords=KEYWORDS
        ):
            key = message if isinstance(message, str) else (message[0], message[1])
            found.setdefault(key, f"{directory}/{filename}:{lineno}")
    return [SourceMessage(k, v) for k, v in found.items()]


def catalog_entries(language: str) -> dict[str | tuple[str, str], tuple[object, bool]]:
    """msgid → (msgstr, fuzzy) over all .po files of a language."""
    entries: dict[str | tuple[str, str], tuple[object, bool]] = {}
    for po_file in sorted((LOCALES_DIR / language / "LC_MESSAGES").glob("*.po")):
        with po_file.open("rb") as handle:
            catalog = read_po(handle, locale=language, abort_invalid=True)
        for message in catalog:
            if message.id:
                key = message.id if isinstance(message.id, str) else tuple(message.id)[:2]
                entries[key] = (message.string, message.fuzzy)  # type: ignore[index]
    return entries


def missing_translations(language: str) -> list[SourceMessage]:
    entries = catalog_entries(language)

    def translated(value: object) -> bool:
        if isinstance(value, str):
            return bool(value.strip())
        return isinstance(value, tuple | list) and all(str(v).strip() for v in value)

    return [
        message
        for message in source_messages()
        if message.msgid not in entries
        or entries[message.msgid][1]
        or not translated(entries[message.msgid][0])
    ]


def _po_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def main() -> int:
    missing_any = False
    for language in LANGUAGES:
        if language == SOURCE_LANGUAGE:
            continue
        for message in missing_translations(language):
            missing_any = True
            print(f"#: {message.location}  ({language})")
            if isinstance(message.msgid, tuple):
                print(f"msgid {_po_string(message.msgid[0])}")
                print(f"msgid_plural {_po_string(message.msgid[1])}")
                print('msgstr[0] ""\nmsgstr[1] ""\n')
            else:
                print(f'msgid {_po_string(message.msgid)}\nmsgstr ""\n')
    return 1 if missing_any else 0


if __name__ == "__main__":
    sys.exit(main())
