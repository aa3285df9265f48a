"""Updates of every kind Telegram sends, as its JSON, for the chat-rule and hostile-input tests.

`UpdateFactory` (app/transport.py) builds what a person does in a private chat; this adds the
rest: groups and channels, edits, business chats, media, forwards, contacts, polls, locations.
"""

from __future__ import annotations

import itertools
import time
from typing import Any

from telegram import Update

from app.transport import BOT_USER, SentMessage, UpdateFactory

GROUP_ID = -100123456789
_ids = itertools.count(50_000)


def group_chat(kind: str = "supergroup", chat_id: int = GROUP_ID) -> dict[str, Any]:
    return {"id": chat_id, "type": kind, "title": "Personalrummet"}


class KindsOfUpdates:
    """Builds updates for one user; every method returns a real `Update`."""

    def __init__(self, factory: UpdateFactory) -> None:
        self.factory = factory

    def private_chat(self) -> dict[str, Any]:
        return {"id": self.factory.user_id, "type": "private", "first_name": "Test"}

    def message_json(
        self, text: str | None = None, *, chat: dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": next(_ids),
            "date": int(time.time()),
            "chat": chat or self.private_chat(),
            "from": self.factory.user(),
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                length = len(text.split()[0]) if text.split() else 1
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        message.update(fields)
        return message

    def update(self, kind: str, message: dict[str, Any]) -> Update:
        update = Update.de_json({"update_id": next(_ids), kind: message}, self.factory.bot)
        assert update is not None
        return update

    def in_group(self, text: str, kind: str = "supergroup") -> Update:
        return self.update("message", self.message_json(text, chat=group_chat(kind)))

    def channel_post(self, text: str, *, edited: bool = False) -> Update:
        message = self.message_json(text, chat=group_chat("channel"))
        del message["from"]
        message["sender_chat"] = group_chat("channel")
        return self.update("edited_channel_post" if edited else "channel_post", message)

    def edited(self, text: str) -> Update:
        return self.update("edited_message", self.message_json(text, edit_date=int(time.time())))

    def business(self, text: str, *, edited: bool = False) -> Update:
        message = self.message_json(text, business_connection_id="bc-1")
        return self.update("edited_business_message" if edited else "business_message", message)

    def with_fields(self, **fields: Any) -> Update:
        text = fields.pop("text", None)
        return self.update("message", self.message_json(text, **fields))

    def group_button(self, data: str) -> Update:
        sent = SentMessage(GROUP_ID, 77, "gammalt meddelande")
        message = self.factory.callback(data, sent)
        body = message.to_dict()
        body["callback_query"]["message"]["chat"] = group_chat()
        update = Update.de_json(body, self.factory.bot)
        assert update is not None
        return update

    def bot_added(self, kind: str = "supergroup", *, status: str = "member") -> Update:
        new_member: dict[str, Any] = {"user": BOT_USER, "status": status}
        if status == "administrator":
            new_member.update(_ADMIN_RIGHTS)
        member = {
            "chat": group_chat(kind),
            "from": self.factory.user(),
            "date": int(time.time()),
            "old_chat_member": {"user": BOT_USER, "status": "left"},
            "new_chat_member": new_member,
        }
        return self.update("my_chat_member", member)


_ADMIN_RIGHTS: dict[str, Any] = {
    "can_be_edited": False,
    "is_anonymous": False,
    "can_manage_chat": True,
    "can_delete_messages": True,
    "can_manage_video_chats": False,
    "can_restrict_members": False,
    "can_promote_members": False,
    "can_change_info": False,
    "can_invite_users": False,
    "can_post_stories": False,
    "can_edit_stories": False,
    "can_delete_stories": False,
}


def media_fields(text: str) -> list[dict[str, Any]]:
    """Message bodies that carry `text` somewhere other than `text`."""
    file = {"file_id": "f1", "file_unique_id": "u1"}
    photo = [{**file, "width": 10, "height": 10}]
    return [
        {"photo": photo, "caption": text},
        {"document": {**file, "file_name": f"{text}.pdf"}},
        {"contact": {"phone_number": "0701740605", "first_name": text}},
        {
            "poll": {
                "id": "p1",
                "question": text,
                "options": [
                    {"text": "ja", "voter_count": 0, "persistent_id": "a"},
                    {"text": "nej", "voter_count": 0, "persistent_id": "b"},
                ],
                "total_voter_count": 0,
                "is_closed": False,
                "is_anonymous": True,
                "type": "regular",
                "allows_multiple_answers": False,
                "allows_revoting": False,
                "members_only": False,
            }
        },
        {
            "venue": {
                "location": {"latitude": 59.3, "longitude": 18.0},
                "title": text,
                "address": "Exempelgatan 1",
            }
        },
        {
            "text": text,
            "forward_origin": {
                "type": "hidden_user",
                "sender_user_name": "Någon",
                "date": int(time.time()),
            },
        },
        {"text": "se detta", "quote": {"text": text, "position": 0}},
    ]


def other_kinds() -> list[dict[str, Any]]:
    """Message bodies without any text: a sticker, a location, a dice, a voice message."""
    file = {"file_id": "f2", "file_unique_id": "u2"}
    return [
        {
            "sticker": {
                **file,
                "width": 5,
                "height": 5,
                "is_animated": False,
                "is_video": False,
                "type": "regular",
                "emoji": "🙂",
            }
        },
        {"location": {"latitude": 59.3293, "longitude": 18.0686}},
        {"dice": {"emoji": "🎲", "value": 3}},
        {"voice": {**file, "duration": 2}},
        {"photo": [{**file, "width": 10, "height": 10}]},
    ]
