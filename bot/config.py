"""Settings, read once from the environment and `.env` and passed down from `main()`."""

from __future__ import annotations

import re
from datetime import time
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

# Telegram usernames: 5–32 characters, a letter first, then letters, digits and underscores.
USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{4,31}$")


def clean_username(value: str | None) -> str | None:
    """A bot username as typed ("@kontaktlotsen_bot" or without the @), or None when empty."""
    if value is None:
        return None
    name = value.strip().removeprefix("@")
    if not name:
        return None
    if not USERNAME.match(name):
        raise ValueError("is not a Telegram username (5–32 letters, digits or _)")
    return name


Language = Literal["sv", "en"]
SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    """Every setting of the bot; `.env.example` documents each one."""

    # An error names the setting and the rule, never the value: it may be a secret.
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    # The bot's username for deep links and posters when there is no token to ask `getMe`
    # (with a token, `getMe` decides). "@kontaktlotsen_bot" or "kontaktlotsen_bot".
    telegram_bot_username: str | None = None
    database_url: str = "sqlite+aiosqlite:///kontaktlotsen.sqlite3"
    city_admin_ids: Annotated[tuple[int, ...], NoDecode] = ()
    default_language: Language = "sv"
    timezone: str = "Europe/Stockholm"
    seed_example_data: bool = True
    stale_after_days: int = Field(default=90, ge=1, le=3650)
    office_hours_start: time = time(8, 0)
    office_hours_end: time = time(16, 30)
    # How often a running bot reads the directory's and the contacts' revisions, so a change
    # made by another process (an import, a handover) shows on its cards within seconds.
    directory_refresh_seconds: float = Field(default=5.0, gt=0)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Key for the pseudonyms that replace an erased user's id in the audit log (/glom_mig).
    # Unset: the bot makes a random key once and keeps it in the database (docs/integritet.md).
    pseudonym_key: SecretStr | None = None
    # Delivered, failed and cancelled notifications are deleted this many days after they
    # were written; 0 keeps them.
    outbox_retention_days: int = Field(default=30, ge=0, le=3650)
    # Audit entries older than this are deleted; 0 (the default) keeps them until the
    # controller's gallringsbeslut says otherwise.
    audit_retention_days: int = Field(default=0, ge=0, le=36500)
    # A guide left unfinished this long is forgotten: its path says which answers were given.
    guide_idle_hours: int = Field(default=24, ge=0, le=24 * 365)
    # Webhook mode (`kontaktlotsen run --webhook`): Telegram posts updates to WEBHOOK_URL (HTTPS,
    # usually a reverse proxy) which forwards them to WEBHOOK_LISTEN:WEBHOOK_PORT; every request
    # must carry WEBHOOK_SECRET_TOKEN. /healthz and /metrics are served on the same port.
    webhook_url: str | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=0, le=65535)
    webhook_secret_token: SecretStr | None = None
    # Polling mode: /healthz and /metrics on METRICS_LISTEN:METRICS_PORT when a port is set.
    metrics_listen: str = "127.0.0.1"
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    # After "Jag har gjort anmälan", the bot offers to ask this many days later whether social
    # services gave feedback; an unanswered check-in is deleted this many days after it was due.
    checkin_days: int = Field(default=21, ge=1, le=365)
    checkin_expire_days: int = Field(default=30, ge=1, le=365)
    # Whom /mina_uppgifter names for questions about personal data (e.g. the data protection
    # officer of the administration that runs the bot). Empty: a general sentence.
    privacy_contact: str = ""

    @field_validator("webhook_url", "webhook_secret_token", "metrics_port", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        # `.env.example` lists these as `KEY=`: empty means not set.
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _https_only(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("https://"):
            raise ValueError("WEBHOOK_URL must start with https:// (Telegram requires HTTPS)")
        return value

    @field_validator("webhook_secret_token")
    @classmethod
    def _telegram_secret(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram's rule for secret_token: 1–256 characters A–Z, a–z, 0–9, _ and -.
        if value is not None and not SECRET_TOKEN.fullmatch(value.get_secret_value()):
            raise ValueError("WEBHOOK_SECRET_TOKEN: 1–256 characters A-Z, a-z, 0-9, _ or -")
        return value

    # At start, an unreachable database or Telegram is tried this many times, waiting
    # START_RETRY_SECONDS, then twice as long each time (at most 60 s), before giving up.
    start_attempts: int = Field(default=10, ge=1, le=1000)
    start_retry_seconds: float = Field(default=1.0, gt=0, le=60)

    @field_validator("city_admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        # Operators write "123,456" in .env; JSON lists are accepted too.
        if isinstance(value, str):
            parts = [p.strip() for p in value.replace(";", ",").split(",")]
            return tuple(int(p) for p in parts if p)
        if isinstance(value, int):
            return (value,)
        return value

    @field_validator("telegram_bot_username", mode="after")
    @classmethod
    def _username(cls, value: str | None) -> str | None:
        return clean_username(value)

    @property
    def webhook_path(self) -> str:
        """The path of WEBHOOK_URL: where the local server takes Telegram's requests."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def has_token(self) -> bool:
        return self.telegram_bot_token is not None and bool(
            self.telegram_bot_token.get_secret_value().strip()
        )
