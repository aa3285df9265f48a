"""The `kontaktlotsen` command: run the bot, chat in the terminal, look up, import, export."""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import sys
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, NoReturn

from pydantic import ValidationError

from app import poster_cli, register_cli, stats_cli
from app.startup import StartupFailed
from bot.clock import SYSTEM_CLOCK, Clock
from bot.config import Settings
from bot.runtime import Services
from bot.services.csv_formats import read_file
from bot.services.directory_admin import apply_import, export_contacts, export_schools
from bot.services.directory_index import LookupAnswer
from knowledge.errors import KnowledgeError

log = logging.getLogger("kontaktlotsen")


def configure_logging(level: str) -> None:
    from bot.log_privacy import install_log_privacy

    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # APScheduler logs every run of every job at INFO: noise that hides what matters.
    logging.getLogger("apscheduler").setLevel(max(logging.getLevelName(level), logging.WARNING))
    install_log_privacy()


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kontaktlotsen",
        description="Kontaktlotsen: vem i socialtjänsten ska skolan kontakta?",
    )
    commands = parser.add_subparsers(dest="command")
    run = commands.add_parser(
        "run", help="starta boten (Telegram med token, annars terminalchatt)"
    )
    run.add_argument("--webhook", action="store_true", help="ta emot uppdateringar via webhook")
    commands.add_parser("chat", help="boten i terminalen, utan token")
    commands.add_parser("migrate", help="uppdatera databasens schema")
    lookup = commands.add_parser("lookup", help="slå upp skolor/områden från kommandoraden")
    lookup.add_argument("--json", action="store_true", help="ett JSON-objekt per fråga och rad")
    lookup.add_argument(
        "--location",
        metavar="LAT,LON",
        help="en plats (WGS84), som en kartnål i Telegram: vilket område och vilken mottagning",
    )
    lookup.add_argument("query", nargs="*", help="frågan; '-' läser en fråga per rad från stdin")
    importer = commands.add_parser("import", help="importera skolor/kontakter (allt eller inget)")
    importer.add_argument("files", nargs="+", type=Path)
    exporter = commands.add_parser("export", help="exportera skolor eller kontakter som CSV")
    exporter.add_argument("what", choices=["schools", "contacts"])
    exporter.add_argument(
        "--excel", action="store_true", help="för Excel: UTF-8 med BOM och semikolon"
    )
    exporter.add_argument("-o", "--output", type=Path, help="fil (annars standard ut)")
    guide = commands.add_parser("guide", help="orosanmälan-guiden: kontrollera eller rita den")
    what = guide.add_mutually_exclusive_group(required=True)
    what.add_argument("--check", action="store_true", help="kontrollera guidens YAML-filer")
    what.add_argument("--mermaid", action="store_true", help="skriv guiden som Mermaid-diagram")
    guide.add_argument("--lang", choices=["sv", "en"], default="sv", help="diagrammets språk")
    guide.add_argument("--dir", type=Path, help="en annan mapp med guide-filer (för --check)")
    invite = commands.add_parser("invite", help="engångskod som gör någon till områdesadmin")
    invite.add_argument("--area", required=True, help="stadsdelsområdets id, t.ex. kungsholmen")
    invite.add_argument("--days", type=int, default=7, help="dagar koden gäller (1–30)")
    stats_cli.add_parser(commands)
    doctor = commands.add_parser("doctor", help="kontrollera inställningar, databas och token")
    doctor.add_argument("--lang", choices=["sv", "en"], help="språk (annars DEFAULT_LANGUAGE)")
    poster_cli.add_parser(commands)
    register_cli.add_parsers(commands)
    return parser


