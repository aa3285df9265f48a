"""The bot as a service over real HTTP: webhook with its secret, /healthz and /metrics."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from sqlalchemy import text

from app.service import BotService
from app.transport import ApiCall, UpdateFactory
from app.web import SECRET_HEADER
from bot.config import Settings
from bot.db import Database
from tests.fakes import RecordingBotApi

SECRET = "right_secret-123"
USER = 5151
WEBHOOK_URL = "https://kontaktlotsen.example.com/telegram"


class SignallingBotApi(RecordingBotApi):
    """Records calls and lets a test wait for the bot's next message; polls slowly."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = asyncio.Event()

    async def before_call(self, call: ApiCall) -> None:
        if call.method == "getUpdates":
            await asyncio.sleep(0.05)  # Telegram long-polls; an instant empty answer would spin

    def on_call(self, call: ApiCall) -> None:
        if call.method == "sendMessage":
            self.sent.set()


async def wait_for_message(api: SignallingBotApi) -> None:
    await asyncio.wait_for(api.sent.wait(), timeout=30)
    api.sent.clear()


@pytest.fixture
def webhook_settings(make_settings: Callable[..., Settings]) -> Settings:
    return make_settings(
        telegram_bot_token="123456:TEST",
        webhook_url=WEBHOOK_URL,
        webhook_secret_token=SECRET,
        webhook_listen="127.0.0.1",
        webhook_port=0,
    )


@pytest.fixture
async def webhook_service(
    webhook_settings: Settings,
) -> AsyncIterator[tuple[BotService, SignallingBotApi]]:
    api = SignallingBotApi()
    service = BotService(webhook_settings, webhook=True, request=api)
    await service.start()
    try:
        yield service, api
    finally:
        await service.stop()


def http() -> httpx.AsyncClient:
    return httpx.AsyncClient(trust_env=False, timeout=30)


def update_json(service: BotService, text: str, update_id: int) -> str:
    factory = UpdateFactory(service.application.bot, user_id=USER)
    return factory.message(text, update_id=update_id).to_json()


def metric(body: str, series: str) -> float:
    for line in body.splitlines():
        if line.startswith(series + " "):
            return float(line.split()[-1])
    raise AssertionError(f"no series {series} in the metrics")


ANSWERED = 'kontaktlotsen_lookups_total{outcome="answered"}'


async def scrape_until(
    client: httpx.AsyncClient, url: str, series: str, value: float
) -> httpx.Response:
    """The metrics once `series` has reached `value` (or the last scrape, after 10 s)."""
    for _ in range(200):
        response = await client.get(url)
        if metric(response.text, series) >= value:
            return response
        await asyncio.sleep(0.05)
    return response


async def test_webhook_processes_the_right_secret_and_refuses_wrong_or_missing_ones(
    webhook_service: tuple[BotService, SignallingBotApi],
) -> None:
    service, api = webhook_service
    registered = api.calls_of("setWebhook")
    assert registered and registered[-1].params["url"] == WEBHOOK_URL
    assert registered[-1].params["secret_token"] == SECRET
    url = f"http://127.0.0.1:{service.port}/telegram"
    async with http() as client:
        wrong = await client.post(
            url, content=update_json(service, "Hogwarts", 1), headers={SECRET_HEADER: "wrong"}
        )
        missing = await client.post(url, content=update_json(service, "Hogwarts", 2))
        not_json = await client.post(url, content="{", headers={SECRET_HEADER: SECRET})
        body = update_json(service, "Eriksdalsskolan", 3)
        right = await client.post(url, content=body, headers={SECRET_HEADER: SECRET})
    assert (wrong.status_code, missing.status_code) == (403, 403)
    assert not_json.status_code == 400
    assert right.status_code == 200
    await wait_for_message(api)
    sent = api.calls_of("sendMessage")
    replies = [c.params["text"] for c in sent if c.params["chat_id"] == USER]
    assert len(replies) == 1 and "Eriksdalsskolan" in replies[0]
    # The refused requests were queued before the accepted one, so they would have been seen.
    assert service.metrics.updates._value.get() == 1


async def test_healthz_and_metrics_answer_and_a_lookup_moves_the_counter(
    webhook_service: tuple[BotService, SignallingBotApi],
) -> None:
    service, api = webhook_service
    base = f"http://127.0.0.1:{service.port}"
    async with http() as client:
        health = await client.get(f"{base}/healthz")
        before = await client.get(f"{base}/metrics")
        await client.post(
            f"{base}/telegram",
            content=update_json(service, "Eriksdalsskolan", 7),
            headers={SECRET_HEADER: SECRET},
        )
        await wait_for_message(api)
        # The lookup is counted when its transaction commits, just after the reply is sent.
        after = await scrape_until(client, f"{base}/metrics", ANSWERED, 1)
        health_after = await client.get(f"{base}/healthz")
    assert health.status_code == 200
    report = health.json()
    assert report["status"] == "ok"
    assert {name for name, check in report["checks"].items() if check["ok"]} == {
        "database",
        "schema",
        "knowledge",
    }
    assert report["last_update_age_seconds"] is None
    assert health_after.json()["last_update_age_seconds"] >= 0
    assert before.headers["content-type"].startswith("text/plain")
    assert metric(before.text, ANSWERED) == 0
    assert metric(after.text, ANSWERED) == 1
    assert metric(after.text, "kontaktlotsen_updates_total") == 1
    assert metric(after.text, 'kontaktlotsen_notifications{status="pending"}') == 0
    assert metric(after.text, "kontaktlotsen_database_up") == 1
    # No label carries who asked or what they typed.
    assert str(USER) not in after.text and "Eriksdalsskolan" not in after.text


async def test_healthz_fails_when_the_schema_is_behind(
    webhook_service: tuple[BotService, SignallingBotApi], webhook_settings: Settings
) -> None:
    service, _ = webhook_service
    await drop_newest_head(webhook_settings.database_url)
    async with http() as client:
        health = await client.get(f"http://127.0.0.1:{service.port}/healthz")
    assert health.status_code == 503
    report = health.json()
    assert report["status"] == "fail"
    assert report["checks"]["schema"]["ok"] is False
    assert report["checks"]["database"]["ok"] is True


async def test_polling_serves_health_and_metrics_on_metrics_port(
    make_settings: Callable[..., Settings],
) -> None:
    settings = make_settings(telegram_bot_token="123456:TEST", metrics_port=0)
    api = SignallingBotApi()
    service = BotService(settings, request=api)
    await service.start()
    try:
        assert service.port is not None
        async with http() as client:
            health = await client.get(f"http://127.0.0.1:{service.port}/healthz")
            metrics = await client.get(f"http://127.0.0.1:{service.port}/metrics")
            webhook = await client.post(f"http://127.0.0.1:{service.port}/telegram", content="{}")
    finally:
        await service.stop()
    assert health.status_code == 200 and json.loads(health.text)["status"] == "ok"
    assert "kontaktlotsen_lookups_total" in metrics.text
    assert webhook.status_code == 404  # polling has no webhook route
    assert not api.calls_of("setWebhook")


async def drop_newest_head(url: str) -> None:
    """Make the database look as if the newest migration had not run."""
    database = Database(url)
    try:
        newest = max((await database.schema_level()).heads)
        async with database.engine.begin() as connection:
            await connection.execute(
                text("DELETE FROM alembic_version WHERE version_num = :head"), {"head": newest}
            )
    finally:
        await database.dispose()
