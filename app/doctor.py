"""`kontaktlotsen doctor`: check a configuration before going live, one line per check.

Settings, the database (reachable, schema at the code's heads), the knowledge files, the token
(`getMe`) and the webhook registration (`getWebhookInfo`). Each line starts with ✓ (fine),
! (works, but look) or ✗ (broken); any ✗ makes the exit status 1. Nothing is changed: the doctor
neither migrates nor registers a webhook.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from pydantic import ValidationError
from sqlalchemy.engine import make_url
from telegram import Bot
from telegram.error import InvalidToken, TelegramError
from telegram.request import BaseRequest

from bot.clock import utcnow
from bot.config import Settings
from bot.db import Database
from bot.health import database_status, describe_error, knowledge_problems
from bot.i18n import Translator, translator

OK, NOTE, FAIL = "✓", "!", "✗"
# A webhook error Telegram reported this recently is still happening, most likely.
RECENT_WEBHOOK_ERROR = timedelta(hours=1)


@dataclass(frozen=True)
class Line:
    mark: str
    text: str

    def __str__(self) -> str:
        return f"{self.mark} {self.text}"


def settings_lines(settings: Settings, tr: Translator) -> list[Line]:
    url = make_url(settings.database_url).render_as_string(hide_password=True)
    mode = "webhook" if settings.webhook_url else "polling"
    lines = [
        Line(
            OK,
            tr._("Inställningarna går att läsa (databas {url}, läge {mode}).").format(
                url=url, mode=mode
            ),
        )
    ]
    if settings.webhook_url and settings.webhook_secret_token is None:
        lines.append(Line(FAIL, tr._("WEBHOOK_URL är satt men WEBHOOK_SECRET_TOKEN saknas.")))
    if not settings.city_admin_ids:
        lines.append(
            Line(NOTE, tr._("CITY_ADMIN_IDS är tom: ingen kan dela ut admin-roller i boten."))
        )
    if settings.seed_example_data:
        lines.append(
            Line(
                NOTE,
                tr._(
                    "SEED_EXAMPLE_DATA=true: en tom databas får de påhittade exempelkontakterna. "
                    "Sätt false i produktion."
                ),
            )
        )
    return lines


async def database_lines(settings: Settings, tr: Translator) -> list[Line]:
    database = Database(settings.database_url)
    try:
        status = await database_status(database)
    finally:
        await database.dispose()
    if status.schema is None:
        return [Line(FAIL, tr._("Databasen svarar inte: {error}").format(error=status.error))]
    lines = [Line(OK, tr._("Databasen svarar."))]
    schema = status.schema
    if schema.at_head:
        lines.append(Line(OK, tr._("Databasens schema är aktuellt.")))
    elif schema.current - schema.heads and not schema.missing:
        unknown = ", ".join(sorted(schema.current - schema.heads))
        text = tr._("Databasen har revisioner som den här versionen inte känner till: {rev}.")
        lines.append(Line(FAIL, text.format(rev=unknown)))
    else:
        missing = ", ".join(sorted(schema.missing))
        text = tr._(
            "Databasens schema ligger efter (saknar {rev}). "
            "Kör kontaktlotsen migrate – boten gör det också när den startar."
        )
        lines.append(Line(FAIL, text.format(rev=missing)))
    return lines


def knowledge_lines(tr: Translator) -> list[Line]:
    problems = knowledge_problems(from_disk=True)
    if not problems:
        return [Line(OK, tr._("Kunskapsfilerna (områden, stadsdelar, guiden) är hela."))]
    head = Line(FAIL, tr._("Kunskapsfilerna har fel:"))
    return [head, *(Line(" ", f"  {problem}") for problem in problems)]


async def telegram_lines(
    settings: Settings, tr: Translator, request: BaseRequest | None
) -> list[Line]:
    token = settings.telegram_bot_token
    if token is None or not settings.has_token:
        return [
            Line(FAIL, tr._("TELEGRAM_BOT_TOKEN saknas: boten kan bara köra terminalchatten."))
        ]
    bot = Bot(token.get_secret_value(), base_url=settings.telegram_api_base_url, request=request)
    try:
        await bot.initialize()  # calls getMe
        me = bot.bot
        lines = [Line(OK, tr._("Telegram godkänner token: @{name}.").format(name=me.username))]
        lines.append(await webhook_line(bot, settings, tr))
    except InvalidToken as error:  # its message repeats the token: show only the kind
        text = tr._("Telegram godkänner inte token ({error}). Hämta en ny hos @BotFather.")
        return [Line(FAIL, text.format(error=type(error).__name__))]
    except TelegramError as error:
        text = tr._("Når inte Telegram: {error}")
        return [Line(FAIL, text.format(error=describe_error(error)))]
    finally:
        await bot.shutdown()
    return lines


async def webhook_line(bot: Bot, settings: Settings, tr: Translator) -> Line:
    info = await bot.get_webhook_info()
    wanted = settings.webhook_url
    if wanted is None:
        if not info.url:
            return Line(OK, tr._("Ingen webhook är registrerad (polling)."))
        text = tr._("En webhook är registrerad ({url}); i polling-läge tar boten bort den.")
        return Line(NOTE, text.format(url=info.url))
    if not info.url:
        return Line(OK, tr._("Ingen webhook registrerad ännu: boten registrerar den vid start."))
    if info.url != wanted:
        text = tr._(
            "En annan webhook är registrerad: {url}. Använder en annan installation samma token?"
        )
        return Line(FAIL, text.format(url=info.url))
    error_at = info.last_error_date
    if info.last_error_message and error_at and utcnow() - error_at < RECENT_WEBHOOK_ERROR:
        text = tr._("Telegram når inte webhooken: {error}")
        return Line(FAIL, text.format(error=info.last_error_message))
    text = tr._("Webhooken är registrerad; {count} uppdateringar väntar.")
    return Line(OK, text.format(count=info.pending_update_count))


async def diagnose(
    load_settings: Callable[[], Settings],
    lang: str | None = None,
    request: BaseRequest | None = None,
) -> list[Line]:
    """Every check's line, in order; stops after the settings when they cannot be read."""
    try:
        settings = load_settings()
    except ValidationError as error:
        tr = translator(lang or "sv")
        head = Line(FAIL, tr._("Inställningarna (.env eller miljön) har fel:"))
        details = [
            Line(" ", f"  {'.'.join(map(str, e['loc'])).upper()}: {e['msg']}")
            for e in error.errors()
        ]
        return [head, *details]
    tr = translator(lang or settings.default_language)
    lines = settings_lines(settings, tr)
    lines += await database_lines(settings, tr)
    lines += knowledge_lines(tr)
    lines += await telegram_lines(settings, tr, request)
    return lines


def run_doctor(lang: str | None, request: BaseRequest | None = None) -> int:
    """Print the checks; 0 when none failed, else 1."""
    lines = asyncio.run(diagnose(Settings, lang, request))
    for line in lines:
        print(line)
    failed = any(line.mark == FAIL for line in lines)
    return 1 if failed else 0
