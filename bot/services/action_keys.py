"""Idempotency keys that name their author by pseudonym, never by Telegram id.

A wizard's confirm press is recorded once: the key is "<prefix>:<author>:<token>" (prefix "ho"
for handovers, "fr" for absences). The author part is the same keyed pseudonym that erasure
writes into the audit log (`personal_data.pseudonym`), so a key carries no Telegram id in
clear and /glom_mig has nothing to find in it. Keys written by older versions, with the id in
clear, are rewritten by erasure (`personal_data.pseudonymise_legacy_keys`).
"""

from __future__ import annotations

import re
from typing import Final

from pydantic import SecretStr
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.personal_data import pseudonym, pseudonym_key

_RAW: Final = re.compile(r"^([a-z]{1,8}):([0-9]{1,16}):(.{1,40})$")


async def action_key(
    session: AsyncSession, prefix: str, user_id: int, token: str, configured: SecretStr | None
) -> str:
    """The stored key of one confirmed action by `user_id`."""
    key = await pseudonym_key(session, configured)
    return f"{prefix}:{pseudonym(user_id, key)}:{token}"


async def stored_key(session: AsyncSession, raw: str, configured: SecretStr | None) -> str:
    """`raw` ("<prefix>:<telegram id>:<token>") as stored; other keys are kept as they are."""
    found = _RAW.match(raw)
    if found is None:
        return raw
    prefix, user_id, token = found.groups()
    return await action_key(session, prefix, int(user_id), token, configured)
