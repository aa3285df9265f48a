"""An in-process Bot API: the transport seam for the terminal chat and the tests.

Production talks to Telegram through PTB's HTTPXRequest. Here a `BaseRequest` answers the Bot API
methods the bot uses, keeps the messages it "sent" so edits work, and lets a subclass show them
(the terminal chat) or record them (the tests). Updates are built as the JSON Telegram sends and
turned into real `Update` objects with `Update.de_json`, exactly as polling would.
"""

from __future__ import annotations

import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

from telegram import Bot, Update
from telegram._utils.defaultvalue import DEFAULT_NONE
from telegram._utils.types import ODVInput
from telegram.request import BaseRequest, RequestData

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Kontaktlotsen",
    "username": "kontaktlotsen_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}


@dataclass
class SentMessage:
    chat_id: int
    message_id: int
    text: str
    reply_markup: dict[str, Any] | None = None
    photo: bool = False
    document: tuple[str, bytes] | None = None
    contact: dict[str, Any] | None = None


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    # Uploaded files (sendDocument): part name → (file name, content).
    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)


@dataclass
class BotApiState:
    """What the emulated server knows: the messages in each chat, by id."""

    messages: dict[tuple[int, int], SentMessage] = field(default_factory=dict)
    next_message_id: itertools.count[int] = field(default_factory=lambda: itertools.count(1000))


class EmulatedBotApi(BaseRequest):
    """Answers Bot API calls in memory; override `on_call` to show or record them."""

    def __init__(self) -> None:
        self.state = BotApiState()
        self.calls: list[ApiCall] = []

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = DEFAULT_NONE,
        write_timeout: ODVInput[float] = DEFAULT_NONE,
        connect_timeout: ODVInput[float] = DEFAULT_NONE,
        pool_timeout: ODVInput[float] = DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        api_method = url.rsplit("/", 1)[-1]
        params = dict(request_data.parameters) if request_data else {}
        markup = params.get("reply_markup")
        if isinstance(markup, str):
            params["reply_markup"] = json.loads(markup)
        call = ApiCall(api_method, params, _files(request_data))
        await self.before_call(call)
        self.calls.append(call)
        failure = self.fail(call)
        if failure is not None:
            return failure
        result = self.answer(call)
        self.on_call(call)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def before_call(self, call: ApiCall) -> None:
        """Awaited before a call is recorded and answered: a test may delay it or raise here."""

    def fail(self, call: ApiCall) -> tuple[int, bytes] | None:
        """Return an error response to inject a failure; None answers normally."""
        return None

    def on_call(self, call: ApiCall) -> None:
        """Called after each successful call, e.g. to print a message."""

    def answer(self, call: ApiCall) -> Any:
        params = call.params
        if call.method == "getMe":
            return BOT_USER
        if call.method == "sendContact":
            return self._send_contact(params)
        if call.method in ("sendMessage", "sendPhoto", "sendDocument"):
            chat_id = int(params["chat_id"])
            message = SentMessage(
                chat_id,
                next(self.state.next_message_id),
                str(params.get("text") or params.get("caption") or ""),
                params.get("reply_markup"),
                photo=call.method == "sendPhoto",
                document=next(iter(call.files.values()), None),
            )
            self.state.messages[(chat_id, message.message_id)] = message
            return self._message_json(message)
        if call.method in ("editMessageText", "editMessageReplyMarkup"):
            key = (int(params["chat_id"]), int(params["message_id"]))
            edited = self.state.messages.get(key)
            if edited is None:
                return True
            if call.method == "editMessageText":
                edited.text = str(params["text"])
            edited.reply_markup = params.get("reply_markup")
            return self._message_json(edited)
        if call.method == "deleteMessage":
            self.state.messages.pop((int(params["chat_id"]), int(params["message_id"])), None)
            return True
        if call.method == "getUpdates":
            return []
        if call.method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True

    def _send_contact(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        contact = {
            "phone_number": str(params["phone_number"]),
            "first_name": str(params["first_name"]),
        }
        if params.get("vcard"):
            contact["vcard"] = str(params["vcard"])
        text = f"{contact['first_name']} {contact['phone_number']}"
        message = SentMessage(chat_id, next(self.state.next_message_id), text, contact=contact)
        self.state.messages[(chat_id, message.message_id)] = message
        return self._message_json(message)

    @staticmethod
    def _message_json(message: SentMessage) -> dict[str, Any]:
        data: dict[str, Any] = {
            "message_id": message.message_id,
            "date": int(time.time()),
            "chat": {"id": message.chat_id, "type": "private"},
            "from": BOT_USER,
        }
        if message.contact is not None:
            data["contact"] = message.contact
        elif message.photo:
            data["photo"] = [{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}]
            data["caption"] = message.text
        elif message.document is not None:
            data["document"] = {
                "file_id": "d",
                "file_unique_id": "d",
                "file_name": message.document[0],
            }
            data["caption"] = message.text
        else:
            data["text"] = message.text
        if message.reply_markup and "inline_keyboard" in message.reply_markup:
            # Telegram echoes only inline keyboards; a reply keyboard is not part of a message.
            data["reply_markup"] = message.reply_markup
        return data


def _files(request_data: RequestData | None) -> dict[str, tuple[str, bytes]]:
    """The uploaded files of a request, read into memory (they are small here)."""
    if request_data is None or not request_data.contains_files:
        return {}
    files = {}
    for name, part in request_data.multipart_data.items():
        filename, content = str(part[0]), part[1]
        files[name] = (filename, content if isinstance(content, bytes) else content.read())
    return files


class UpdateFactory:
    """Builds the updates a person would cause, as the JSON Telegram sends."""

    def __init__(self, bot: Bot, user_id: int = 4242, language_code: str | None = "sv") -> None:
        self.bot = bot
        self.user_id = user_id
        self.language_code = language_code
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1)

    def user(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": "Test"}
        if self.language_code:
            data["language_code"] = self.language_code
        return data

    def message(self, text: str, *, update_id: int | None = None) -> Update:
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": self.user_id, "type": "private", "first_name": "Test"},
            "from": self.user(),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return self._update({"message": message}, update_id)

    def callback(self, data: str, message: SentMessage, *, update_id: int | None = None) -> Update:
        query = {
            "id": str(next(self._message_ids)),
            "from": self.user(),
            "chat_instance": f"ci-{self.user_id}",
            "data": data,
            "message": EmulatedBotApi._message_json(message),
        }
        return self._update({"callback_query": query}, update_id)

    def inline_query(self, query: str, *, chat_type: str = "supergroup") -> Update:
        """`@bot <query>` typed in a chat of `chat_type` (the bot need not be a member)."""
        inline = {
            "id": str(next(self._message_ids)),
            "from": self.user(),
            "query": query,
            "offset": "",
            "chat_type": chat_type,
        }
        return self._update({"inline_query": inline}, None)

    def _update(self, body: dict[str, Any], update_id: int | None) -> Update:
        body["update_id"] = update_id if update_id is not None else next(self._update_ids)
        update = Update.de_json(body, self.bot)
        assert update is not None
        return update
