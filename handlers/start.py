"""/start, /hjalp, /sprak, and polite answers to what the bot cannot handle."""

from __future__ import annotations

from html import escape
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from bot.i18n import LANGUAGES, Translator, translator
from bot.services.authz import Actor, permissions
from bot.services.contacts import ContactCard
from bot.services.deeplinks import GUIDE, parse_payload, resolve_area, resolve_school
from bot.services.follows import reactivate_for_user
from bot.services.users import choose_language, remember
from handlers.common import Action, BotContext, reply, user_action
from handlers.contacts import card_keyboard, card_text
from handlers.menus import admin_help
from handlers.sharing import bot_links
from handlers.support_material import show_support_material

LANGUAGE_CALLBACK = "lang:"
# "/start guide" (the guide's deep link) belongs to the guide's conversation (handlers.guide).
GUIDE_LINK = filters.Regex(rf"^/start {GUIDE}$")


def help_text(tr: Translator, *, is_admin: bool = False) -> str:
    privacy = tr._("🔒 /mina_uppgifter – vad jag sparar om dig · /glom_mig – radera det")
    return (
        tr._(
            "Hej! Jag är <b>Kontaktlotsen</b> – för dig som arbetar i skolan i Stockholm och är "
            "orolig för ett barn.\n\n"
            "Skriv namnet på skolan, stadsdelen eller stadsdelsområdet, så får du:\n"
            "• kontaktpersonen i socialtjänsten för skolorna där\n"
            "• mottagningen dit en orosanmälan ska\n"
            "• vart du vänder dig vid akut fara och efter kontorstid\n\n"
            "Det du skriver om skolor, platser och barn sparar jag inte. Det jag sparar om dig – "
            "till exempel språkval, vilka skolor du följer och var du är i guiden – visar "
            "/mina_uppgifter. Skriv inga namn eller personnummer på barn här.\n\n"
            "/kontakt &lt;skola&gt; – sök kontakt\n"
            "/anmalan – orosanmälan steg för steg\n"
            "/folj &lt;skola&gt; – få besked när kontaktpersonen byts\n"
            "/omraden – de 11 stadsdelsområdena\n"
            "/stodmaterial – stadens stödmaterial för samverkan skola–socialtjänst\n"
            "/sprak – byt språk (svenska/English)\n"
            "/hjalp – den här hjälpen\n\n"
            "🚨 Akut fara för ett barn: ring 112."
        )
        + ("\n\n" + privacy)
        + (("\n\n" + admin_help(tr)) if is_admin else "")
    )


async def linked_card(action: Action, payload: str | None) -> ContactCard | None:
    """The card a deep link's payload names (a school or an area), or None for anything else:
    no payload, a forged one, or a school or area that is not in the directory."""
    target = parse_payload(payload)
    if target is None:
        return None
    directory, session, today = action.services.cards, action.session, action.today
    school = await resolve_school(session, target)
    if school is not None:
        return await directory.card_for_school(session, school.id, today)
    area = await resolve_area(session, target)
    return await directory.card_for_area(session, area.id, today) if area else None


def link_welcome(card: ContactCard, tr: Translator) -> str:
    if card.school is not None:
        text = tr._(
            "Hej! Jag är <b>Kontaktlotsen</b>. Här är kontakterna för {place}. Tryck på "
            "<b>Följ skolan</b> så får du besked när kontaktpersonen byts. /hjalp visar resten."
        )
    else:
        text = tr._(
            "Hej! Jag är <b>Kontaktlotsen</b>. Här är kontakterna för {place}. Tryck på "
            "<b>Följ området</b> så får du besked när kontaktpersonen byts. /hjalp visar resten."
        )
    return text.format(place=escape(card.school.name if card.school else card.area.name))


