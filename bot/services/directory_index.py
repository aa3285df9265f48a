"""The in-memory lookup index over the directory, rebuilt when an import changes it.

Queries are matched in memory and never stored (privacy): only the index is built from the
database, and only from directory rows.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, Neighbourhood, School, SchoolStatus
from bot.services import revisions
from bot.services.contact_cards import ContactCards
from bot.services.contacts import ContactCard, IntakeCard
from bot.services.home import HomeFinder, HomeLookup
from bot.services.lookup import EntryKind, IndexEntry, LookupIndex, LookupResult, Match, Outcome
from bot.services.school_chains import shipped_school_chains
from bot.services.scopes import ScopeSearch, scope_candidates
from knowledge.directory import Geography

log = logging.getLogger(__name__)

OPEN = SchoolStatus.OPEN.value
PLACE_KINDS = frozenset({EntryKind.AREA, EntryKind.NEIGHBOURHOOD, EntryKind.MUNICIPALITY})


async def directory_entries(session: AsyncSession, geography: Geography) -> list[IndexEntry]:
    """Every name a user may type: schools, stadsdelar, areas and other municipalities."""
    chains = shipped_school_chains()
    entries = [
        IndexEntry(EntryKind.AREA, area.id, area.name, area.id, tuple(area.aliases))
        for area in await session.scalars(select(Area))
    ]
    entries += [
        IndexEntry(EntryKind.NEIGHBOURHOOD, hood.name, hood.name, hood.area_id)
        for hood in await session.scalars(select(Neighbourhood))
    ]
    entries += [
        IndexEntry(
            EntryKind.SCHOOL,
            str(school.id),
            school.name,
            school.area_id,
            (*school.aliases, *chains.aliases(school.name)),  # "IES Enskede"
        )
        # A closed school (gone from Skolverket's register) keeps its history but is not offered.
        for school in await session.scalars(select(School).where(School.status == OPEN))
    ]
    entries += [
        IndexEntry(EntryKind.MUNICIPALITY, m.code, m.name, None)
        for m in geography.other_municipalities
    ]
    return entries


@dataclass(frozen=True)
class LookupAnswer:
    """A lookup's result and, when it pointed at one place, that place's contact card."""

    result: LookupResult
    card: ContactCard | None = None
    intake: IntakeCard | None = None
    # Set when the answer came from a map pin or a postcode (`bot.services.home`).
    home: HomeLookup | None = None

    @property
    def outside_municipality(self) -> str | None:
        if self.result.outcome is Outcome.OUTSIDE and self.result.matches:
            return self.result.matches[0].entry.name
        return None


class DirectoryIndex:
    """Holds the two indexes (everything, and places only) and the revision they were built at."""

    def __init__(
        self, geography: Geography, contacts: ContactCards, home: HomeFinder | None = None
    ) -> None:
        self.geography = geography
        self.contacts = contacts
        self.home = home
        self.revision = -1
        self._out_of_date = False
        self.everything = LookupIndex.build([])
        self.schools: tuple[IndexEntry, ...] = ()
        self.places = LookupIndex.build([])

    async def rebuild(self, session: AsyncSession) -> None:
        self._out_of_date = False  # a change committed from now on marks it again
        revision = (await revisions.current(session)).directory
        entries = await directory_entries(session, self.geography)
        self.everything = LookupIndex.build(entries)
        self.schools = tuple(e for e in entries if e.kind is EntryKind.SCHOOL)
        self.places = self.everything.only(PLACE_KINDS)
        self.revision = revision
        log.info("Lookup index built: %d names, revision %d", len(entries), self.revision)

    async def refresh_if_changed(self, session: AsyncSession, revision: int | None = None) -> bool:
        """Rebuild when the directory's revision moved (`revision`: as just read, if known)."""
        if revision is None:
            revision = (await revisions.current(session)).directory
        if revision == self.revision and not self._out_of_date:
            return False
        await self.rebuild(session)
        return True

    def heard(self, fact: object) -> None:
        """A database listener: a commit in this process changed schools or areas."""
        if isinstance(fact, revisions.Changed) and revisions.DIRECTORY in fact.counters:
            self._out_of_date = True

    async def _up_to_date(self, session: AsyncSession) -> None:
        if self._out_of_date:
            await self.rebuild(session)

    async def card_for(self, session: AsyncSession, match: Match, on: date) -> ContactCard | None:
        entry = match.entry
        if entry.kind is EntryKind.SCHOOL:
            return await self.contacts.card_for_school(session, int(entry.ref), on)
        if entry.area_id is not None:
            return await self.contacts.card_for_area(session, entry.area_id, on)
        return None

    def find_scope(self, query: str) -> ScopeSearch:
        """The school or area a typed name means, for following, history and the wizards.

        Only a confident match is chosen; otherwise the schools and areas found are candidates
        to offer as buttons. No card is built: the caller acts on the scope, not its contacts.
        """
        result = self.everything.search(query)
        candidates = scope_candidates(result.matches)
        sure = result.outcome is Outcome.CONFIDENT and bool(candidates)
        return ScopeSearch(
            chosen=candidates[0] if sure else None,
            candidates=candidates,
            outside=result.outcome is Outcome.OUTSIDE,
        )

    async def answer(self, session: AsyncSession, query: str, on: date) -> LookupAnswer:
        """Find what the user means; resolve the card when the match is confident."""
        await self._up_to_date(session)
        result = self.everything.search(query)
        chain = shipped_school_chains().members_for(query, result, self.schools)
        if chain is not None:  # "IES", "Vittra": which of the chain's schools?
            return LookupAnswer(chain)
        if result.outcome is Outcome.CONFIDENT:
            return LookupAnswer(result, card=await self.card_for(session, result.matches[0], on))
        return LookupAnswer(result)

    async def child_home(self, session: AsyncSession, query: str, on: date) -> LookupAnswer:
        """Where the child is registered: a stadsdel, an area, a postcode, another municipality."""
        home = self.home.by_postcode(query) if self.home is not None else None
        if home is not None:
            return await self.home_answer(session, home, on)
        await self._up_to_date(session)
        result = self.places.search(query)
        best = result.matches[0].entry if result.matches else None
        if result.outcome is Outcome.CONFIDENT and best is not None and best.area_id:
            return LookupAnswer(
                result, intake=await self.contacts.intake_for_area(session, best.area_id, on)
            )
        return LookupAnswer(result)

    async def home_answer(self, session: AsyncSession, home: HomeLookup, on: date) -> LookupAnswer:
        """A pin's or postcode's answer with the intake unit of the area, when it settled one."""
        result, intake = home.result, None
        if result.outcome is Outcome.CONFIDENT and result.matches[0].entry.area_id:
            area_id = result.matches[0].entry.area_id
            intake = await self.contacts.intake_for_area(session, area_id, on)
        return LookupAnswer(result, intake=intake, home=home)
