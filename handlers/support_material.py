"""/stodmaterial (/support_material): where the city's support material for cooperation is.

The 2016 motion's first demand is that the city's stödmaterial for cooperation between school
and social services is spread and used; the guide's last step and /hjalp point here.
Source: the city's page for schools, https://leverantor.stockholm/fristaende-forskola-skola/samverkan-mellan-skola-och-socialtjanst/
(domain.md §2.8).
"""

from __future__ import annotations

from telegram import Update

from bot.i18n import Translator
from handlers.common import BotContext, reply, user_action

PAGE = "https://leverantor.stockholm/fristaende-forskola-skola/samverkan-mellan-skola-och-socialtjanst/"


def support_material_text(tr: Translator) -> str:
    return tr._(
        "📘 <b>Stödmaterial för samverkan mellan skolan och socialtjänsten</b>\n\n"
        "Stockholms stads vägledning och uppslagsverk för skolor: hur ansvaret är fördelat, och "
        "när, vad, av vem och hur skolan och socialtjänsten ska samarbeta. Den gäller kommunala "
        "och fristående skolor.\n\n"
        "Du hittar den (som pdf) på stadens sida om samverkan mellan skola och socialtjänst:\n"
        "{url}\n\n"
        "Där finns också länsöverenskommelsen om BUS och om SIP.\n\n"
        "<i>Källa: Stockholms stad, leverantor.stockholm.</i>"
    ).format(url=PAGE)


async def show_support_material(update: Update, context: BotContext) -> None:
    async with user_action(update, context) as action:
        await reply(update, support_material_text(action.tr))
