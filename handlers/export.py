"""/exportera (/export): the admin's directory as a file for Excel, in the import's format.

An area admin gets her areas and their schools; a city admin the whole city. The file is the
same as the command line's `kontaktlotsen export contacts --excel`, escaping included, and
`kontaktlotsen import` (or the next import) takes it back unchanged.
"""

from __future__ import annotations

from typing import Any

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CommandHandler

from bot.services.authz import require_admin
from bot.services.directory_admin import export_contacts
from bot.services.errors import NotAuthorized
from handlers.admin_common import actor_of, refuse
from handlers.common import BotContext, user_action


async def export_command(update: Update, context: BotContext) -> None:
    """Send the directory of the admin's areas as a CSV document for Excel."""
    chat = update.effective_chat
    assert chat is not None
    async with user_action(update, context) as action:
        tr = action.tr
        try:
            granted = await require_admin(action.session, actor_of(update, context), "export")
        except NotAuthorized:
            await refuse(update, tr)
            return
        data = await export_contacts(
            action.session,
            timezone=action.services.settings.timezone,
            excel=True,
            area_ids=granted.area_filter,
        )
        places = "stockholm" if granted.area_filter is None else "-".join(sorted(granted.areas))
        filename = f"kontakter-{places}-{action.today.isoformat()}.csv"
        caption = tr._(
            "Kontaktuppgifterna i dina områden, för Excel: dagens kontakt, ersättare och "
            "planerade byten med datum. Filen kan importeras tillbaka som den är."
        )
        await chat.send_document(InputFile(data, filename=filename), caption=caption)


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [CommandHandler(["exportera", "export"], export_command)]
