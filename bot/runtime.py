"""The services one running bot shares between its handlers, jobs and the CLI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.clock import SYSTEM_CLOCK, Clock
from bot.config import Settings
from bot.db import Database
from bot.services import revisions
from bot.services.contact_cards import ContactCards
from bot.services.contacts import ContactDirectory
from bot.services.directory_admin import (
    is_directory_empty,
    seed_example_directory,
    sync_geography,
)
from bot.services.directory_index import DirectoryIndex
from bot.services.home import shipped_home_finder
from bot.services.usage import UsageBuffer
from bot.services.users import LanguageCache
from knowledge.directory import Geography, shipped_geography

if TYPE_CHECKING:
    from knowledge.guide import Guide

log = logging.getLogger(__name__)


def shipped_guide() -> Guide:
    """The shipped guide; its loader (YAML, checks) is imported when the guide is first used."""
    from knowledge.guide import shipped_guide as load

    return load()


@dataclass
class Services:
    """Built once by the composition root (or a test, with its own clock or guide)."""

    settings: Settings
    clock: Clock
    database: Database
    geography: Geography
    # Reads the database each time: where an admin is about to change a contact.
    contacts: ContactDirectory
    # The same answers from memory: every card a lookup, a link or a button shows.
    cards: ContactCards
    index: DirectoryIndex
    load_guide: Callable[[], Guide]
    languages: LanguageCache
    usage: UsageBuffer
    _guide: Guide | None = field(default=None, init=False, repr=False)

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        clock: Clock = SYSTEM_CLOCK,
        load_guide: Callable[[], Guide] = shipped_guide,
    ) -> Services:
        """Wire the services; no I/O happens until `start()`."""
        geography = shipped_geography()
        card_facts = (geography.emergency_number, settings.stale_after_days, settings.timezone)
        database = Database(settings.database_url, clock)
        revisions.watch(database)  # writes to the directory or contacts bump their revision
        cards = ContactCards(*card_facts)
        index = DirectoryIndex(geography, cards, shipped_home_finder())
        languages = LanguageCache()
        database.listeners += [cards.heard, index.heard, languages.heard]
        return cls(
            settings=settings,
            clock=clock,
            database=database,
            geography=geography,
            contacts=ContactDirectory(*card_facts),
            cards=cards,
            index=index,
            load_guide=load_guide,
            languages=languages,
            usage=UsageBuffer(database.notify),
        )

    @property
    def guide(self) -> Guide:
        """The concern-report guide, loaded and checked on first use (a lookup never needs it)."""
        if self._guide is None:
            self._guide = self.load_guide()
        return self._guide

    async def start(self, *, bot: bool = True) -> None:
        """Check the guide, migrate, sync the geography, seed an empty directory, index it.

        `bot=False` (a command-line command) skips checking the guide, which only the running
        bot needs up front. The maps for pins and postcodes load with the first pin or postcode
        (about 20 MB and a quarter of a second that most processes never need).
        """
        if bot:
            _ = self.guide  # a broken guide YAML stops the start (KnowledgeError: file, line)
        await self.database.migrate()
        async with self.database.transaction() as session:
            await sync_geography(session, self.geography)
            if self.settings.seed_example_data and await is_directory_empty(session):
                await seed_example_directory(session, self.geography)
        async with self.database.transaction() as session:
            await self.index.rebuild(session)
            await self.cards.rebuild(session)

    async def refresh(self) -> None:
        """Rebuild the index and the cards if another process changed what they hold."""
        async with self.database.transaction() as session:
            now = await revisions.current(session)
            await self.index.refresh_if_changed(session, now.directory)
            await self.cards.refresh_if_changed(session, now)

    async def flush_usage(self) -> None:
        """Write the buffered follow-up counts; on failure they wait for the next flush."""
        try:
            await self.usage.flush(self.database)
        except Exception:
            log.warning("The usage counts could not be written; kept for the next try")

    async def stop(self) -> None:
        await self.flush_usage()
        await self.database.dispose()

    def now(self) -> datetime:
        """Now where the users are (Europe/Stockholm by default)."""
        return self.clock.now().astimezone(ZoneInfo(self.settings.timezone))

    def today(self) -> date:
        return self.now().date()

    def is_office_hours(self, moment: datetime | None = None) -> bool:
        moment = moment or self.now()
        if moment.weekday() >= 5:
            return False
        return self.settings.office_hours_start <= moment.time() < self.settings.office_hours_end
