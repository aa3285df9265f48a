"""`kontaktlotsen poster`: an A4 poster per school with the QR code of its deep link.

    kontaktlotsen poster Eriksdalsskolan                 # affisch-eriksdalsskolan.pdf here
    kontaktlotsen poster "Södra Latin" --format png --lang en --out affisch.png
    kontaktlotsen poster --all --out affischer/          # one PDF per school, for printing

The school is found with the same lookup as in the bot (a name, with typos); several
candidates are listed and nothing is written. The link needs the bot's username: with a token
the bot asks Telegram (`getMe`), else TELEGRAM_BOT_USERNAME.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import Settings
from bot.i18n import translator
from bot.models import School
from bot.runtime import Services
from bot.services.deeplinks import pick_username
from bot.services.lookup import EntryKind, Outcome
from bot.services.poster import facts_for_school, file_name, render


def add_parser(commands: Any) -> None:
    """Register `poster` on the CLI's sub-command parsers."""
    poster = commands.add_parser("poster", help="A4-affisch med QR-kod till skolans länk")
    poster.add_argument("school", nargs="*", help="skolans namn (som i boten)")
    poster.add_argument("--all", action="store_true", help="en affisch per skola (kräver --out)")
    poster.add_argument("--format", choices=["pdf", "png"], default="pdf", help="standard: pdf")
    poster.add_argument("--lang", choices=["sv", "en"], default="sv", help="standard: sv")
    poster.add_argument("--out", type=Path, help="fil eller mapp (standard: här)")


async def bot_username(settings: Settings) -> str | None:
    """`getMe` when a token is set (falls back to the setting if Telegram cannot be reached)."""
    from telegram import Bot  # only here: the other commands need no Telegram library
    from telegram.error import TelegramError

    from_get_me = None
    if settings.has_token and settings.telegram_bot_token is not None:
        token = settings.telegram_bot_token.get_secret_value()
        try:
            async with Bot(token, base_url=settings.telegram_api_base_url) as bot:
                from_get_me = bot.username
        except TelegramError:
            print("Kunde inte fråga Telegram om botens namn (getMe).", file=sys.stderr)
    return pick_username(
        from_get_me, settings.telegram_bot_username, has_token=from_get_me is not None
    )


async def run(services: Services, args: argparse.Namespace) -> int:
    if args.all == bool(args.school) or (args.all and args.out is None):
        print("Ange en skola, eller --all tillsammans med --out MAPP.", file=sys.stderr)
        return 2
    username = await bot_username(services.settings)
    if username is None:
        print(
            "Länken behöver botens användarnamn: ange TELEGRAM_BOT_USERNAME i .env "
            "(eller TELEGRAM_BOT_TOKEN).",
            file=sys.stderr,
        )
        return 2
    ids = await _all_ids(services) if args.all else await _one_id(services, " ".join(args.school))
    if ids is None:
        return 2
    tr = translator(args.lang)
    written = []
    for school_id in ids:
        async with services.database.transaction() as session:
            facts = await facts_for_school(
                session, services.cards, school_id, username, services.today()
            )
        assert facts is not None  # the ids were just read
        data = await asyncio.to_thread(render, facts, tr, args.format)
        target = _target(args.out, file_name(facts.school, args.format), many=args.all)
        await asyncio.to_thread(target.write_bytes, data)
        written.append(target)
    print(f"{len(written)} affisch(er): {written[0] if len(written) == 1 else args.out}")
    return 0


def _target(out: Path | None, name: str, *, many: bool) -> Path:
    if out is None:
        return Path(name)
    if many or out.is_dir():
        out.mkdir(parents=True, exist_ok=True)
        return out / name
    return out


async def _all_ids(services: Services) -> list[int]:
    async with services.database.transaction() as session:
        return list(await session.scalars(select(School.id).order_by(School.name, School.id)))


async def _one_id(services: Services, query: str) -> list[int] | None:
    async with services.database.transaction() as session:
        answer = await services.index.answer(session, query, services.today())
    result = answer.result
    schools = [m.entry for m in result.matches if m.entry.kind is EntryKind.SCHOOL]
    if result.outcome is Outcome.CONFIDENT and answer.card and answer.card.school:
        return [answer.card.school.id]
    if schools:
        print("Vilken skola? Skriv namnet tydligare:", file=sys.stderr)
        for entry in schools:
            print(f"  {entry.name}", file=sys.stderr)
    else:
        print(f"Ingen skola hittades för {query!r}.", file=sys.stderr)
    return None
