"""The frame every admin wizard shares: its answers, the typed questions, the common buttons,
confirm and cancel, and the conversation itself.

A wizard's state and answers live in the database (`wizard_sessions`, through
`handlers.stored_conversation`): read before each step into `user_data[<wizard>]`, written after
it. So any replica answers the next step, and a restart mid-wizard resumes where it was.

The first step, picking the school or area, is `handlers.scope_step.ScopeStep`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.i18n import Translator
from bot.services.errors import ContactChangedMeanwhile, InvalidDate
from bot.services.fields import FieldError
from handlers.admin_common import button, date_problem, field_problem, refuse
from handlers.common import Action, BotContext, reply, user_action
from handlers.stored_conversation import StoredConversation, WizardStore

# A wizard step as PTB calls it; returns the next conversation state.
StepCallback = Callable[[Update, BotContext], Coroutine[Any, Any, int]]
Handler = BaseHandler[Update, BotContext, object]


def skip_keyboard(tr: Translator, prefix: str) -> InlineKeyboardMarkup:
    """The "Hoppa över" button under an optional question ("<prefix>:skip")."""
    return button(tr._("Hoppa över"), f"{prefix}:skip")


def day_keyboard(tr: Translator, prefix: str) -> InlineKeyboardMarkup:
    """The "Idag" and "Imorgon" buttons under a date question ("<prefix>:d:0", "…:d:1")."""
    today = InlineKeyboardButton(tr._("Idag"), callback_data=f"{prefix}:d:0")
    tomorrow = InlineKeyboardButton(tr._("Imorgon"), callback_data=f"{prefix}:d:1")
    return InlineKeyboardMarkup([[today, tomorrow]])


def picked_day(data: str, today: date) -> date:
    """The day a `day_keyboard` button stands for: tomorrow for "…:d:1", otherwise today."""
    return today + timedelta(days=1 if data.endswith(":d:1") else 0)


def confirm_keyboard(tr: Translator, prefix: str, token: str) -> InlineKeyboardMarkup:
    """The summary's buttons: confirm ("<prefix>:ok:<token>") or cancel ("<prefix>:no")."""
    ok = InlineKeyboardButton(tr._("✅ Bekräfta"), callback_data=f"{prefix}:ok:{token}")
    no = InlineKeyboardButton(tr._("Avbryt"), callback_data=f"{prefix}:no")
    return InlineKeyboardMarkup([[ok, no]])


def confirm_token(data: str | None, prefix: str) -> str | None:
    """The token in a confirm button's data ("<prefix>:ok:<token>"), if the data is well-formed."""
    found = re.match(rf"^{prefix}:ok:([0-9a-f]{{12}})$", data or "")
    return found[1] if found else None


def summary_token(update: Update, answers: dict[str, Any], prefix: str) -> str | None:
    """The token of the pressed confirm button, if it belongs to the wizard's latest summary."""
    assert update.callback_query is not None
    token = confirm_token(update.callback_query.data, prefix)
    return token if token is not None and answers.get("token") == token else None


@dataclass(frozen=True)
class Outcome:
    """What a confirm press came to, told once its transaction is over: `text` to say,
    `done` when it was recorded (the summary's buttons go), or `refused` (not this admin's to
    do; the refusal is shown instead of `text`)."""

    text: str = ""
    done: bool = False
    refused: bool = False


async def record_confirmed(
    update: Update,
    context: BotContext,
    record: Callable[[Action], Awaitable[Outcome]],
    changed_meanwhile: Callable[[Translator], str],
) -> None:
    """`record` in one transaction, then answer the press and say how it went.

    Nothing is sent inside the transaction: a message that fails to go out (a timeout) must
    not roll back what the admin is told is done. If the contact changed meanwhile, the
    transaction is rolled back whole and the admin is told `changed_meanwhile`.
    """
    query = update.callback_query
    assert query is not None
    tr: Translator | None = None
    try:
        async with user_action(update, context) as action:
            tr = action.tr
            outcome = await record(action)
    except ContactChangedMeanwhile:
        assert tr is not None
        outcome = Outcome(changed_meanwhile(tr))
    assert tr is not None
    if outcome.refused:
        await refuse(update, tr)
        return
    await query.answer()
    if outcome.done:
        await query.edit_message_reply_markup(None)
    await reply(update, outcome.text)


def wizard_data(context: BotContext, wizard_key: str) -> dict[str, Any]:
    """The wizard's answers so far: loaded from `wizard_sessions` for this update, stored
    again after the step (`handlers.stored_conversation`)."""
    assert context.user_data is not None
    data: dict[str, Any] = context.user_data.setdefault(wizard_key, {})
    return data


def end_wizard(context: BotContext, wizard_key: str) -> int:
    """Forget the wizard's answers; returns the state that ends the conversation."""
    if context.user_data is not None:
        context.user_data.pop(wizard_key, None)
    return ConversationHandler.END


async def cancel_wizard(update: Update, context: BotContext, wizard_key: str) -> int:
    """/avbryt or a wizard's cancel button: nothing is saved."""
    async with user_action(update, context) as action:
        if update.callback_query is not None:
            await update.callback_query.answer()
        await reply(update, action.tr._("Avbrutet. Inget har sparats."))
    return end_wizard(context, wizard_key)


def wizard_conversation(
    name: str,
    prefix: str,
    entry_points: list[Handler],
    states: dict[object, list[Handler]],
    cancel: StepCallback,
) -> StoredConversation:
    """An admin wizard's conversation; /avbryt or its cancel button ("<prefix>:no") ends it.

    `name` is also where its answers are kept (`wizard_data(context, name)`) and its row in
    `wizard_sessions`."""
    with warnings.catch_warnings():
        # Tracked per chat and user on purpose: the wizard's buttons and typed answers are one
        # conversation; every button is validated against the wizard's state anyway.
        warnings.filterwarnings("ignore", message=".*per_message=False.*", category=PTBUserWarning)
        return StoredConversation(
            WizardStore(name),
            entry_points=entry_points,
            states=states,
            fallbacks=[
                CommandHandler(["avbryt", "cancel"], cancel),
                CallbackQueryHandler(cancel, pattern=rf"^{prefix}:no$"),
            ],
            name=name,
            allow_reentry=True,
            persistent=True,
        )


class TextStep(NamedTuple):
    """A question answered by typing: the key of the answer, the `field_problem` kind that
    explains a rejected answer, and the state that asks the next question."""

    field: str
    problem: str
    next_state: int


@dataclass(frozen=True)
class TypedAnswers:
    """A wizard's typed questions by state. `clean(action, field, text, answers)` checks an
    answer (raising FieldError or InvalidDate; it may ask a service, in the action's
    transaction) and returns the value to keep; `ask` asks the question of a state and
    returns it."""

    steps: Mapping[int, TextStep]
    clean: Callable[[Action, str, str, dict[str, Any]], Awaitable[str | None]]
    ask: Callable[[Update, Action, dict[str, Any], int], Awaitable[int]]

    async def take(
        self, update: Update, action: Action, answers: dict[str, Any], state: int, text: str
    ) -> int:
        """Keep the answer to `state`'s question and ask the next; or say what to type instead."""
        step = self.steps[state]
        try:
            answers[step.field] = await self.clean(action, step.field, text, answers)
        except InvalidDate as error:
            await reply(update, date_problem(error, action.tr))
            return state
        except FieldError as error:
            await reply(update, field_problem(error, step.problem, action.tr))
            return state
        return await self.ask(update, action, answers, step.next_state)
