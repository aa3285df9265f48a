"""Posters: A4 PDF and PNG for a shipped school, the QR code read back to the deep link."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from sqlalchemy import select

from app.application import build_application
from app.cli import main
from bot.config import Settings
from bot.i18n import translator
from bot.models import School
from bot.runtime import Services
from bot.services.poster import facts_for_school, render
from tests.fakes import ChatDriver, RecordingBotApi, texts

SCHOOL = "Södra Ängby skola"  # å, ä and ö in one name
USERNAME = "lotsen_test_bot"
CITY_ADMIN = 5550002


def qr_texts(image: Image.Image) -> list[str]:
    return [result.text for result in zxingcpp.read_barcodes(image)]


def pdf_facts(data: bytes) -> tuple[tuple[float, float], str, list[Image.Image]]:
    """The page size in points, the text, and the images of a one-page PDF."""
    reader = PdfReader(io.BytesIO(data))
    [page] = reader.pages
    size = (float(page.mediabox.width), float(page.mediabox.height))
    images = [picture.image for picture in page.images]
    return size, page.extract_text(), [image for image in images if image is not None]


async def school_facts(services: Services, language: str = "sv") -> tuple[Any, bytes, bytes]:
    async with services.database.transaction() as session:
        school_id = await session.scalar(select(School.id).where(School.name == SCHOOL))
        assert school_id is not None
        facts = await facts_for_school(
            session, services.cards, school_id, USERNAME, services.today()
        )
    assert facts is not None
    tr = translator(language)
    return facts, render(facts, tr, "pdf"), render(facts, tr, "png")


async def test_the_posters_qr_code_reads_back_as_the_schools_deep_link(
    services: Services,
) -> None:
    facts, pdf, png = await school_facts(services)
    assert facts.link.startswith(f"https://t.me/{USERNAME}?start=s_")
    with Image.open(io.BytesIO(png)) as image:
        assert image.size == (1240, 1754)  # A4 at 150 dpi
        assert qr_texts(image) == [facts.link]
    size, text, images = pdf_facts(pdf)
    assert size == pytest.approx((595.28, 841.89), abs=0.5)  # A4 in points
    assert [qr_texts(image) for image in images] == [[facts.link]]
    assert SCHOOL in text  # the font renders å, ä and ö (and the text is real text)
    assert "aldrig efter barnets namn" in text
    assert "112" in text
    assert "+46 8 465 004 99" in text  # the socialjour from the directory, tappable form
    assert "EXEMPELDATA" in text  # the example directory's number is marked


async def test_a_school_with_a_skolenhetskod_gets_a_link_by_code(services: Services) -> None:
    async with services.database.transaction() as session:
        school = await session.scalar(select(School).where(School.name == SCHOOL))
        assert school is not None
        school.skolenhetskod = "87654321"
    facts, _pdf, png = await school_facts(services, "en")
    assert facts.link == f"https://t.me/{USERNAME}?start=sk_87654321"
    with Image.open(io.BytesIO(png)) as image:
        assert qr_texts(image) == [facts.link]


async def test_the_english_poster(services: Services) -> None:
    _facts, pdf, _png = await school_facts(services, "en")
    _size, text, _images = pdf_facts(pdf)
    assert "never asks for the child's name" in text
    assert "EXAMPLE DATA" in text


def uploaded(api: RecordingBotApi, method: str) -> bytes:
    """The one file the bot uploaded with `method`."""
    [(_name, content)] = [f for m, files in api.uploads() if m == method for f in files.values()]
    return content


@pytest.fixture
def uploads_api() -> RecordingBotApi:
    return RecordingBotApi()


@pytest.fixture
async def admin_app(
    make_settings: Callable[..., Settings], uploads_api: RecordingBotApi
) -> AsyncIterator[Any]:
    settings = make_settings(city_admin_ids=(CITY_ADMIN,), telegram_bot_username=USERNAME)
    application = build_application(settings, request=uploads_api, rate_limit=False)
    async with application:
        yield application


async def run(app: Any, driver: ChatDriver, text: str) -> list[Any]:
    """Send a command handled with `block=False` on a running application; `stop()` waits
    for its task, as in production."""
    before = len(driver.api.calls)
    await app.start()
    try:
        await driver.send(text)
    finally:
        await app.stop()
    return driver.api.calls[before:]


async def test_affisch_sends_the_png_and_the_pdf_to_an_admin(
    admin_app: Any, uploads_api: RecordingBotApi
) -> None:
    admin = ChatDriver(admin_app, uploads_api, user_id=CITY_ADMIN)
    calls = await run(admin_app, admin, f"/affisch {SCHOOL}")
    assert [c.method for c in calls] == ["sendPhoto", "sendDocument"]
    with Image.open(io.BytesIO(uploaded(uploads_api, "sendPhoto"))) as image:
        [link] = qr_texts(image)
    assert link.startswith(f"https://t.me/{USERNAME}?start=s_")
    _size, text, images = pdf_facts(uploaded(uploads_api, "sendDocument"))
    assert SCHOOL in text and [qr_texts(i) for i in images] == [[link]]
    # the link opens the school's card in the bot
    teacher = ChatDriver(admin_app, uploads_api, user_id=4242)
    said = texts(await teacher.send("/start " + link.split("start=")[1]))
    assert f"<b>{SCHOOL}</b>" in said[1]


async def test_affisch_is_refused_to_staff(admin_app: Any, uploads_api: RecordingBotApi) -> None:
    teacher = ChatDriver(admin_app, uploads_api, user_id=4242)
    calls = await run(admin_app, teacher, f"/affisch {SCHOOL}")
    assert [c.method for c in calls] == ["sendMessage"]
    assert "administratörer" in texts(calls)[0]


@pytest.fixture
def cli_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, database_url: str) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    monkeypatch.setenv("TELEGRAM_BOT_USERNAME", f"@{USERNAME}")
    return tmp_path


def test_cli_poster_writes_a_pdf_and_a_png(cli_env: Path) -> None:
    assert main(["poster", "sodra angby skola"]) == 0  # the lookup forgives missing å/ä/ö
    assert main(["poster", "Södra Ängby skola", "--format", "png", "--lang", "en"]) == 0
    pdf = (cli_env / "affisch-sodra-angby-skola.pdf").read_bytes()
    assert pdf.startswith(b"%PDF")
    with Image.open(cli_env / "affisch-sodra-angby-skola.png") as image:
        [link] = qr_texts(image)
    assert link.startswith(f"https://t.me/{USERNAME}?start=s_")


def test_cli_poster_all_writes_one_per_school(cli_env: Path, database_url: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("writes 189 files; the database backend makes no difference here")
    assert main(["poster", "--all", "--out", "affischer", "--format", "png"]) == 0
    written = sorted((cli_env / "affischer").iterdir())
    assert len(written) == 189  # every shipped school
    assert len({path.name for path in written}) == len(written)


def test_cli_poster_refuses_what_it_cannot_do(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["poster", "Katarina skola"]) == 2  # two schools: it asks which
    assert "Katarina norra skola" in capsys.readouterr().err
    assert main(["poster", "--all"]) == 2  # --all needs --out
    monkeypatch.delenv("TELEGRAM_BOT_USERNAME")
    assert main(["poster", SCHOOL]) == 2
    assert "TELEGRAM_BOT_USERNAME" in capsys.readouterr().err
    assert not list(cli_env.glob("affisch-*"))
