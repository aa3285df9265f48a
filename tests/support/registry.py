"""Every handler the real Application registered, and what reaches each: for the tests that
must cover "every command" and "every button" without keeping a list by hand."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler

Handler = BaseHandler[Any, Any, Any]


def every_handler(handlers: list[Handler]) -> Iterator[Handler]:
    """The handlers, with each conversation's entry points, states and fallbacks unfolded."""
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from every_handler(list(handler.entry_points))
            for state in handler.states.values():
                yield from every_handler(list(state))
            yield from every_handler(list(handler.fallbacks))
        else:
            yield handler


def feature_handlers(app: Any) -> Iterator[Handler]:
    """Every handler outside the guards (groups below 0)."""
    for group, handlers in sorted(app.handlers.items()):
        if group >= 0:
            yield from every_handler(handlers)


def commands(app: Any) -> list[str]:
    found = {
        command
        for handler in feature_handlers(app)
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    return sorted(found)


def button_prefix(handler: CallbackQueryHandler[Any, Any]) -> str:
    """The literal start of the callback data a button handler's pattern accepts."""
    pattern = handler.pattern
    if isinstance(pattern, re.Pattern):
        literal = re.match(r"[\w:\-]*", pattern.pattern.lstrip("^"))
        return literal.group(0) if literal else ""
    return ""


def button_prefixes(app: Any) -> list[str]:
    found = {
        button_prefix(handler)
        for handler in feature_handlers(app)
        if isinstance(handler, CallbackQueryHandler)
    }
    return sorted(found)
