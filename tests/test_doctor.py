"""`kontaktlotsen doctor`: one line per check, non-zero exit on any failure."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from app.cli import main
from app.doctor import FAIL, OK, Line, diagnose
from app.transport import ApiCall
from bot.config import Settings
from tests.fakes import RecordingBotApi
from tests.test_service_http import drop_newest_head

GOOD = {"telegram_bot_token": "123456:GOOD", "city_admin_ids": (42,), "seed_example_data": False}


def marks(lines: list[Line]) -> list[str]:
    return [line.mark for line in lines]


def failed(lines: list[Line]) -> list[str]:
    return [line.text for line in lines if line.mark == FAIL]


async def test_a_good_configuration_passes_every_check(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    settings = make_settings(**GOOD)
    lines = await diagnose(lambda: settings, request=api)
    assert set(marks(lines)) == {OK}, [str(line) for line in lines]
    texts = [line.text for line in lines]
    assert "Databasen svarar." in texts
    assert "Databasens schema är aktuellt." in texts
    assert "Telegram godkänner token: @kontaktlotsen_bot." in texts
    assert "Ingen webhook är registrerad (polling)." in texts
    assert "GOOD" not in "\n".join(texts)  # the token is never printed


async def test_english_on_request(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    lines = await diagnose(lambda: make_settings(**GOOD), lang="en", request=api)
    assert "The database answers." in [line.text for line in lines]


async def test_an_unreachable_database_fails(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    url = "postgresql+asyncpg://postgres@127.0.0.1:1/kontaktlotsen"
    lines = await diagnose(lambda: make_settings(**GOOD, database_url=url), request=api)
    problems = failed(lines)
    assert len(problems) == 1
    assert problems[0].startswith("Databasen svarar inte: ")


async def test_a_bad_token_fails(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    def unauthorized(call: ApiCall) -> tuple[int, dict[str, Any]] | None:
        return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}

    api.failure = unauthorized
    lines = await diagnose(lambda: make_settings(**GOOD), request=api)
    problems = failed(lines)
    assert len(problems) == 1
    assert problems[0].startswith("Telegram godkänner inte token (InvalidToken)")
    assert "GOOD" not in "\n".join(str(line) for line in lines)  # never the token
    assert not api.calls_of("getWebhookInfo")


async def test_a_schema_behind_the_code_fails(
    make_settings: Callable[..., Settings], api: RecordingBotApi
) -> None:
    settings = make_settings(**GOOD)
    await drop_newest_head(settings.database_url)
    lines = await diagnose(lambda: settings, request=api)
    problems = failed(lines)
    assert len(problems) == 1
    assert problems[0].startswith("Databasens schema ligger efter (saknar 0")
    assert "kontaktlotsen migrate" in problems[0]


class WebhookInfoApi(RecordingBotApi):
    def __init__(self, url: str, error: str | None = None) -> None:
        super().__init__()
        self.info: dict[str, Any] = {"url": url, "has_custom_certificate": False}
        self.info["pending_update_count"] = 3
        if error:
            self.info["last_error_message"] = error
            self.info["last_error_date"] = int(datetime.now(UTC).timestamp())

    def answer(self, call: ApiCall) -> Any:
        return self.info if call.method == "getWebhookInfo" else super().answer(call)


WEBHOOK = {"webhook_url": "https://bot.example.com/telegram", "webhook_secret_token": "s3cret"}


@pytest.mark.parametrize(
    ("registered", "error", "expected"),
    [
        ("", None, "Ingen webhook registrerad ännu: boten registrerar den vid start."),
        ("https://bot.example.com/telegram", None, "Webhooken är registrerad; 3 uppdateringar"),
        ("https://other.example.com/x", None, "En annan webhook är registrerad"),
        ("https://bot.example.com/telegram", "Wrong response from the webhook: 403 Forbidden",
         "Telegram når inte webhooken: Wrong response from the webhook: 403 Forbidden"),
    ],
    ids=["not-yet", "registered", "other-url", "recent-error"],
)  # fmt: skip
async def test_the_webhook_registration_is_checked(
    make_settings: Callable[..., Settings], registered: str, error: str | None, expected: str
) -> None:
    settings = make_settings(**GOOD, **WEBHOOK)
    lines = await diagnose(lambda: settings, request=WebhookInfoApi(registered, error))
    assert any(line.text.startswith(expected) for line in lines), [str(x) for x in lines]
    assert bool(failed(lines)) == (expected.startswith(("En annan", "Telegram når inte")))


async def test_unreadable_settings_are_one_failed_check(api: RecordingBotApi) -> None:
    def broken() -> Settings:
        return Settings(_env_file=None, stale_after_days=0)  # type: ignore[call-arg]

    lines = await diagnose(broken, request=api)
    assert marks(lines)[0] == FAIL
    assert "STALE_AFTER_DAYS" in lines[1].text


def test_a_malformed_secret_is_refused_without_being_repeated() -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(_env_file=None, webhook_secret_token="not a valid secret!")  # type: ignore[call-arg,arg-type]
    assert "WEBHOOK_SECRET_TOKEN" in str(refused.value)
    assert "not a valid secret" not in str(refused.value)


def test_the_command_prints_lines_and_exits_non_zero_on_failure(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:1/nothing")
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["doctor", "--lang", "en"]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("✓ The settings can be read")
    assert any(line.startswith("✗ The database does not answer: ") for line in out)
    assert out[-1] == "✗ TELEGRAM_BOT_TOKEN is missing: the bot can only run the terminal chat."
