"""Test doubles at the transport seam: a recording Bot API and a driver that plays the user."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from telegram import Update

from app.transport import ApiCall, EmulatedBotApi, SentMessage, UpdateFactory


class RecordingBotApi(EmulatedBotApi):
    """Records every Bot API call; `failures` can inject 403/429/other errors per call."""

    def __init__(self) -> None:
        super().__init__()
        self.failure: Callable[[ApiCall], tuple[int, dict[str, Any]] | None] | None = None

    def fail(self, call: ApiCall) -> tuple[int, bytes] | None:
        if self.failure is None:
            return None
        outcome = self.failure(call)
        if outcome is None:
            return None
        status, body = outcome
        return status, json.dumps(body).encode()

    def calls_of(self, method: str) -> list[ApiCall]:
        return [c for c in self.calls if c.method == method]

    def uploads(self) -> list[tuple[str, dict[str, tuple[str, bytes]]]]:
        """The calls that uploaded files, in order: (method, part name → (file name, content))."""
        return [(c.method, c.files) for c in self.calls if c.files]


def blocked_by_user() -> tuple[int, dict[str, Any]]:
    return 403, {
        "ok": False,
        "error_code": 403,
        "description": "Forbidden: bot was blocked by the user",
    }


def retry_after(seconds: int) -> tuple[int, dict[str, Any]]:
    return 429, {
        "ok": False,
        "error_code": 429,
        "description": f"Too Many Requests: retry after {seconds}",
        "parameters": {"retry_after": seconds},
    }


class ChatDriver:
    """Plays one Telegram user: sends text, presses buttons, reads what the bot answered."""

    def __init__(
        self,
        application: Any,
        api: RecordingBotApi,
        user_id: int = 4242,
        language_code: str | None = "sv",
    ) -> None:
        self.application = application
        self.api = api
        self.factory = UpdateFactory(application.bot, user_id=user_id, language_code=language_code)
        self.user_id = user_id

    async def process(self, update: Update) -> list[ApiCall]:
        before = len(self.api.calls)
        await self.application.process_update(update)
        return self.api.calls[before:]

    async def send(self, text: str) -> list[ApiCall]:
        return await self.process(self.factory.message(text))

    async def inline(self, query: str, *, chat_type: str = "supergroup") -> list[ApiCall]:
        return await self.process(self.factory.inline_query(query, chat_type=chat_type))

    async def press(
        self,
        label: str | None = None,
        *,
        data: str | None = None,
        message: SentMessage | None = None,
    ) -> list[ApiCall]:
        """Press a button by label (or raw callback data) on the latest message with buttons."""
        message = message or self.last_with_buttons()
        if data is None:
            assert label is not None
            data = self.button_data(message, label)
        return await self.process(self.factory.callback(data, message))

    async def share_user(self, request_id: int, user_id: int, first_name: str) -> list[ApiCall]:
        """Pick a person with a "request users" button (Telegram sends their id, not typed)."""
        update = self.factory.message("")
        assert update.message is not None
        body = update.message.to_dict()
        body.pop("text", None)
        body["users_shared"] = {
            "request_id": request_id,
            "users": [{"user_id": user_id, "first_name": first_name}],
        }
        shared = Update.de_json({"update_id": update.update_id, "message": body}, update.get_bot())
        assert shared is not None
        return await self.process(shared)

    def my_messages(self) -> list[SentMessage]:
        return [
            m for (chat, _), m in sorted(self.api.state.messages.items()) if chat == self.user_id
        ]

    def last_message(self) -> SentMessage:
        return self.my_messages()[-1]

    def last_with_buttons(self) -> SentMessage:
        for message in reversed(self.my_messages()):
            if message.reply_markup and message.reply_markup.get("inline_keyboard"):
                return message
        raise AssertionError("no message with buttons")

    @staticmethod
    def buttons(message: SentMessage) -> list[tuple[str, str]]:
        markup = message.reply_markup or {}
        return [
            (b["text"], b.get("callback_data", ""))
            for row in markup.get("inline_keyboard", [])
            for b in row
        ]

    def button_data(self, message: SentMessage, label: str) -> str:
        for text, data in self.buttons(message):
            if text == label:
                return data
        raise AssertionError(f"no button {label!r} in {self.buttons(message)}")


def texts(calls: list[ApiCall]) -> list[str]:
    return [
        str(c.params.get("text") or c.params.get("caption") or "")
        for c in calls
        if c.method in ("sendMessage", "editMessageText", "sendPhoto", "answerCallbackQuery")
    ]