async def start(update: Update, context: BotContext) -> None:
    """Greet the user; a deep link to a school or an area opens its card, ready to follow."""
    async with user_action(update, context) as action:
        if update.effective_user:
            await remember(action.session, update.effective_user.id)
            # Back after blocking the bot: the follows paused on Telegram's 403 resume.
            await reactivate_for_user(action.session, update.effective_user.id)
        card = await linked_card(action, context.args[0] if context.args else None)
        if card is None:
            is_admin = await _is_admin(update, context, action)
            await reply(update, help_text(action.tr, is_admin=is_admin))
            return
        action.services.usage.count_lookup(action.today, card)  # answered, by a link
        await reply(update, link_welcome(card, action.tr))
        keyboard = card_keyboard(card, action.tr, bot_links(context))
        await reply(update, card_text(action)(card, None), reply_markup=keyboard)


async def _is_admin(update: Update, context: BotContext, action: Action) -> bool:
    """Admins see their commands in the help (and in their menu: `handlers.menus`)."""
    if update.effective_user is None:
        return False
    actor = Actor.telegram(update.effective_user.id, context.services.settings.city_admin_ids)
    return (await permissions(action.session, actor)).is_admin


async def show_help(update: Update, context: BotContext) -> None:
    """Show the commands."""
    async with user_action(update, context) as action:
        await reply(
            update, help_text(action.tr, is_admin=await _is_admin(update, context, action))
        )


async def ask_language(update: Update, context: BotContext) -> None:
    """Offer Swedish and English."""
    async with user_action(update, context) as action:
        keyboard = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton("Svenska", callback_data=f"{LANGUAGE_CALLBACK}sv"),
                    InlineKeyboardButton("English", callback_data=f"{LANGUAGE_CALLBACK}en"),
                ]
            ]
        )
        await reply(update, action.tr._("Välj språk:"), reply_markup=keyboard)


async def set_language(update: Update, context: BotContext) -> None:
    """Store the chosen language and confirm in it."""
    query = update.callback_query
    assert query is not None and query.data is not None
    language = query.data.removeprefix(LANGUAGE_CALLBACK)
    async with user_action(update, context) as action:
        if language not in LANGUAGES:
            await query.answer(action.tr._("Den knappen fungerar inte längre."))
            return
        await choose_language(action.session, query.from_user.id, language)
    await query.answer()
    await reply(update, translator(language)._("Nu svarar jag på svenska."))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Say so kindly and point to /hjalp."""
    async with user_action(update, context) as action:
        await reply(update, action.tr._("Det kommandot känner jag inte till. Skriv /hjalp."))


async def nothing_to_cancel(update: Update, context: BotContext) -> None:
    """/avbryt when no wizard, guide or question is running (those handle it themselves)."""
    async with user_action(update, context) as action:
        await reply(update, action.tr._("Det finns inget att avbryta just nu."))


async def unknown_button(update: Update, context: BotContext) -> None:
    """A button from an old message, another conversation, or forged data."""
    assert update.callback_query is not None
    async with user_action(update, context) as action:
        await update.callback_query.answer(
            action.tr._("Den knappen fungerar inte längre. Skriv namnet på skolan igen."),
            show_alert=True,
        )


async def not_text(update: Update, context: BotContext) -> None:
    """Photos, voice, stickers and files are not read (and never stored)."""
    async with user_action(update, context) as action:
        await reply(
            update,
            action.tr._(
                "Jag kan bara läsa text. Skriv namnet på skolan eller området.\n"
                "Skicka aldrig bilder eller dokument om ett barn här."
            ),
        )


def build_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    return [
        CommandHandler("start", start, filters=~GUIDE_LINK),
        CommandHandler(["hjalp", "help"], show_help),
        CommandHandler(["sprak", "language"], ask_language),
        CommandHandler(["stodmaterial", "support_material"], show_support_material),
        CallbackQueryHandler(set_language, pattern=f"^{LANGUAGE_CALLBACK}"),
    ]


def build_fallback_handlers() -> list[BaseHandler[Update, BotContext, Any]]:
    """Registered last: whatever no feature handled."""
    return [
        CommandHandler(["avbryt", "cancel"], nothing_to_cancel),
        MessageHandler(filters.COMMAND, unknown_command),
        CallbackQueryHandler(unknown_button),
        MessageHandler(~filters.TEXT & ~filters.StatusUpdate.ALL, not_text),
    ]