def main(argv: Sequence[str] | None = None, *, clock: Clock = SYSTEM_CLOCK) -> int:
    """The `kontaktlotsen` command; tests pass their own `clock`."""
    args = _parser().parse_args(argv)
    if args.command == "guide":  # needs neither settings nor the database
        return _guide(args)
    if args.command == "doctor":  # reports broken settings itself, one line per check
        from app.doctor import run_doctor

        return run_doctor(args.lang)
    try:
        settings = Settings()
    except ValidationError as error:
        print(f"Fel i inställningarna (.env eller miljön):\n{error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level)
    command = args.command or "run"
    try:
        if command == "run":
            return run_bot(settings, webhook=getattr(args, "webhook", False))
        if command == "chat":
            return _chat(settings)
        return asyncio.run(_offline(command, args, Services.create(settings, clock=clock)))
    except StartupFailed as error:  # already logged, one line per attempt
        print(f"Kunde inte starta: {error}", file=sys.stderr)
        return 1
    except KnowledgeError as error:
        print("Fel i datafil – inget har ändrats:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1


def _guide(args: argparse.Namespace) -> int:
    from bot.clock import utcnow
    from bot.services.guide_mermaid import to_mermaid
    from knowledge.guide import GUIDE_DIR, load_guide, shipped_guide

    try:
        if args.mermaid:
            sys.stdout.write(to_mermaid(shipped_guide(), args.lang))
            return 0
        guide = load_guide(args.dir or GUIDE_DIR)
    except KnowledgeError as error:
        print("Fel i guiden – rätta och kör igen:", file=sys.stderr)
        for problem in error.problems:
            print(f"  {problem}", file=sys.stderr)
        return 1
    print(f"Guiden är hel: {len(guide.nodes)} steg, {len(guide.topics)} punkter i checklistan.")
    today = utcnow().date().isoformat()
    for node in guide.nodes:
        if node.review_by is not None:
            due = "SKA GRANSKAS NU" if node.review_by <= today else "granskas senast"
            print(f"  {node.id}: {due} {node.review_by} ({node.origin.file})")
    return 0


def run_bot(settings: Settings, *, webhook: bool = False) -> int:
    if not settings.has_token and not webhook:
        print(
            "Ingen TELEGRAM_BOT_TOKEN i .env – startar terminalchatten i stället "
            "(samma bot, exempeldata, lokal SQLite).",
            file=sys.stderr,
        )
        return _chat(settings)
    from app.service import run

    return run(settings, webhook=webhook)


def _chat(settings: Settings) -> int:
    from app.terminal_chat import run_chat

    # The conversation shares the terminal with the log: only warnings and errors interrupt it,
    # unless LOG_LEVEL=DEBUG asks for everything.
    # The handlers are raised, not just the root logger: libraries with a level of their own
    # (bot.log_privacy keeps "telegram" at INFO) would otherwise still print their INFO lines.
    if settings.log_level != "DEBUG":
        root = logging.getLogger()
        root.setLevel(logging.WARNING)
        for handler in root.handlers:
            handler.setLevel(logging.WARNING)
    asyncio.run(run_chat(settings))
    return 0


async def _offline(command: str, args: argparse.Namespace, services: Services) -> int:
    try:
        await services.start(bot=False)
        if command == "migrate":
            print("Databasen är uppdaterad.")
            return 0
        if command == "lookup" and args.location:
            return await _lookup_location(services, args.location, as_json=args.json)
        if command == "lookup":
            return await _lookup(services, args.query, as_json=args.json)
        if command == "import":
            return await _import(services, args.files)
        if command == "export":
            return await _export(services, args.what, excel=args.excel, output=args.output)
        if command == "invite":
            return await invite_code(services, args.area, args.days)
        if command == "stats":
            return await stats_cli.run(services, args)
        if command == "poster":
            return await poster_cli.run(services, args)
        if command == "import-register":
            return await register_cli.import_register(services, args)
        if command == "check-directory":
            return await register_cli.check_directory(services, args.files)
        raise AssertionError(command)
    finally:
        await services.stop()


def _queries(arguments: list[str]) -> Iterator[str]:
    if arguments == ["-"]:
        for line in sys.stdin:
            if line.strip():
                yield line.rstrip("\n")
    else:
        yield " ".join(arguments)


def answer_as_dict(answer: LookupAnswer) -> dict[str, Any]:
    result = answer.result
    return {
        "query": result.query,
        "outcome": result.outcome.value,
        "matches": [
            {
                "kind": m.entry.kind.value,
                "name": m.entry.name,
                "area_id": m.entry.area_id,
                "score": round(m.score, 1),
            }
            for m in result.matches
        ],
        "contacts": asdict(answer.card) if answer.card else None,
        **({"intake": asdict(answer.intake) if answer.intake else None} if answer.home else {}),
    }


async def _lookup(services: Services, arguments: list[str], *, as_json: bool) -> int:
    if not arguments:
        print("Skriv en fråga, eller --location LAT,LON.", file=sys.stderr)
        return 2
    index = services.index
    for query in _queries(arguments):
        async with services.database.transaction() as session:
            if index.home is not None and index.home.by_postcode(query) is not None:
                answer = await index.child_home(session, query, services.today())
            else:
                answer = await index.answer(session, query, services.today())
        _print_answer(query, answer, as_json=as_json)
    return 0


async def _lookup_location(services: Services, location: str, *, as_json: bool) -> int:
    """A pin given as "59.3880,17.9290": its stadsdel, area and intake unit, or "outside"."""
    try:
        lat, lon = (float(part) for part in location.replace(" ", "").split(","))
    except ValueError:
        print("Ange platsen som LAT,LON, till exempel 59.3880,17.9290.", file=sys.stderr)
        return 2
    index = services.index
    assert index.home is not None  # Services.create always gives the index its HomeFinder
    async with services.database.transaction() as session:
        answer = await index.home_answer(
            session, index.home.by_location(lat, lon), services.today()
        )
    _print_answer("📍", answer, as_json=as_json)
    return 0


def _print_answer(query: str, answer: LookupAnswer, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(answer_as_dict(answer), ensure_ascii=False, default=str))
        return
    print(f"{query!r}: {answer.result.outcome.value}")
    for match in answer.result.matches:
        print(f"  {match.score:5.1f}  {match.entry.kind.value:13}  {match.entry.name}")
    if answer.card and answer.card.cooperation:
        print(f"  kontakt: {answer.card.cooperation.name}, {answer.card.cooperation.phone}")
    if answer.intake and answer.intake.intake:
        print(f"  mottagning: {answer.intake.intake.name}, {answer.intake.intake.phone}")


async def _import(services: Services, files: list[Path]) -> int:
    parsed = [read_file(path, services.geography.area_ids) for path in files]
    async with services.database.transaction() as session:
        summary = await apply_import(session, parsed)
    print(
        f"Import klar: {summary.schools_added} nya skolor, {summary.schools_updated} uppdaterade; "
        f"{summary.contacts_added} nya kontakter, {summary.contacts_replaced} ersatta, "
        f"{summary.contacts_confirmed} bekräftade."
    )
    return 0


async def _export(services: Services, what: str, *, excel: bool, output: Path | None) -> int:
    async with services.database.transaction() as session:
        if what == "schools":
            data = await export_schools(session, excel=excel)
        else:
            timezone = services.settings.timezone
            data = await export_contacts(session, timezone=timezone, excel=excel)
    if output is None:
        sys.stdout.buffer.write(data)
    else:
        await asyncio.to_thread(output.write_bytes, data)
    return 0


async def invite_code(services: Services, area_id: str, days: int) -> int:
    """Print a one-time code that makes its redeemer an area admin; only its hash is stored."""
    from bot.services.authz import Actor
    from bot.services.errors import UnknownTarget
    from bot.services.invites import MAX_DAYS, create_invite

    if area_id not in services.geography.area_ids or not 1 <= days <= MAX_DAYS:
        known = ", ".join(sorted(services.geography.area_ids))
        print(f"Okänt område eller antal dagar (1–{MAX_DAYS}). Områden: {known}", file=sys.stderr)
        return 2
    try:
        async with services.database.transaction() as session:
            created = await create_invite(
                session, Actor.cli(), area_id, days, services.clock.now()
            )
    except UnknownTarget:
        print(f"Området {area_id} finns inte i databasen.", file=sys.stderr)
        return 2
    print(f"Kod: {created.code}")
    print(f"Gäller till {created.expires_at:%Y-%m-%d %H:%M} UTC.")
    print(f"Lös in den i boten med /kod {created.code}")
    return 0


def run() -> NoReturn:
    """The installed `kontaktlotsen` command: `main`, then exit without a last collection."""
    code = main()
    # At exit CPython collects garbage once more and walks every object the imports made: about
    # 80 ms of a 0.5 s lookup. The database is closed and the output written by now, so nothing
    # that pass could free matters; frozen objects are left out of it (the OS frees them all).
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
