"""Run the bot as a service: polling (the default) or webhook, with health and metrics.

Both modes follow PTB's documented manual life cycle (`initialize`, `start`, `stop`,
`shutdown`) instead of `run_polling`/`run_webhook`, so the HTTP server (`app/web.py`) lives in
the same event loop and stops with the bot:

* polling: the updater long-polls Telegram; `/healthz` and `/metrics` listen on
  METRICS_LISTEN:METRICS_PORT when METRICS_PORT is set;
* webhook: Telegram posts to WEBHOOK_URL; our server takes the requests on
  WEBHOOK_LISTEN:WEBHOOK_PORT at WEBHOOK_URL's path, with `/healthz` and `/metrics` beside it.
  The webhook is (re)registered with the secret token at every start and left registered at
  stop, so Telegram keeps the updates that arrive during a restart.

Several instances on one PostgreSQL database elect a leader (`app.leadership`): in polling
mode only the leader polls, the others wait as hot standbys (initialised, serving /healthz)
and take over within a few seconds when it dies; in webhook mode every replica takes updates
and only the scheduled jobs wait for leadership. On a SQLite file a second instance refuses
to start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from typing import Any

from telegram import Update
from telegram.request import BaseRequest

from app.application import build_application
from app.leadership import AnotherInstanceRunning, Election, election_for, leadership_of
from app.metrics import Metrics
from app.web import WebhookRoute, WebServer
from bot.config import Settings
from handlers.stored_conversation import reload_states

log = logging.getLogger(__name__)

# Every kind of update: the bot must see being added to a group (to leave it) and edits (to
# check them for a personnummer); handlers/chat_rules.py decides what is answered.
ALLOWED_UPDATES = Update.ALL_TYPES


class WebhookNotConfigured(ValueError):
    """Webhook mode needs WEBHOOK_URL and WEBHOOK_SECRET_TOKEN."""


class BotService:
    """One running bot: the Application, how updates arrive, and its HTTP server."""

    def __init__(
        self, settings: Settings, *, webhook: bool = False, request: BaseRequest | None = None
    ) -> None:
        if webhook and (settings.webhook_url is None or settings.webhook_secret_token is None):
            raise WebhookNotConfigured("WEBHOOK_URL och WEBHOOK_SECRET_TOKEN behövs")
        self.settings = settings
        self.webhook = webhook
        self.application: Any = build_application(settings, request=request)
        self.metrics = Metrics()
        self.metrics.install(self.application)
        self.server: WebServer | None = None
        self.port: int | None = None  # where the HTTP server listens, once started
        self.leadership = leadership_of(self.application)
        self.election: Election = election_for(settings.database_url, self.leadership)
        # Behind a load balancer the previous step may have reached another replica.
        self.application.per_update_states = webhook and not self._on_sqlite()
        self._polling: asyncio.Task[None] | None = None

    def _on_sqlite(self) -> bool:
        return bool(self.application.bot_data.services.database.is_sqlite)

    def _route(self) -> WebhookRoute | None:
        secret = self.settings.webhook_secret_token
        if not self.webhook or secret is None:
            return None
        return WebhookRoute(self.settings.webhook_path, secret.get_secret_value())

    async def start(self) -> None:
        """Join the election, migrate and start the services and the HTTP server, then take
        updates (polling: once this instance leads)."""
        settings = self.settings
        await self.election.start()  # SQLite: AnotherInstanceRunning when one runs already
        try:
            await self.application.initialize()
        except BaseException:
            await self.election.stop()
            raise
        if self.webhook:
            self.server = WebServer(self.application, self.metrics, self._route())
            self.port = await self.server.start(settings.webhook_listen, settings.webhook_port)
            secret = settings.webhook_secret_token
            assert secret is not None
            await self.application.bot.set_webhook(
                settings.webhook_url,
                secret_token=secret.get_secret_value(),
                allowed_updates=ALLOWED_UPDATES,
            )
        else:
            if settings.metrics_port is not None:
                self.server = WebServer(self.application, self.metrics)
                self.port = await self.server.start(settings.metrics_listen, settings.metrics_port)
        await self.application.start()
        if not self.webhook:
            self._polling = asyncio.create_task(self._poll_while_leading(), name="polling")
        log.info("Kontaktlotsen runs (%s)", "webhook" if self.webhook else "polling")

    async def _poll_while_leading(self) -> None:
        """Poll while this instance leads; stand by while another does."""
        updater = self.application.updater
        while True:
            if not self.leadership.is_leader:
                log.info("Standing by: another instance polls Telegram")
            await self.leadership.wait_until(True)
            # The dead leader's conversations moved on since this instance started.
            await reload_states(self.application)
            await updater.start_polling(allowed_updates=ALLOWED_UPDATES)
            log.info("Polling Telegram")
            await self.leadership.wait_until(False)
            await updater.stop()

    async def stop(self) -> None:
        """Stop taking updates, finish what is running, stop the server and the services."""
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        if self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        if self.server is not None:
            await self.server.stop()
        await self.application.shutdown()
        await self.election.stop()


async def serve(service: BotService) -> None:
    """Run until SIGINT or SIGTERM (what `docker stop` sends)."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stopping.set)
    try:
        await service.start()
        await stopping.wait()
    finally:
        log.info("Kontaktlotsen stops")
        await service.stop()


def run(settings: Settings, *, webhook: bool) -> int:
    """`kontaktlotsen run [--webhook]` with a token."""
    if not settings.has_token:
        print("Ingen TELEGRAM_BOT_TOKEN i .env – se docs/drift.md.", file=sys.stderr)
        return 2
    try:
        service = BotService(settings, webhook=webhook)
    except WebhookNotConfigured:
        print(
            "Webhook-läget behöver WEBHOOK_URL (https://…) och WEBHOOK_SECRET_TOKEN i .env – "
            "se .env.example och docs/drift.md.",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(serve(service))
    except AnotherInstanceRunning as error:
        log.error("%s", error)
        print(
            "En annan Kontaktlotsen kör redan mot samma SQLite-databas "
            f"({error.lock_path}). Stoppa den först, eller använd PostgreSQL för flera "
            "instanser – se docs/drift.md.",
            file=sys.stderr,
        )
        return 2
    return 0
