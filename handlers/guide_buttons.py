"""Guide buttons: an answer, Nästa, Tillbaka, Börja om or Avbryt, checked against the stored step.

Callback data `g:<step>:<answer>` (an option id, "next", "back", "restart" or "cancel"). A press
for another step than the current one is answered "that step is no longer current" and the
current step is shown again; data the guide cannot have produced is answered politely and
nothing is written.
"""

from __future__ import annotations

from telegram import CallbackQuery, Update

from bot.services.guide import (
    CANCEL,
    RESTART,
    GuidePosition,
    StaleStep,
    apply,
    current_node,
    decode_callback,
    start,
)
from bot.services.guide_sessions import StoredGuide, delete_guide_session, load_guide_session
from bot.services.guide_summary import summarise
from bot.services.usage import count_guide_completed, count_guide_started
from handlers.checkin import done_keyboard
from handlers.common import Action, BotContext, reply, user_action
from handlers.guide_begin import cancel
from handlers.guide_contacts import render
from handlers.guide_messages import (
    ids,
    pressed_id,
    save,
    show_and_save,
    show_in_place,
    show_new,
    strip_buttons,
)
from handlers.guide_render import restart_keyboard, summary_text
from handlers.questions import END


async def refuse(query: CallbackQuery, action: Action) -> None:
    """Forged or broken data: a polite answer, and nothing else."""
    await query.answer(
        action.tr._("Den knappen känner jag inte igen. Skriv /anmalan för att öppna guiden."),
        show_alert=True,
    )


async def not_running(update: Update, context: BotContext, action: Action) -> int:
    """A guide button, but the user has no guide going (cancelled, finished, or reset)."""
    query = update.callback_query
    assert query is not None
    await query.answer(action.tr._("Det steget gäller inte längre."))
    await strip_buttons(context, ids(update)[1], pressed_id(query))
    await reply(
        update,
        action.tr._("Guiden är inte igång längre. Vill du börja om?"),
        reply_markup=restart_keyboard(action.services.guide, action.tr),
    )
    return END


async def show_current_again(
    update: Update, context: BotContext, action: Action, stored: StoredGuide
) -> int:
    """A button from an older step: say so and show the step the user is at."""
    query = update.callback_query
    assert query is not None and stored.position is not None
    await query.answer(action.tr._("Det steget gäller inte längre. Här är steget du är på nu."))
    text, keyboard = await render(action, context.services.guide, stored.position)
    replaces = (pressed_id(query), stored.message_id)
    return await show_and_save(
        update, context, action, stored.position, text, keyboard, replaces=replaces
    )


async def press(update: Update, context: BotContext) -> object:
    """A guide button: an answer, Nästa, Tillbaka, Börja om or Avbryt."""
    query = update.callback_query
    assert query is not None
    guide = context.services.guide
    decoded = decode_callback(guide, query.data or "")
    if decoded is not None and decoded[1] == CANCEL:
        return await cancel(update, context)
    async with user_action(update, context) as action:
        if decoded is None:  # data the guide cannot have made: forged
            await refuse(query, action)
            return None
        node_id, answer = decoded
        stored = await load_guide_session(action.session, guide, ids(update)[0])
        old = stored.position if stored else None
        if old is None:
            if answer != RESTART:
                return await not_running(update, context, action)
            await count_guide_started(action.session, action.today)  # after the checklist
            await query.answer()
            return await move(update, context, action, stored, start(guide))
        try:  # decode_callback let through only answers the step offers: no InvalidAnswer
            new = apply(guide, old, node_id, answer)
        except StaleStep:
            assert stored is not None
            return await show_current_again(update, context, action, stored)
        await query.answer()
        return None if new == old else await move(update, context, action, stored, new)


async def send_summary(update: Update, action: Action, position: GuidePosition) -> None:
    """After the checklist: a summary to keep, and the offer to ask about feedback later."""
    services = action.services
    summary = summarise(services.guide, position, services.now(), action.tr.language)
    socialjour = await services.cards.socialjour(action.session, action.today)
    text = summary_text(summary, socialjour, services.cards.emergency_number, action.tr)
    await reply(update, text, reply_markup=done_keyboard(action.tr))


async def move(
    update: Update,
    context: BotContext,
    action: Action,
    stored: StoredGuide | None,
    new: GuidePosition,
) -> int:
    """Show the step `new` and store it; at the checklist, forget the place instead."""
    guide = context.services.guide
    text, keyboard = await render(action, guide, new)
    stored_message = stored.message_id if stored else None
    leaving = current_node(guide, stored.position) if stored and stored.position else None
    # A step that showed directory entries keeps its text; the next step comes below it.
    if leaving is None or leaving.kind == "contact":
        replaces = (pressed_id(update.callback_query), stored_message)
        message_id = await show_new(update, context, text, keyboard, replaces=replaces)
    else:
        message_id = await show_in_place(
            update, context, text, keyboard, stored_message=stored_message
        )
    if current_node(guide, new).terminal:
        await delete_guide_session(action.session, ids(update)[0])
        await count_guide_completed(action.session, action.today)  # follow-up figures
        await send_summary(update, action, new)
        return END
    return await save(update, action, new, message_id)
