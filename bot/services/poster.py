"""A poster per school for the staff room: A4, the school's name, a QR code of its deep link.

One layout, two renderings: the PDF (fpdf2, for printing) and the PNG (Pillow, to send in a
chat or put on an intranet). Both use DejaVu Sans, the TrueType font matplotlib ships (a
dependency already), so å, ä and ö – and any name in the directory – render the same in both;
the layout measures text with that font, so the lines break at the same words.

The QR code (segno, error correction M, a quiet zone of four modules) is drawn as a 1-bit image,
so it prints sharp and a scanner – or a test – reads it back from either file.
"""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.i18n import N_, Translator
from bot.models import Area, School
from bot.services.contact_cards import ContactCards
from bot.services.deeplinks import deep_link, school_payload
from bot.services.phones import tappable

if TYPE_CHECKING:  # PIL, fpdf, segno and matplotlib's fonts load when a poster is drawn
    from PIL import Image, ImageFont

A4 = (210.0, 297.0)  # mm
MARGIN = 18.0
QR_SIZE = 105.0  # mm, quiet zone included: scannable from across a staff room
PNG_DPI = 150
PT = 25.4 / 72  # one typographic point in mm
QR_MODULE_PX = 16  # pixels per module of the QR image inside the PDF (about 300 dpi)

TITLE = N_("Orolig för ett barn på skolan?")
CALL_TO_ACTION = N_("Skanna koden med mobilen – Kontaktlotsen öppnas i Telegram.")
WHAT_IT_DOES = N_(
    "Boten visar vem i socialtjänsten skolan kontaktar, vart en orosanmälan ska och hur du "
    "gör den steg för steg. Tryck Följ skolan så får du besked när kontaktpersonen byts."
)
NEVER_NAMES = N_(
    "Den frågar aldrig efter barnets namn eller personnummer – skriv dem aldrig i chatten."
)
ACUTE = N_("Akut fara för ett barn: ring 112.")
AFTER_HOURS = N_("Efter kontorstid: socialjouren, {phone}.")
EXAMPLE = N_("EXEMPELDATA – påhittade kontaktuppgifter. Ring inte.")


@dataclass(frozen=True)
class PosterFacts:
    """What a poster says; only directory data and the link, nothing about anyone."""

    school: str
    area: str
    link: str
    socialjour_phone: str | None
    is_example: bool


@dataclass(frozen=True)
class Line:
    text: str
    size: float  # points
    bold: bool
    baseline: float  # mm from the top of the page


@dataclass(frozen=True)
class Layout:
    lines: tuple[Line, ...]
    qr_top: float  # mm
    qr_size: float  # mm
    link: str


@cache
def font_path(bold: bool) -> Path:
    from matplotlib import get_data_path  # the DejaVu fonts only, not pyplot

    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return Path(get_data_path()) / "fonts" / "ttf" / name


@cache
def _font(bold: bool, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(font_path(bold)), size)


def _measure_font(bold: bool) -> ImageFont.FreeTypeFont:
    return _font(bold, 100)


def text_width(text: str, size: float, bold: bool) -> float:
    """The width of `text` in mm at `size` points."""
    return _measure_font(bold).getlength(text) / 100 * size * PT


