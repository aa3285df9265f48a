"""The services one running bot shares between its handlers, jobs and the CLI."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.db import Database
from bot.services.contacts import ContactDirectory
from bot.services.directory_admin import (
    is_directory_empty,
    seed_example_directory,
    sync_geography,
)
from bot.services.directory_index import DirectoryIndex
from knowledge.directory import Geography, shipped_geography
from knowledge.guide import shipped_guide

log = logging.getLogger(__name__)


@dataclass
class Services:
    settings: Settings
    database: Database
    geography: Geography
    contacts: ContactDirectory
    index: DirectoryIndex

    @classmethod
    def create(cls, settings: Settings) -> Services:
        """Wire the services; no I/O happens until `start()`."""
        geography = shipped_geography()
        contacts = ContactDirectory(
            geography.emergency_number, settings.stale_after_days, settings.timezone
        )
        return cls(
            settings=settings,
            database=Database(settings.database_url),
            geography=geography,
            contacts=contacts,
            index=DirectoryIndex(geography, contacts),
        )

    async def start(self) -> None:
        """Check the guide, migrate, sync the geography, seed an empty directory, index it."""
        shipped_guide()  # a broken guide YAML stops the start (KnowledgeError: file, line, field)
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
        return datetime.now(ZoneInfo(self.settings.timezone))

    def today(self) -> date:
        return self.now().date()

    def is_office_hours(self, moment: datetime | None = None) -> bool:
        moment = moment or self.now()
        if moment.weekday() >= 5:
            return False
        return self.settings.office_hours_start <= moment.time() < self.settings.office_hours_end
