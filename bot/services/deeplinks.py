"""Deep links `https://t.me/<bot>?start=<payload>`: a school's card, an area's card, the guide.

Telegram passes the payload to `/start` (at most 64 characters of A–Z, a–z, 0–9, _ and -).
Ours name a place, never a person:

    sk_<8 digits>   a school by its skolenhetskod (Skolverket's code survives a new database,
                    so printed posters use it when the school has one)
    s_<id>          a school by its id in this directory (for schools without a code)
    a_<area id>     an area (stadsdelsområde), e.g. a_bromma
    guide           the concern-report guide (/anmalan)

Anything else (forged, mistyped, a school that no longer exists) is `None`: the bot then gives
its normal welcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Area, School

GUIDE = "guide"
PAYLOAD_MAX = 64

_SCHOOL_CODE = re.compile(r"^sk_(\d{8})$")
_SCHOOL_ID = re.compile(r"^s_([1-9]\d{0,9})$")
_AREA = re.compile(r"^a_([a-z0-9][a-z0-9-]{0,39})$")


class LinkKind(StrEnum):
    SCHOOL_CODE = "school_code"
    SCHOOL_ID = "school_id"
    AREA = "area"
    GUIDE = "guide"


@dataclass(frozen=True)
class LinkTarget:
    kind: LinkKind
    ref: str = ""


def parse_payload(payload: str | None) -> LinkTarget | None:
    """What a `/start` payload asks for, by its form alone (the database decides if it exists)."""
    if not payload or len(payload) > PAYLOAD_MAX or not payload.isascii():
        return None
    if payload == GUIDE:
        return LinkTarget(LinkKind.GUIDE)
    for pattern, kind in (
        (_SCHOOL_CODE, LinkKind.SCHOOL_CODE),
        (_SCHOOL_ID, LinkKind.SCHOOL_ID),
        (_AREA, LinkKind.AREA),
    ):
        found = pattern.match(payload)
        if found:
            return LinkTarget(kind, found.group(1))
    return None


def school_payload(school_id: int, skolenhetskod: str | None = None) -> str:
    if skolenhetskod and _SCHOOL_CODE.match(f"sk_{skolenhetskod}"):
        return f"sk_{skolenhetskod}"
    return f"s_{school_id}"


def area_payload(area_id: str) -> str:
    return f"a_{area_id}"


def pick_username(
    from_get_me: str | None, configured: str | None, *, has_token: bool
) -> str | None:
    """The bot's own username from `getMe` when it talks to Telegram, else the setting."""
    if has_token and from_get_me:
        return from_get_me
    return configured


def deep_link(username: str, payload: str) -> str:
    return f"https://t.me/{username}?start={payload}"


def share_link(url: str, text: str) -> str:
    """Telegram's share dialog: the user picks a chat, the message carries `url` and `text`."""
    return f"https://t.me/share/url?url={quote(url, safe='')}&text={quote(text, safe='')}"


async def resolve_school(session: AsyncSession, target: LinkTarget) -> School | None:
    """The school a link names, or None (unknown, or not a school link)."""
    if target.kind is LinkKind.SCHOOL_CODE:
        found: School | None = await session.scalar(
            select(School).where(School.skolenhetskod == target.ref)
        )
        return found
    if target.kind is LinkKind.SCHOOL_ID:
        return await session.get(School, int(target.ref))
    return None


async def resolve_area(session: AsyncSession, target: LinkTarget) -> Area | None:
    if target.kind is LinkKind.AREA:
        return await session.get(Area, target.ref)
    return None


async def school_link_payload(session: AsyncSession, school_id: int) -> str | None:
    """The payload of a school's link, by code when it has one; None for an unknown id."""
    school = await session.get(School, school_id)
    return school_payload(school.id, school.skolenhetskod) if school else None
