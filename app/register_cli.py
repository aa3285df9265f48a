"""`kontaktlotsen import-register` and `kontaktlotsen check-directory`.

    kontaktlotsen import-register                      # Stockholm (0180), live over HTTPS
    kontaktlotsen import-register --municipality 0180 --save units.json
    kontaktlotsen import-register --file units.json    # a saved response, offline
    kontaktlotsen check-directory [SCHOOLS.csv ...]    # stated area vs. where the school stands

The import reads Skolverket's school-unit register (`bot.services.register_client`), applies it
all or nothing (`bot.services.register_import`) and prints a report: new, changed, closed and
the units it could not place in an area.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from knowledge.directory import HOME_MUNICIPALITY
from knowledge.errors import KnowledgeError

if TYPE_CHECKING:  # httpx and the register modules load when a register command runs
    import httpx

    from bot.runtime import Services
    from bot.services.register_format import RegisterUnit
    from bot.services.register_import import RegisterReport

LISTED = 25  # names shown per section of the report; the rest are counted
BAR = 30


def add_parsers(commands: Any) -> None:
    """Register `import-register` and `check-directory` on the CLI's sub-command parsers."""
    register = commands.add_parser(
        "import-register", help="importera skolenheter från Skolverkets skolenhetsregister"
    )
    register.add_argument("--municipality", default=HOME_MUNICIPALITY, help="kommunkod (0180)")
    register.add_argument("--file", type=Path, help="ett sparat svar (JSON) i stället för nätet")
    register.add_argument("--save", type=Path, help="spara det hämtade svaret som JSON")
    register.add_argument("--concurrency", type=int, help="samtidiga anrop (standard: 4)")
    check = commands.add_parser(
        "check-directory", help="skolor vars område inte stämmer med var de ligger"
    )
    check.add_argument("files", nargs="*", type=Path, help="skolfiler (CSV); utan: databasen")


class ProgressBar:
    """A one-line bar on stderr, redrawn in place."""

    def __init__(self) -> None:
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        filled = BAR * done // max(total, 1)
        bar = "#" * filled + "-" * (BAR - filled)
        print(f"\rHämtar skolenheter [{bar}] {done}/{total}", end="", file=sys.stderr)
        self.shown = True
        if done == total:
            print(file=sys.stderr)


async def read_units(
    args: argparse.Namespace, *, transport: httpx.AsyncBaseTransport | None = None
) -> tuple[list[RegisterUnit], bool]:
    """The units and whether they are the whole municipality (a live list always is)."""
    from bot.services.register_client import CONCURRENCY, fetch_units, register_client
    from bot.services.register_format import parse_saved, parse_units

    if args.file is not None:
        try:
            raw = await asyncio.to_thread(args.file.read_bytes)
        except OSError as error:
            raise KnowledgeError.single(
                str(args.file), f"kan inte läsas: {error.strerror}"
            ) from None
        return parse_saved(str(args.file), raw)
    async with register_client(transport=transport) as client:
        responses = await fetch_units(
            client,
            args.municipality,
            concurrency=args.concurrency or CONCURRENCY,
            progress=ProgressBar(),
        )
    if args.save is not None:
        import json

        text = json.dumps(responses, ensure_ascii=False, indent=1)
        await asyncio.to_thread(args.save.write_text, text, encoding="utf-8")
    return parse_units(responses, "Skolenhetsregistret"), True


async def import_register(
    services: Services,
    args: argparse.Namespace,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> int:
    from bot.services.register_client import RegisterUnavailable
    from bot.services.register_import import RegisterImport

    try:
        units, complete = await read_units(args, transport=transport)
    except RegisterUnavailable as error:
        print(f"Kunde inte läsa skolenhetsregistret – inget har ändrats: {error}", file=sys.stderr)
        return 1
    index = services.index
    assert index.home is not None  # Services.create always gives the index its HomeFinder
    async with services.database.transaction() as session:
        report = await RegisterImport(session, index.home, services.geography).apply(
            units, complete=complete, now=services.clock.now()
        )
    print_report(report, args.municipality if args.file is None else None)
    return 0


def _section(title: str, names: Sequence[str]) -> None:
    if not names:
        return
    print(f"{title}:")
    for name in names[:LISTED]:
        print(f"  - {name}")
    if len(names) > LISTED:
        print(f"  … och {len(names) - LISTED} till")


def print_report(report: RegisterReport, municipality: str | None) -> None:
    where = f", kommun {municipality}" if municipality else ""
    print(f"Skolenhetsregistret{where}: {report.read} skolenheter lästa.")
    print(
        f"Nya: {len(report.new)} · ändrade: {len(report.changed)} · "
        f"stängda: {len(report.closed)} · oförändrade: {report.unchanged} · "
        f"kunde inte placeras: {len(report.unplaced)} · hoppade över: {report.skipped}"
    )
    _section("Nya", report.new)
    _section("Ändrade", report.changed)
    _section("Stängda (finns kvar i historiken; följare får besked)", report.closed)
    _section("Kunde inte placeras i ett stadsdelsområde (inte importerade)", report.unplaced)
    if report.notified:
        print(f"Besked om stängda skolor köade till {report.notified} följare.")


async def check_directory(services: Services, files: list[Path]) -> int:
    """Print every school whose stated area (or stadsdel) is not where its coordinates lie."""
    from bot.services.csv_formats import FileKind, read_file

    index = services.index
    assert index.home is not None
    city = index.home.city_map
    rows: list[tuple[str, str, str | None, float, float]] = []
    if files:
        for path in files:
            parsed = read_file(path, services.geography.area_ids)
            if parsed.kind is not FileKind.SCHOOLS:
                raise KnowledgeError.single(str(path), "ingen skolfil")
            rows += [
                (s.name, s.area_id, s.stadsdel, s.lat, s.lon)
                for s in parsed.schools
                if s.lat is not None and s.lon is not None
            ]
    else:
        from sqlalchemy import select

        from bot.models import School

        async with services.database.transaction() as session:
            schools = await session.scalars(select(School).where(School.lat.is_not(None)))
            rows = [(s.name, s.area_id, s.stadsdel, s.lat or 0.0, s.lon or 0.0) for s in schools]
    wrong = 0
    for name, area_id, stadsdel, lat, lon in rows:
        placed = city.locate(lat, lon)
        if placed is None:
            print(f"{name}: {area_id} enligt uppgift, men platsen ligger utanför Stockholms stad")
        elif placed.area_id != area_id or (stadsdel and stadsdel != placed.stadsdel):
            print(
                f"{name}: {area_id}/{stadsdel or '–'} enligt uppgift, "
                f"men ligger i {placed.area_id}/{placed.stadsdel}"
            )
        else:
            continue
        wrong += 1
    print(f"{len(rows)} skolor med koordinater kontrollerade; {wrong} stämmer inte.")
    return 1 if wrong else 0
