"""The bot's HTTP server: `/healthz`, `/metrics` and, in webhook mode, Telegram's webhook.

Why our own small tornado app and not `Application.run_webhook`: PTB's webhook server has no
public way to add routes, and PTB's maintainers answered the request for a health endpoint
(python-telegram-bot#1438) with the custom-webhook example (#3059): the application is started
without its updater and the web framework puts each update on `application.update_queue`.
tornado is the framework PTB's own webhook server uses, so this brings in no other one.

The webhook route refuses (403) every request whose `X-Telegram-Bot-Api-Secret-Token` header
does not equal the configured secret (compared in constant time), and answers 400 to a body that
is not an update. Accepted updates are queued and answered 200 at once, as Telegram expects.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
import socket
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from tornado.httpserver import HTTPServer
from tornado.netutil import bind_sockets
from tornado.routing import PathMatches

from app.metrics import CONTENT_TYPE, Metrics
from bot.health import database_status, knowledge_problems
from bot.runtime import Services

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY_BYTES = 1_000_000  # an update is a few kilobytes; refuse anything absurd


@dataclass(frozen=True)
class WebhookRoute:
    """Where Telegram posts updates, and the secret each request must carry."""

    path: str
    secret: str


async def health_report(services: Services, metrics: Metrics) -> dict[str, Any]:
    """Database reachable, schema at the code's heads, knowledge valid, age of the last update."""
    database = await database_status(services.database)
    problems = knowledge_problems()
    checks: dict[str, dict[str, Any]] = {
        "database": {"ok": database.reachable, "error": database.error},
        "schema": {"ok": bool(database.schema and database.schema.at_head)},
        "knowledge": {"ok": not problems, "problems": problems},
    }
    if database.schema is not None:
        checks["schema"]["current"] = sorted(database.schema.current)
        checks["schema"]["heads"] = sorted(database.schema.heads)
    age = metrics.last_update_age()
    return {
        "status": "ok" if all(check["ok"] for check in checks.values()) else "fail",
        "checks": checks,
        # Information, not a failure: a quiet night has no updates.
        "last_update_age_seconds": None if age is None else round(age, 1),
    }


class HealthHandler(tornado.web.RequestHandler):
    def initialize(self, services: Services, metrics: Metrics) -> None:
        self.services = services
        self.metrics = metrics

    async def get(self) -> None:
        report = await health_report(self.services, self.metrics)
        self.set_status(
            HTTPStatus.OK if report["status"] == "ok" else HTTPStatus.SERVICE_UNAVAILABLE
        )
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(report, ensure_ascii=False))


class MetricsHandler(tornado.web.RequestHandler):
    def initialize(self, services: Services, metrics: Metrics) -> None:
        self.services = services
        self.metrics = metrics

    async def get(self) -> None:
        self.set_header("Content-Type", CONTENT_TYPE)
        self.finish(await self.metrics.exposition(self.services.database))


class TelegramWebhookHandler(tornado.web.RequestHandler):
    def initialize(self, bot_application: Any, secret: str) -> None:
        self.bot_application = bot_application
        self.secret = secret.encode()

    async def post(self) -> None:
        given = self.request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self.secret):
            log.warning("Webhook request refused: missing or wrong secret token")
            raise tornado.web.HTTPError(HTTPStatus.FORBIDDEN)
        try:
            update = Update.de_json(json.loads(self.request.body), self.bot_application.bot)
        except (ValueError, TypeError, KeyError) as error:
            log.warning("Webhook request refused: not an update (%s)", type(error).__name__)
            raise tornado.web.HTTPError(HTTPStatus.BAD_REQUEST) from error
        await self.bot_application.update_queue.put(update)
        self.set_status(HTTPStatus.OK)

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        # Refusals are logged above, without the request: a body may hold what someone typed.
        if not isinstance(value, tornado.web.HTTPError):
            super().log_exception(typ, value, tb)


class WebServer:
    """/healthz and /metrics for a running bot, plus the webhook route when given one."""

    def __init__(
        self, application: Any, metrics: Metrics, webhook: WebhookRoute | None = None
    ) -> None:
        services: Services = application.bot_data.services
        shared = {"services": services, "metrics": metrics}
        routes: list[Any] = [
            (r"/healthz", HealthHandler, shared),
            (r"/metrics", MetricsHandler, shared),
        ]
        if webhook is not None:
            routes.append(
                (
                    PathMatches(re.escape(webhook.path)),
                    TelegramWebhookHandler,
                    {"bot_application": application, "secret": webhook.secret},
                )
            )
        # No access log: a webhook path or a client address is nothing the operator needs.
        self.app = tornado.web.Application(routes, log_function=lambda _handler: None)
        self._server: HTTPServer | None = None

    async def start(self, host: str, port: int) -> int:
        """Listen on `host`:`port` (0: a free port); return the port."""
        sockets = bind_sockets(port, host, family=socket.AF_UNSPEC)
        self._server = HTTPServer(self.app, max_body_size=MAX_BODY_BYTES)
        self._server.add_sockets(sockets)
        bound = int(sockets[0].getsockname()[1])
        log.info("HTTP server listening on %s:%d", host, bound)
        return bound

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
            self._server = None
