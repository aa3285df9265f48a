"""/anmalan and /avbryt: start the guide (or go on), and end it."""

from __future__ import annotations

from telegram import Update

from bot.services.guide import start
from bot.services.guide_sessions import delete_guide_session, load_guide_session
from bot.services.usage import count_guide_started
from handlers.common import BotContext, reply, user_action
from handlers.guide_contacts import render
from handlers.guide_messages import ids, pressed_id, show_and_save, strip_buttons
from handlers.questions import END


async def begin(update: Update, context: BotContext) -> int:
    """/anmalan: start the guide, or go on where the user left it."""
    guide = context.services.guide
    async with user_action(update, context) as action:
        stored = await load_guide_session(action.session, guide, ids(update)[0])
        position = stored.position if stored else None
        note = None
        if position is not None and len(position.path) > 1:
            note = action.tr._(
                "<i>Du fortsätter där du slutade. Tryck Börja om för att börja från början.</i>"
            )
        else:
            position = start(guide)
            await count_guide_started(action.session, action.today)  # follow-up figures
        text, keyboard = await render(action, guide, position, note=note)
        replaces = (stored.message_id if stored else None,)
        return await show_and_save(
            update, context, action, position, text, keyboard, replaces=replaces
        )


async def cancel(update: Update, context: BotContext) -> int:
    """/avbryt or the Avbryt button: end the guide and forget the place."""
    user_id, chat_id = ids(update)
    query = update.callback_query
    async with user_action(update, context) as action:
        stored = await load_guide_session(action.session, action.services.guide, user_id)
        await delete_guide_session(action.session, user_id)
        if query is not None:
            await query.answer()
            await strip_buttons(context, chat_id, pressed_id(query))
        if stored is not None:
            await strip_buttons(context, chat_id, stored.message_id)
        await reply(
            update,
            action.tr._(
                "Guiden är avbruten. Inget om barnet har sparats. "
                "Skriv /anmalan när du vill börja igen."
            ),
        )
    return END
