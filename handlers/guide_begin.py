"""/anmalan and /avbryt: start the guide (or, if the user says so, go on), and end it."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update

from bot.i18n import Translator
from bot.services.guide import start
from bot.services.guide_sessions import StoredGuide, delete_guide_session, load_guide_session
from bot.services.usage import count_guide_started
from handlers.common import Action, BotContext, reply, user_action
from handlers.guide_contacts import render
from handlers.guide_messages import ids, pressed_id, show_and_save, strip_buttons
from handlers.questions import END, IN_STEP

RESUME_PREFIX = "gn"
CONTINUE, NEW = "go", "new"


async def begin(update: Update, context: BotContext) -> int:
    """/anmalan: start the guide; with one unfinished, ask whether to go on or start anew.

    A new case must begin with the acute question, so an old place is never resumed silently.
    """
    guide = context.services.guide
    async with user_action(update, context) as action:
        stored = await load_guide_session(action.session, guide, ids(update)[0])
        if stored is not None and stored.position is not None and len(stored.position.path) > 1:
            text, keyboard = resume_question(action.tr)
            await reply(update, text, reply_markup=keyboard)
            return IN_STEP
        return await start_new(update, context, action, stored)


def resume_question(tr: Translator) -> tuple[str, InlineKeyboardMarkup]:
    text = tr._(
        "Du har en guide som inte är klar. Gäller det samma barn och samma oro, "
        "eller vill du börja en ny?"
    )
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    tr._("Fortsätt där jag slutade"), callback_data=f"{RESUME_PREFIX}:{CONTINUE}"
                )
            ],
            [InlineKeyboardButton(tr._("Börja en ny"), callback_data=f"{RESUME_PREFIX}:{NEW}")],
        ]
    )
    return text, keyboard


async def start_new(
    update: Update, context: BotContext, action: Action, stored: StoredGuide | None
) -> int:
    """Show the first step (the acute question) and count a started guide."""
    guide = context.services.guide
    position = start(guide)
    await count_guide_started(action.session, action.today)  # follow-up figures
    text, keyboard = await render(action, guide, position)
    replaces = (stored.message_id if stored else None,)
    return await show_and_save(
        update, context, action, position, text, keyboard, replaces=replaces
    )


async def resume(update: Update, context: BotContext) -> int:
    """The answer to "go on or start anew"; a guide finished meanwhile starts anew."""
    query = update.callback_query
    assert query is not None
    guide = context.services.guide
    async with user_action(update, context) as action:
        await query.answer()
        await strip_buttons(context, ids(update)[1], pressed_id(query))
        stored = await load_guide_session(action.session, guide, ids(update)[0])
        if (
            query.data != f"{RESUME_PREFIX}:{CONTINUE}"
            or stored is None
            or stored.position is None
        ):
            return await start_new(update, context, action, stored)
        note = action.tr._("<i>Du fortsätter där du slutade.</i>")
        text, keyboard = await render(action, guide, stored.position, note=note)
        replaces = (stored.message_id,)
        return await show_and_save(
            update, context, action, stored.position, text, keyboard, replaces=replaces
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
