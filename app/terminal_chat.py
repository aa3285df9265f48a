"""`kontaktlotsen chat`: the real bot in a terminal, through the emulated Bot API.

The bot's messages are printed as plain text with numbered buttons; the user types text, a
command, or the number of a button. No token and no network are needed.
"""

from __future__ import annotations

import asyncio
import html
import re
import sys
from collections.abc import Callable
from typing import Any, TextIO

from app.transport import ApiCall, EmulatedBotApi, SentMessage, UpdateFactory
from bot.config import Settings

TAG = re.compile(r"<[^>]+>")
BUTTON_NUMBER = re.compile(r"^\s*([0-9]{1,2})\s*$")


def html_to_text(text: str) -> str:
    return html.unescape(TAG.sub("", text))


class TerminalBotApi(EmulatedBotApi):
    """Prints what the bot sends and remembers the last buttons so a number can press one."""

    def __init__(self, out: TextIO) -> None:
        super().__init__()
        self.out = out
        self.buttons: list[tuple[str, str, SentMessage]] = []

    def on_call(self, call: ApiCall) -> None:
        params = call.params
        if call.method in ("sendMessage", "editMessageText", "sendPhoto"):
            text = str(params.get("text") or params.get("caption") or "")
            if call.method == "sendPhoto":
                text = "[bild] " + text
            self.out.write("\n" + html_to_text(text) + "\n")
            self._show_buttons(call)
        elif call.method == "sendDocument":
            name = next(iter(call.files.values()), ("?", b""))[0]
            caption = html_to_text(str(params.get("caption") or ""))
            self.out.write(f"\n[fil: {name}] {caption}\n")
        elif call.method == "sendContact":
            self.out.write(f"\n[kontakt] {params['first_name']}, {params['phone_number']}\n")
        elif call.method == "answerCallbackQuery" and params.get("text"):
            self.out.write(f"\n({html_to_text(str(params['text']))})\n")
        self.out.flush()

    def _show_buttons(self, call: ApiCall) -> None:
        markup: dict[str, Any] | None = call.params.get("reply_markup")
        if not markup or "inline_keyboard" not in markup:
            return
        chat_id = int(call.params["chat_id"])
        message = self._latest_message(chat_id, call)
        self.buttons = []
        for row in markup["inline_keyboard"]:
            for button in row:
                if "callback_data" in button and message is not None:
                    self.buttons.append((button["text"], button["callback_data"], message))
        for number, (label, _, _) in enumerate(self.buttons, start=1):
            self.out.write(f"  [{number}] {label}\n")

    def _latest_message(self, chat_id: int, call: ApiCall) -> SentMessage | None:
        if "message_id" in call.params:
            return self.state.messages.get((chat_id, int(call.params["message_id"])))
        ids = [mid for (cid, mid) in self.state.messages if cid == chat_id]
        return self.state.messages[(chat_id, max(ids))] if ids else None


async def run_chat(
    settings: Settings,
    *,
    read_line: Callable[[], str] | None = None,
    out: TextIO | None = None,
) -> None:
    """Run the bot against the terminal until end of input or /quit."""
    from app.application import build_application  # the CLI imports this module for `chat` only

    out = out or sys.stdout  # looked up at call time, so redirected output is honoured
    api = TerminalBotApi(out)
    application = build_application(settings, request=api, rate_limit=False)
    reader = read_line or (lambda: input("> "))
    async with application:
        await application.start()
        factory = UpdateFactory(application.bot, language_code=settings.default_language)
        out.write(
            "Kontaktlotsen i terminalen. Skriv som i Telegram; en siffra trycker på en knapp; "
            "/quit avslutar.\n"
        )
        await application.process_update(factory.message("/start"))
        while True:
            try:
                line = await asyncio.to_thread(reader)
            except (EOFError, KeyboardInterrupt):
                break
            if line.strip() in ("/quit", "/exit"):
                break
            chosen = BUTTON_NUMBER.match(line)
            if chosen and 1 <= int(chosen.group(1)) <= len(api.buttons):
                _, data, message = api.buttons[int(chosen.group(1)) - 1]
                update = factory.callback(data, message)
            else:
                update = factory.message(line)
            await application.process_update(update)
        await application.stop()