def wrap(text: str, size: float, bold: bool, width: float) -> list[str]:
    """Break `text` into lines no wider than `width` mm (a word too long stays whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and text_width(candidate, size, bold) > width:
            lines.append(current)
            current = word
        else:
            current = candidate
    return [*lines, current] if current else lines


class _Flow:
    """Places centred blocks of text from the top of the page down."""

    def __init__(self, top: float) -> None:
        self.y = top
        self.lines: list[Line] = []

    def block(self, text: str, size: float, *, bold: bool = False, after: float = 4.0) -> None:
        for part in wrap(text, size, bold, A4[0] - 2 * MARGIN):
            self.y += size * PT * 1.25
            self.lines.append(Line(part, size, bold, self.y))
        self.y += after


def layout(facts: PosterFacts, tr: Translator) -> Layout:
    """Where every line and the QR code go on the A4 page."""
    flow = _Flow(MARGIN)
    if facts.is_example:
        flow.block(tr._(EXAMPLE), 11, bold=True, after=3)
    flow.block("Kontaktlotsen", 14, bold=True, after=2)
    flow.block(facts.school, 30 if len(facts.school) <= 28 else 22, bold=True, after=1)
    flow.block(tr._("stadsdelsområde {area}").format(area=facts.area), 12, after=6)
    flow.block(tr._(TITLE), 20, bold=True, after=1)
    flow.block(tr._(CALL_TO_ACTION), 13, after=3)
    qr_top = flow.y
    flow.y += QR_SIZE
    flow.block(facts.link.removeprefix("https://"), 10, after=5)
    flow.block(tr._(WHAT_IT_DOES), 12, after=3)
    flow.block(tr._(NEVER_NAMES), 12, bold=True, after=6)
    flow.block(tr._(ACUTE), 16, bold=True, after=1)
    phone = tappable(facts.socialjour_phone)
    if phone:
        flow.block(tr._(AFTER_HOURS).format(phone=phone), 12)
    return Layout(tuple(flow.lines), qr_top, QR_SIZE, facts.link)


def qr_image(link: str, module_px: int) -> Image.Image:
    import segno
    from PIL import Image

    """The QR code of `link` as a 1-bit image with its quiet zone (4 modules)."""
    buffer = io.BytesIO()
    segno.make(link, error="m", micro=False).save(
        buffer, kind="png", scale=module_px, border=4, dark="black", light="white"
    )
    buffer.seek(0)
    with Image.open(buffer) as image:
        return image.convert("1")


def render_pdf(page: Layout) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_creator("Kontaktlotsen")
    pdf.add_font("DejaVu", "", str(font_path(False)))
    pdf.add_font("DejaVu", "B", str(font_path(True)))
    pdf.add_page()
    for line in page.lines:
        pdf.set_font("DejaVu", "B" if line.bold else "", line.size)
        width = pdf.get_string_width(line.text)
        pdf.text((A4[0] - width) / 2, line.baseline, line.text)
    qr = qr_image(page.link, QR_MODULE_PX)
    pdf.image(qr, x=(A4[0] - page.qr_size) / 2, y=page.qr_top, w=page.qr_size, h=page.qr_size)
    return bytes(pdf.output())


def render_png(page: Layout, dpi: int = PNG_DPI) -> bytes:
    from PIL import Image, ImageDraw

    px = dpi / 25.4  # pixels per mm
    image = Image.new("L", (round(A4[0] * px), round(A4[1] * px)), 255)
    draw = ImageDraw.Draw(image)
    for line in page.lines:
        font = _font(line.bold, round(line.size * PT * px))
        draw.text((image.width / 2, line.baseline * px), line.text, font=font, fill=0, anchor="ms")
    side = round(page.qr_size * px)
    qr = qr_image(page.link, 1).resize((side, side), Image.Resampling.NEAREST)
    image.paste(qr, (round((A4[0] - page.qr_size) / 2 * px), round(page.qr_top * px)))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", dpi=(dpi, dpi))
    return buffer.getvalue()


def render(facts: PosterFacts, tr: Translator, kind: str) -> bytes:
    """The poster as "pdf" or "png" bytes."""
    page = layout(facts, tr)
    return render_pdf(page) if kind == "pdf" else render_png(page)


async def facts_for_school(
    session: AsyncSession, directory: ContactCards, school_id: int, username: str, on: date
) -> PosterFacts | None:
    """The poster's facts for one school, its link by skolenhetskod where it has one."""
    school = await session.get(School, school_id)
    if school is None:
        return None
    area = await session.get(Area, school.area_id)
    jour = await directory.socialjour(session, on)
    return PosterFacts(
        school=school.name,
        area=area.name if area else school.area_id,
        link=deep_link(username, school_payload(school.id, school.skolenhetskod)),
        socialjour_phone=jour.phone if jour else None,
        is_example=bool(jour and jour.is_example),
    )


def file_name(school: str, kind: str) -> str:
    """ "affisch-sodra-latins-gymnasium.pdf": ASCII, safe on every file system."""
    plain = unicodedata.normalize("NFKD", school).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-") or "skola"
    return f"affisch-{slug}.{kind}"
