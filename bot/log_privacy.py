"""Keep personnummer, and the libraries' request logs, out of the bot's logs.

Our own code never logs message text (DESIGN.md §7); this module is the safety net for what
slips through anyway: a number inside an exception message, an argument, or a library's
debug output. Call ``install_log_privacy()`` once, after the logging handlers are configured
(e.g. after ``logging.basicConfig``); handlers added later do not get the filter.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from types import MappingProxyType
from typing import Final

from bot.services.privacy import mask_personal_numbers

__all__ = ["QUIET_LOGGERS", "RedactingFilter", "install_log_privacy"]

# The lowest level at which each library's records may reach a handler. Their lower levels
# carry exactly what must not be logged:
# - httpx logs every request at INFO, "HTTP Request: POST https://api.telegram.org/bot<token>/
#   sendMessage ...": the bot token in the URL, and for GET requests the query string.
# - httpcore logs connection and header events at DEBUG.
# - telegram's Bot logs every Bot API call at DEBUG with its parameters and return value
#   ("Calling Bot API endpoint `sendMessage` with parameters ..."), i.e. the text of every
#   message sent and received. Its INFO records are lifecycle events (start, stop), which are
#   useful and carry no payload, so it is capped at INFO even when the root logs DEBUG.
# - aiosqlite logs every statement at DEBUG with its parameters ("executing ... (4242,)"), and
#   sqlalchemy logs statements, parameters and result rows at INFO/DEBUG when its logger is
#   raised: Telegram user ids, admins' notes, contact details. SQLAlchemy's own `echo` is a
#   debugging tool for a developer's machine, not for a server with real users.
QUIET_LOGGERS: Final[Mapping[str, int]] = MappingProxyType(
    {
        "httpx": logging.WARNING,
        "httpcore": logging.WARNING,
        "telegram": logging.INFO,
        "aiosqlite": logging.WARNING,
        "sqlalchemy": logging.WARNING,
    }
)

_UNFORMATTABLE: Final = "[log message could not be formatted; arguments dropped] "
_TRACEBACK_FORMATTER: Final = logging.Formatter()


class RedactingFilter(logging.Filter):
    """Mask personal numbers in a record and drop the quiet loggers' low-level records.

    The record is changed in place, so every handler after this one sees the masked version.
    """

    def __init__(self, quiet_loggers: Mapping[str, int] = QUIET_LOGGERS) -> None:
        super().__init__()
        self._floors = dict(quiet_loggers)

    def filter(self, record: logging.LogRecord) -> bool:
        """Return False for a quiet logger's low-level record; otherwise mask and keep it."""
        if self._below_floor(record):
            return False
        _redact_message(record)
        _redact_exception(record)
        if record.stack_info:
            record.stack_info = mask_personal_numbers(record.stack_info)
        return True

    def _below_floor(self, record: logging.LogRecord) -> bool:
        # Also enforced here, not only by logger levels (install_log_privacy), because anyone
        # may later call logging.getLogger("telegram.ext").setLevel(logging.DEBUG).
        name = record.name
        while True:
            floor = self._floors.get(name)
            if floor is not None:
                return record.levelno < floor
            name, dot, _ = name.rpartition(".")
            if not dot:
                return False


def install_log_privacy(root: logging.Logger | None = None) -> None:
    """Attach a ``RedactingFilter`` to every handler of ``root`` and quieten chatty loggers.

    ``root`` defaults to the root logger. Calling this twice adds no second filter.
    """
    # The filter goes on the handlers, not on the logger: a logger's own filters only see
    # records created by that very logger (Logger.handle), not the ones that propagate up from
    # child loggers such as "telegram.ext.Application" or "bot.services.contacts". A handler's
    # filters see every record the handler is about to emit, whichever logger created it.
    # Handlers attached directly to other loggers are not covered; the project attaches
    # handlers to the root logger only.
    logger = root if root is not None else logging.getLogger()
    handlers = list(logger.handlers)
    if root is None and logging.lastResort is not None:
        # With no handler configured, Python prints WARNING and above through lastResort.
        handlers.append(logging.lastResort)
    for handler in handlers:
        if not any(isinstance(existing, RedactingFilter) for existing in handler.filters):
            handler.addFilter(RedactingFilter())

    # Setting the level stops the records from being created at all; the filter above is the
    # backstop. A logger left at NOTSET inherits from its parent, so capping "telegram" also
    # caps "telegram.ext", "telegram._bot" and the rest when the root is at DEBUG. A stricter
    # level someone chose already is kept.
    for name, floor in QUIET_LOGGERS.items():
        quiet = logging.getLogger(name)
        if quiet.level < floor:
            quiet.setLevel(floor)


def _redact_message(record: logging.LogRecord) -> None:
    try:
        message = record.getMessage()
    except Exception:  # msg % args can raise whatever an argument's __str__ raises
        # Left alone, the handler would report the failure through Handler.handleError, which
        # prints record.msg and record.args to stderr unmasked. Keep the (masked) template only.
        template = record.msg if isinstance(record.msg, str) else type(record.msg).__name__
        record.msg = _UNFORMATTABLE + mask_personal_numbers(template)
        record.args = ()
        return
    masked = mask_personal_numbers(message)
    if masked != message:
        record.msg = masked
        record.args = ()


def _redact_exception(record: logging.LogRecord) -> None:
    if record.exc_info:
        # An earlier handler's formatter may already have cached the traceback text.
        text = record.exc_text or _TRACEBACK_FORMATTER.formatException(record.exc_info)
    elif record.exc_text:
        text = record.exc_text
    else:
        return
    masked = mask_personal_numbers(text)
    if masked != text:
        # Formatters print exc_text when it is set; exc_info goes, because the exception object
        # still holds the number and some handlers (error trackers, JSON formatters) read it.
        record.exc_text = masked
        record.exc_info = None
