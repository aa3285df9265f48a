"""The services one running bot shares between its handlers, jobs and the CLI."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.clock import SYSTEM_CLOCK, Clock
from bot.config import Settings
from bot.db import Database
from bot.services.contacts import ContactDirectory
from bot.services.directory_admin import (
    is_directory_empty,
    seed_example_directory,
    sync_geography,
)
from bot.services.directory_index import DirectoryIndex
from bot.services.home import shipped_home_finder
from knowledge.directory import Geography, shipped_geography
from knowledge.guide import Guide, shipped_guide

log = logging.getLogger(__name__)


@dataclass
class Services:
    """Built once by the composition root (or a test, with its own clock or guide)."""

    settings: Settings
    clock: Clock
    database: Database
    geography: Geography
    contacts: ContactDirectory
    index: DirectoryIndex
    load_guide: Callable[[], Guide]
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
        contacts = ContactDirectory(
            geography.emergency_number, settings.stale_after_days, settings.timezone
        )
        return cls(
            settings=settings,
            clock=clock,
            database=Database(settings.database_url, clock),
            geography=geography,
            contacts=contacts,
            index=DirectoryIndex(geography, contacts, shipped_home_finder()),
            load_guide=load_guide,
        )

    @property
    def guide(self) -> Guide:
        """The concern-report guide, loaded and checked on first use (a lookup never needs it)."""
        if self._guide is None:
            self._guide = self.load_guide()
        return self._guide

    async def start(self) -> None:
        """Check the guide, migrate, sync the geography, seed an empty directory, index it."""
        _ = self.guide  # a broken guide YAML stops the start (KnowledgeError: file, line, field)
        await self.database.migrate()
        async with self.database.transaction() as session:
            await sync_geography(session, self.geography)
            if self.settings.seed_example_data and await is_directory_empty(session):
                await seed_example_directory(session, self.geography)
        async with self.database.transaction() as session:
            await self.index.rebuild(session)

    async def stop(self) -> None:
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
