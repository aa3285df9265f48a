"""The first step of every admin wizard: check the role, then pick the school or area.

Scope buttons carry "<prefix>:a:<area id>" or "<prefix>:s:<school id>" (under 64 bytes). A press
is never trusted: the service resolves the key and checks the admin's scope every time, so a
forged or stale button gets a polite refusal, and the refusal is audited.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler

from bot.i18n import Translator
from bot.services.authz import Actor, Permissions, require_admin
from bot.services.errors import NotAuthorized, UnknownTarget
from bot.services.handovers import ScopeSnapshot, snapshot
from bot.services.scopes import Scope, area_scopes
from handlers.admin_common import actor_of, refuse, stale_button
from handlers.admin_wizard import Handler, end_wizard, wizard_data
from handlers.common import Action, BotContext, reply, user_action

MAX_BUTTONS = 5

OnChosen = Callable[[Update, BotContext, Action, ScopeSnapshot], Awaitable[int]]


class Pick(Enum):
    """Why no scope was chosen: still waiting for the admin, or refused (ends the wizard)."""

    WAITING = "waiting"
    REFUSED = "refused"


def scope_keyboard(scopes: list[Scope], prefix: str) -> InlineKeyboardMarkup:
    buttons = [InlineKeyboardButton(s.name, callback_data=f"{prefix}:{s.key}") for s in scopes]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


@dataclass(frozen=True)
class ScopeStep:
    """The SCOPE state of an admin wizard; `on_chosen` takes over once a scope is picked.

    `permission` is the action checked and audited ("handover", "absence"); `prefix` starts the
    wizard's callback data; the wizard keeps its answers in `user_data[wizard_key]`, which start
    afresh with the chosen scope's key and name; `prompt` asks the first question (keep its
    `tr._("…")` at the call site, for Babel).
    """

    permission: str
    prefix: str
    wizard_key: str
    state: int
    prompt: Callable[[Translator], str]
    on_chosen: OnChosen

    @property
    def button_pattern(self) -> str:
        """Every scope button of this wizard; `pressed` checks the rest of the data."""
        return rf"^{self.prefix}:[as]:"

    def entry_points(self, commands: list[str]) -> list[Handler]:
        """The wizard's commands, and its scope buttons (pressed again, they start it over)."""
        return [
            CommandHandler(commands, self.start),
            CallbackQueryHandler(self.pressed, pattern=self.button_pattern),
        ]

    async def start(self, update: Update, context: BotContext) -> int:
        """Check the admin role; ask which school or area (or use the name given)."""
        async with user_action(update, context) as action:
            actor = actor_of(update, context)
            granted = await self._granted(update, action, actor)
            if granted is None:
                return end_wizard(context, self.wizard_key)
            end_wizard(context, self.wizard_key)  # a new start forgets the last run's answers
            typed = " ".join(context.args or [])
            if typed.strip():
                chosen = await self._from_text(update, action, actor, typed, granted)
                return await self._picked(update, context, action, chosen)
            scopes = await area_scopes(action.session, granted.area_filter)
            await reply(
                update, self.prompt(action.tr), reply_markup=scope_keyboard(scopes, self.prefix)
            )
        return self.state

    async def typed(self, update: Update, context: BotContext) -> int:
        """A typed school or area name."""
        assert update.message is not None
        async with user_action(update, context) as action:
            actor = actor_of(update, context)
            granted = await self._granted(update, action, actor)
            if granted is None:
                return end_wizard(context, self.wizard_key)
            text = update.message.text or ""
            chosen = await self._from_text(update, action, actor, text, granted)
            return await self._picked(update, context, action, chosen)

    async def pressed(self, update: Update, context: BotContext) -> int:
        """A pressed school or area button; checked against the admin's scope every time."""
        query = update.callback_query
        assert query is not None
        found = re.match(rf"^{self.prefix}:([as]:[a-z0-9-]{{1,40}})$", query.data or "")
        async with user_action(update, context) as action:
            if found is None:
                await stale_button(update, action.tr)
                return end_wizard(context, self.wizard_key)
            chosen = await self._choose(update, action, actor_of(update, context), found[1])
            if isinstance(chosen, ScopeSnapshot):
                await query.answer()
            return await self._picked(update, context, action, chosen)

    async def _granted(self, update: Update, action: Action, actor: Actor) -> Permissions | None:
        """The admin's permissions, or None once the refusal is shown."""
        try:
            return await require_admin(action.session, actor, self.permission)
        except NotAuthorized:
            await refuse(update, action.tr)
            return None

    async def _picked(
        self, update: Update, context: BotContext, action: Action, chosen: ScopeSnapshot | Pick
    ) -> int:
        if chosen is Pick.REFUSED:
            return end_wizard(context, self.wizard_key)
        if chosen is Pick.WAITING:
            return self.state
        answers = wizard_data(context, self.wizard_key)
        answers.clear()
        answers.update(scope_key=chosen.scope.key, scope_name=chosen.scope.name)
        return await self.on_chosen(update, context, action, chosen)

    async def _choose(
        self, update: Update, action: Action, actor: Actor, key: str
    ) -> ScopeSnapshot | Pick:
        """Resolve and authorise a chosen scope; on a refusal, say so."""
        try:
            return await snapshot(
                action.session,
                actor,
                key,
                action.today,
                action.services.contacts,
                action=self.permission,
            )
        except NotAuthorized:
            await refuse(update, action.tr)
            return Pick.REFUSED
        except UnknownTarget:
            if update.callback_query is not None:
                await stale_button(update, action.tr)
                return Pick.REFUSED
            await reply(update, action.tr._("Jag hittar inte den skolan eller det området."))
            return Pick.WAITING

    async def _from_text(
        self, update: Update, action: Action, actor: Actor, text: str, granted: Permissions
    ) -> ScopeSnapshot | Pick:
        """One confident match → that scope; several of the admin's → buttons; none → say so."""
        found = action.services.index.find_scope(text)
        if found.chosen is not None:
            # Another area's school is refused (and audited) by the service, not filtered here.
            return await self._choose(update, action, actor, found.chosen.key)
        mine = [c for c in found.candidates if granted.covers(c.area_id)]
        if mine:
            rows = [
                [InlineKeyboardButton(c.name, callback_data=f"{self.prefix}:{c.key}")]
                for c in mine[:MAX_BUTTONS]
            ]
            await reply(
                update, action.tr._("Vilken menar du?"), reply_markup=InlineKeyboardMarkup(rows)
            )
            return Pick.WAITING
        await reply(
            update,
            action.tr._(
                "Jag hittar ingen skola eller inget område med det namnet bland dem du ansvarar "
                "för. Försök igen, eller /avbryt."
            ),
        )
        return Pick.WAITING
