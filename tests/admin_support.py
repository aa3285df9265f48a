"""Helpers for the handover, roles and outbox tests: apps with city admins, grants, delivery."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from app.application import build_application
from app.delivery import DeliveryReport, OutboxWorker, outbox_worker
from bot.clock import SYSTEM_CLOCK, Clock
from bot.config import Settings
from bot.models import Base, Handover, Notification
from bot.runtime import Services
from bot.services.authz import Actor
from bot.services.grants import grant_area_admin, revoke_area_admin
from tests.fakes import ChatDriver, RecordingBotApi, texts
from tests.support.clocks import VirtualClock

CITY_ADMIN = 111
ADMIN = 222  # area admin of Kungsholmen in most tests
OTHER_ADMIN = 333  # area admin of Bromma
FOLLOWER = 444
SECOND_FOLLOWER = 555


def sent(calls: list[Any]) -> str:
    return "\n".join(texts(calls))


@asynccontextmanager
async def admin_app(
    make_settings: Callable[..., Settings],
    api: RecordingBotApi,
    *,
    clock: Clock = SYSTEM_CLOCK,
    **overrides: Any,
) -> AsyncIterator[Any]:
    """The real Application with `CITY_ADMIN` as city admin (settings), on the test database."""
    settings = make_settings(city_admin_ids=(CITY_ADMIN,), **overrides)
    services = Services.create(settings, clock=clock)
    application = build_application(settings, request=api, services=services, rate_limit=False)
    async with application:
        yield application


async def grant(app: Any, user_id: int, area_id: str) -> None:
    async with app.bot_data.services.database.transaction() as session:
        await grant_area_admin(session, Actor.cli(), user_id, area_id)


async def revoke(app: Any, user_id: int, area_id: str) -> None:
    async with app.bot_data.services.database.transaction() as session:
        await revoke_area_admin(session, Actor.cli(), user_id, area_id)


def worker_of(app: Any) -> OutboxWorker:
    (job,) = app.job_queue.get_jobs_by_name("deliver_outbox")
    return outbox_worker(job.data)


async def deliver(app: Any, clock: VirtualClock | None = None) -> DeliveryReport:
    """Run the application's own delivery job once (on a virtual clock: no real waiting)."""
    worker = worker_of(app)
    worker.use_clock(clock or VirtualClock())
    return await worker.run(app.bot)


async def count(app: Any, model: type[Base], *conditions: Any) -> int:
    async with app.bot_data.services.database.transaction() as session:
        query = select(func.count()).select_from(model)
        if conditions:
            query = query.where(*conditions)
        return int(await session.scalar(query) or 0)


async def notifications(app: Any) -> list[Notification]:
    async with app.bot_data.services.database.transaction() as session:
        return list(await session.scalars(select(Notification).order_by(Notification.id)))


async def handovers(app: Any) -> list[Handover]:
    async with app.bot_data.services.database.transaction() as session:
        return list(await session.scalars(select(Handover).order_by(Handover.id)))


def messages_to(api: RecordingBotApi, chat_id: int, *, since: int = 0) -> list[str]:
    """The texts sent to one chat, from the `since`-th recorded call on."""
    return [
        str(call.params.get("text"))
        for call in api.calls[since:]
        if call.method == "sendMessage" and int(call.params["chat_id"]) == chat_id
    ]


def notices_to(api: RecordingBotApi, chat_id: int) -> list[str]:
    """The outbox notifications a chat received (start with 🔔, 📅 or ⏰); refused calls not."""
    received = sorted(
        (message.message_id, message.text)
        for (chat, _), message in api.state.messages.items()
        if chat == chat_id
    )
    return [text for _, text in received if text[:1] in ("🔔", "📅", "⏰")]


async def walk_handover(
    chat: ChatDriver,
    scope: str = "Kungsholmen",
    *,
    name: str = "Sara Ek",
    title: str | None = "Socialsekreterare",
    phone: str = "08-465 004 20",
    email: str | None = "sara.ek@example.com",
    hours: str | None = None,
    date: str | None = "idag",
    note: str | None = None,
) -> list[Any]:
    """Play a district admin through /overlamning up to the summary (not confirming)."""
    await chat.send("/overlamning")
    await chat.press(scope)
    await chat.send(name)
    calls = await (chat.send(title) if title else chat.press("Hoppa över"))
    calls = await chat.send(phone)
    calls = await (chat.send(email) if email else chat.press("Hoppa över"))
    calls = await (chat.send(hours) if hours else chat.press("Hoppa över"))
    calls = await (chat.send(date) if date else chat.press("Idag"))
    calls = await (chat.send(note) if note else chat.press("Hoppa över"))
    return calls


def picker_request_id(chat: ChatDriver) -> int:
    """The request id of the "Välj person" button the bot showed last."""
    markup = chat.last_message().reply_markup or {}
    (button,) = [b for row in markup.get("keyboard", []) for b in row]
    return int(button["request_users"]["request_id"])


async def pick_admin(city: ChatDriver, user_id: int, area: str, name: str = "Anna") -> str:
    """A city admin makes `user_id` an admin of `area` by picking them (never a typed id)."""
    await city.send(f"/behorighet ge {area}")
    return sent(await city.share_user(picker_request_id(city), user_id, name))


def days(n: int) -> timedelta:
    return timedelta(days=n)
