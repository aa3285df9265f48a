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
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
from typing import Any

from telegram import Update
from telegram.request import BaseRequest

from app.application import build_application
from app.metrics import Metrics
from app.web import WebhookRoute, WebServer
from bot.config import Settings

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

    def _route(self) -> WebhookRoute | None:
        secret = self.settings.webhook_secret_token
        if not self.webhook or secret is None:
            return None
        return WebhookRoute(self.settings.webhook_path, secret.get_secret_value())

    async def start(self) -> None:
        """Migrate and start the services, the HTTP server, then take updates."""
        settings = self.settings
        await self.application.initialize()
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
            await self.application.updater.start_polling(allowed_updates=ALLOWED_UPDATES)
        await self.application.start()
        log.info("Kontaktlotsen runs (%s)", "webhook" if self.webhook else "polling")

    async def stop(self) -> None:
        """Stop taking updates, finish what is running, stop the server and the services."""
        if self.application.updater.running:
            await self.application.updater.stop()
        if self.application.running:
            await self.application.stop()
        if self.server is not None:
            await self.server.stop()
        await self.application.shutdown()


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
    asyncio.run(serve(service))
    return 0
