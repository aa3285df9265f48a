'use strict';
/*
 * A local Telegram Bot API for the end-to-end tests (tests/e2e): the npm package
 * telegram-test-api, behind a wrapper that makes its answers what Telegram sends, so
 * python-telegram-bot accepts them as it accepts Telegram's.
 *
 *   node server.js --port PORT [--host 127.0.0.1]
 *
 * The bot talks to http://HOST:PORT/bot<token>/<method> (TELEGRAM_API_BASE_URL=.../bot), or to
 * http://HOST:PORT/r/<replica>/bot<token>/<method>: the same API, with every call recorded as
 * made by <replica>, so replicas of one bot can share its token and still be told apart.
 * telegram-test-api keeps the messages (users' updates, the bot's messages and their edits)
 * and assigns the ids; the wrapper answers each Bot API method the way Telegram does:
 *
 *  - getMe with is_bot; every date in seconds (the package gives milliseconds);
 *  - sendMessage, sendPhoto, sendDocument (multipart uploads), sendContact return the Message;
 *    editMessageText / editMessageReplyMarkup return the edited Message, and an edit without
 *    reply_markup removes the inline keyboard, as in Telegram;
 *  - JSON-valued parameters (reply_markup, link_preview_options, ...) come back as objects:
 *    python-telegram-bot fails on the string the package echoes back;
 *  - deleteMessage returns true (400 for an unknown or already deleted message);
 *  - what Telegram refuses is refused with its 400: HTML it cannot parse (unknown tags, tags
 *    not closed), a text over 4096 characters (after parsing) or empty, a caption over 1024,
 *    callback data over 64 bytes, an edit that changes nothing ("message is not modified"),
 *    a command menu or a bot description outside Telegram's limits;
 *  - callback queries carry chat_instance and answerCallbackQuery returns true;
 *  - getUpdates long-polls (timeout), honours offset (an update is dropped only when a later
 *    call confirms it, so a bot killed mid-update gets it again) and answers 409 to a poller
 *    that another getUpdates replaced, or while a webhook is set;
 *  - setWebhook makes the emulator post each update, in order, with the
 *    X-Telegram-Bot-Api-Secret-Token header, retrying until the bot answers 2xx. Telegram needs
 *    an https:// URL; the emulator posts to the same address over http://, standing in for the
 *    TLS-terminating reverse proxy of docs/drift.md.
 *
 * The tests play the users through a small control API of the wrapper (JSON, under /e2e/):
 *   POST /e2e/sendMessage  {token, message}                    -> {message_id, update_id}
 *   POST /e2e/sendCallback {token, from, chat_id, message_id, data} -> {callback_query_id, update_id}
 *   GET  /e2e/calls?token=&since=&timeout=   the bot's calls after `since` (long-polls)
 *   GET  /e2e/messages?token=&chat_id=        the bot's messages in a chat as they stand now
 *   GET  /e2e/status?token=[&replica=]        how often each method was called, the webhook
 *   POST /e2e/proxy {url, backends}  posts for the webhook `url` go to the backends in turn (a
 *        load balancer in front of replicas); a backend that refuses the connection is skipped
 *   POST /e2e/slow {token, method, seconds}  answer that method after a pause (0: at once)
 */

const express = require('express');
const multer = require('multer');
const TelegramServer = require('telegram-test-api');

const WEBHOOK_RETRY_MS = 200;
const WEBHOOK_TIMEOUT_MS = 10000;
// Parameters Telegram takes as JSON-serialised objects in a form-encoded or multipart request.
const JSON_PARAMETERS = new Set([
  'reply_markup', 'entities', 'caption_entities', 'link_preview_options', 'reply_parameters',
  'commands', 'scope', 'allowed_updates', 'menu_button', 'results', 'button',
]);

function option(name, fallback) {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}

const now = () => Math.floor(Date.now() / 1000);
const sleep = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

class BotApiError extends Error {
  constructor(code, description) {
    super(description);
    this.code = code;
  }
}

// --- telegram-test-api, made to send Telegram's update shapes --------------------------------

const tg = new TelegramServer({ storeTimeout: 24 * 3600 });
const packageFormat = TelegramServer.formatUpdate;
// The package builds updates (getUpdates and webhooks) with this static method: a callback
// query lacks chat_instance, and the package's own bookkeeping field must not reach the bot.
TelegramServer.formatUpdate = (stored) => {
  const update = packageFormat(stored);
  if (update.callback_query) {
    const query = update.callback_query;
    const message = { ...query.message };
    query.message = message;
    query.chat_instance = `${message.chat ? message.chat.id : query.from.id}`;
  } else if (update.message) {
    delete update.message.botToken;
  }
  return update;
};

const state = {
  seq: 0,
  calls: [], // {seq, token, method, chat_id, params, files, result, error}
  counts: new Map(), // token -> {method: count}
  confirmed: new Map(), // token -> the lowest update_id not yet confirmed by the bot
  pollers: new Map(), // token -> the waiting getUpdates {answer}
  webhooks: new Map(), // token -> {url, secret, busy, deliveries}
  deleted: new Set(), // `${chat}:${message}` of deleted messages
  userMessages: new Set(), // `${chat}:${message}` of the users' messages
  callbackChats: new Map(), // callback_query id -> chat id
  callWaiters: new Set(),
  proxies: new Map(), // webhook url -> {backends, next}
  slow: new Map(), // `${token}:${method}` -> milliseconds
};

// The package pushes user updates to a webhook with axios and throws when it fails; here every
// update is stored (so getUpdates, deleteMessage and retries work alike) and then delivered.
tg.addUserUpdate = async function addUserUpdate(update) {
  this.storage.userMessages.push(update);
  this.updateId += 1;
  setImmediate(() => updatesArrived(update.botToken));
};

function pendingUpdates(token, limit = 100) {
  const from = state.confirmed.get(token) || 0;
  return tg.storage.userMessages
    .filter((update) => update.botToken === token && update.updateId >= from)
    .sort((a, b) => a.updateId - b.updateId)
    .slice(0, limit);
}

function confirm(token, offset) {
  if (offset > (state.confirmed.get(token) || 0)) state.confirmed.set(token, offset);
}

function updatesArrived(token) {
  const poller = state.pollers.get(token);
  if (poller) poller.answer();
  deliverWebhook(token);
}

// --- the bot's messages ----------------------------------------------------------------------

function botUser(token) {
  const id = Number(String(token).split(':')[0]) || 1;
  return {
    id,
    is_bot: true,
    first_name: 'Kontaktlotsen (test)',
    username: 'kontaktlotsen_e2e_bot',
    can_join_groups: true,
    can_read_all_group_messages: false,
    supports_inline_queries: true,
  };
}

function storedBotMessage(chatId, messageId) {
  return tg.storage.botMessages.find((entry) => entry.messageId === Number(messageId)
    && String(entry.message.chat_id) === String(chatId)
    && !state.deleted.has(`${chatId}:${messageId}`));
}

function asTelegramMessage(entry) {
  const stored = entry.message;
  const message = {
    message_id: entry.messageId,
    from: botUser(entry.botToken),
    chat: { id: Number(stored.chat_id), type: 'private' },
    date: Math.floor(entry.time / 1000),
  };
  if (stored.edit_date) message.edit_date = stored.edit_date;
  for (const field of ['photo', 'document', 'contact', 'caption', 'link_preview_options']) {
    if (stored[field] !== undefined) message[field] = stored[field];
  }
  if (!stored.photo && !stored.document && !stored.contact) message.text = stored.text;
  // Telegram echoes an inline keyboard; a reply keyboard is not part of the message.
  if (stored.reply_markup && stored.reply_markup.inline_keyboard) {
    message.reply_markup = stored.reply_markup;
  }
  return message;
}

// --- what Telegram refuses to send ------------------------------------------------------------

// parse_mode HTML: the tags Telegram knows (https://core.telegram.org/bots/api#html-style).
const HTML_TAGS = new Set(['b', 'strong', 'i', 'em', 'u', 'ins', 's', 'strike', 'del', 'span',
  'tg-spoiler', 'a', 'tg-emoji', 'code', 'pre', 'blockquote']);
const HTML_ENTITIES = {
  lt: '<', gt: '>', amp: '&', quot: '"',
};
const TOKEN = /<(\/?)([^\s>/]*)[^>]*>|<|&(#x[0-9a-fA-F]+|#[0-9]+|lt|gt|amp|quot);/g;

// The text as the user sees it (tags parsed, entities decoded), or a 400 as Telegram answers.
function visibleText(text, parseMode) {
  if (String(parseMode || '').toUpperCase() !== 'HTML') return text;
  const open = [];
  let visible = '';
  let last = 0;
  for (const match of text.matchAll(TOKEN)) {
    visible += text.slice(last, match.index);
    last = match.index + match[0].length;
    const [whole, closing, rawName, entity] = match;
    const name = (rawName || '').toLowerCase();
    const at = `at byte offset ${Buffer.byteLength(text.slice(0, match.index))}`;
    if (entity !== undefined) {
      visible += HTML_ENTITIES[entity] || '?';
    } else if (whole === '<' || !HTML_TAGS.has(name)) {
      throw new BotApiError(400, `Bad Request: can't parse entities: Unsupported start tag "${name}" ${at}`);
    } else if (!closing) {
      open.push(name);
    } else if (open[open.length - 1] === name) {
      open.pop();
    } else {
      const expected = open.length ? open[open.length - 1] : '';
      throw new BotApiError(400, `Bad Request: can't parse entities: Unmatched end tag ${at}, expected "</${expected}>", found "</${name}>"`);
    }
  }
  if (open.length) {
    throw new BotApiError(400, `Bad Request: can't parse entities: Can't find end tag corresponding to start tag "${open[open.length - 1]}"`);
  }
  return visible + text.slice(last);
}

function checkText(params, field, limit) {
  const text = params[field];
  if (text === undefined && field === 'caption') return;
  const visible = visibleText(String(text === undefined ? '' : text), params.parse_mode);
  if (field === 'text' && !visible.trim()) throw new BotApiError(400, 'Bad Request: message text is empty');
  if (visible.length > limit) {
    throw new BotApiError(400, `Bad Request: message ${field === 'text' ? 'is' : 'caption is'} too long`);
  }
}

function checkMarkup(params) {
  const markup = params.reply_markup;
  for (const row of (markup && markup.inline_keyboard) || []) {
    for (const button of row) {
      const data = button.callback_data;
      if (data !== undefined && (Buffer.byteLength(String(data)) > 64 || String(data) === '')) {
        throw new BotApiError(400, 'Bad Request: BUTTON_DATA_INVALID');
      }
    }
  }
}

function addBotMessage(token, params) {
  if (params.chat_id === undefined) throw new BotApiError(400, 'Bad Request: chat_id is empty');
  if (params.photo || params.document) checkText(params, 'caption', 1024);
  else if (!params.contact) checkText(params, 'text', 4096);
  checkMarkup(params);
  tg.addBotMessage(params, token);
  return asTelegramMessage(tg.storage.botMessages[tg.storage.botMessages.length - 1]);
}

function fileMeta(file, kind) {
  const id = `${kind}-${file ? file.size : 0}-${state.seq}`;
  return { file_id: id, file_unique_id: id, file_size: file ? file.size : 0 };
}

// --- Bot API methods -------------------------------------------------------------------------

const TRUE_METHODS = [
  'setMyCommands', 'deleteMyCommands', 'setMyDescription', 'setMyShortDescription',
  'setMyName', 'setChatMenuButton', 'setMyDefaultAdministratorRights', 'sendChatAction',
  'leaveChat', 'answerInlineQuery', 'close', 'logOut',
];

const NOT_MODIFIED = 'Bad Request: message is not modified: specified new message content and '
  + 'reply markup are exactly the same as a current content and reply markup of the message';

function sameMarkup(stored, params) {
  const inline = (markup) => JSON.stringify((markup && markup.inline_keyboard) || null);
  return inline(stored.reply_markup) === inline(params.reply_markup);
}

function editTarget(params) {
  if (params.inline_message_id) return null; // inline messages: Telegram answers true
  const entry = storedBotMessage(params.chat_id, params.message_id);
  if (!entry) throw new BotApiError(400, 'Bad Request: message to edit not found');
  return entry;
}

const methods = {
  getMe: (token) => botUser(token),
  sendMessage: (token, params) => addBotMessage(token, params),
  sendPhoto: (token, params, files) => {
    const photo = files.find((f) => f.fieldname === 'photo');
    const meta = fileMeta(photo, 'photo');
    return addBotMessage(token, { ...params, photo: [{ ...meta, width: 1240, height: 1754 }] });
  },
  sendDocument: (token, params, files) => {
    const document = files.find((f) => f.fieldname === 'document');
    const meta = fileMeta(document, 'document');
    const name = document ? document.originalname : undefined;
    return addBotMessage(token, { ...params, document: { ...meta, file_name: name } });
  },
  sendContact: (token, params) => {
    const contact = { phone_number: params.phone_number, first_name: params.first_name };
    if (params.last_name) contact.last_name = params.last_name;
    if (params.vcard) contact.vcard = params.vcard;
    return addBotMessage(token, { ...params, contact });
  },
  editMessageText: (token, params) => {
    checkText(params, 'text', 4096);
    checkMarkup(params);
    const entry = editTarget(params);
    if (!entry) return true;
    if (entry.message.text === params.text && sameMarkup(entry.message, params)) {
      throw new BotApiError(400, NOT_MODIFIED);
    }
    tg.editMessageText(params);
    if (params.reply_markup === undefined) delete entry.message.reply_markup;
    if (params.link_preview_options === undefined) delete entry.message.link_preview_options;
    entry.message.edit_date = now();
    return asTelegramMessage(entry);
  },
  editMessageReplyMarkup: (token, params) => {
    checkMarkup(params);
    const entry = editTarget(params);
    if (!entry) return true;
    if (sameMarkup(entry.message, params)) throw new BotApiError(400, NOT_MODIFIED);
    if (params.reply_markup === undefined) delete entry.message.reply_markup;
    else tg.editMessageReplyMarkup(params);
    entry.message.edit_date = now();
    return asTelegramMessage(entry);
  },
  deleteMessage: (token, params) => {
    const key = `${params.chat_id}:${params.message_id}`;
    const known = state.userMessages.has(key) || storedBotMessage(params.chat_id, params.message_id);
    if (!known || state.deleted.has(key)) {
      throw new BotApiError(400, 'Bad Request: message to delete not found');
    }
    state.deleted.add(key);
    return true;
  },
  answerCallbackQuery: () => true,
  setWebhook: (token, params) => {
    if (!params.url) return methods.deleteWebhook(token, params);
    if (!String(params.url).startsWith('https://')) {
      throw new BotApiError(400, 'Bad Request: bad webhook: An HTTPS URL must be provided for webhook');
    }
    const previous = state.webhooks.get(token);
    state.webhooks.set(token, {
      url: params.url,
      secret: params.secret_token,
      busy: false,
      deliveries: previous ? previous.deliveries : [],
    });
    if (params.drop_pending_updates === 'true' || params.drop_pending_updates === true) {
      confirm(token, tg.updateId);
    }
    setImmediate(() => deliverWebhook(token));
    return true;
  },
  deleteWebhook: (token, params) => {
    state.webhooks.delete(token);
    if (params.drop_pending_updates === 'true' || params.drop_pending_updates === true) {
      confirm(token, tg.updateId);
    }
    return true;
  },
  getWebhookInfo: (token) => {
    const hook = state.webhooks.get(token);
    return {
      url: hook ? hook.url : '',
      has_custom_certificate: false,
      pending_update_count: pendingUpdates(token).length,
    };
  },
};
for (const name of TRUE_METHODS) methods[name] = () => true;

// The command menu and the profile texts, with Telegram's limits.
methods.setMyCommands = (token, params) => {
  const commands = params.commands || [];
  if (!Array.isArray(commands) || commands.length > 100) {
    throw new BotApiError(400, 'Bad Request: too many commands');
  }
  for (const { command, description } of commands) {
    if (!/^[a-z0-9_]{1,32}$/.test(String(command))) {
      throw new BotApiError(400, 'Bad Request: BOT_COMMAND_INVALID');
    }
    if (!description || String(description).length > 256) {
      throw new BotApiError(400, 'Bad Request: command description is invalid');
    }
  }
  return true;
};
const limited = (field, limit) => (token, params) => {
  if (String(params[field] || '').length > limit) {
    throw new BotApiError(400, `Bad Request: ${field} is too long`);
  }
  return true;
};
methods.setMyDescription = limited('description', 512);
methods.setMyShortDescription = limited('short_description', 120);

// --- getUpdates: long polling with offsets ---------------------------------------------------

function getUpdates(token, params, res) {
  if (state.webhooks.has(token)) {
    throw new BotApiError(409, "Conflict: can't use getUpdates method while webhook is active; "
      + 'use deleteWebhook to delete the webhook first');
  }
  const offset = Number(params.offset || 0);
  if (offset > 0) confirm(token, offset);
  const earlier = state.pollers.get(token);
  if (earlier) {
    earlier.fail(409, 'Conflict: terminated by other getUpdates request; make sure that only '
      + 'one bot instance is running');
  }
  const limit = Math.min(Math.max(Number(params.limit || 100), 1), 100);
  const timeout = Math.max(Number(params.timeout || 0), 0);
  const answerNow = () => pendingUpdates(token, limit).map(TelegramServer.formatUpdate);
  const ready = answerNow();
  if (ready.length || timeout === 0) {
    res.json({ ok: true, result: ready });
    return;
  }
  const poller = {};
  const finish = (send) => {
    clearTimeout(poller.timer);
    if (state.pollers.get(token) === poller) state.pollers.delete(token);
    if (!res.writableEnded && !res.destroyed) send();
  };
  poller.answer = () => finish(() => res.json({ ok: true, result: answerNow() }));
  poller.fail = (code, description) => finish(
    () => res.status(code).json({ ok: false, error_code: code, description }),
  );
  poller.timer = setTimeout(poller.answer, timeout * 1000);
  res.on('close', () => finish(() => {}));
  state.pollers.set(token, poller);
}

// --- webhooks --------------------------------------------------------------------------------

async function postTo(url, hook, update) {
  const headers = { 'content-type': 'application/json' };
  if (hook.secret) headers['X-Telegram-Bot-Api-Secret-Token'] = hook.secret;
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: JSON.stringify(update),
      signal: AbortSignal.timeout(WEBHOOK_TIMEOUT_MS),
    });
    await response.arrayBuffer();
    return response.status;
  } catch (error) {
    return (error.cause && error.cause.code) || error.name;
  }
}

// -> {status, backend}. Through a proxy: the next backend in turn, skipping refused ones.
async function postUpdate(hook, update) {
  const proxy = state.proxies.get(hook.url);
  if (!proxy) {
    return { status: await postTo(hook.url.replace(/^https:/, 'http:'), hook, update) };
  }
  let status = 'no backend';
  for (let tried = 0; tried < proxy.backends.length; tried += 1) {
    const backend = proxy.backends[proxy.next % proxy.backends.length];
    proxy.next += 1;
    status = await postTo(backend, hook, update);
    if (status !== 'ECONNREFUSED') return { status, backend };
  }
  return { status };
}

async function deliverWebhook(token) {
  const hook = state.webhooks.get(token);
  if (!hook || hook.busy) return;
  hook.busy = true;
  try {
    while (state.webhooks.get(token) === hook) {
      const [next] = pendingUpdates(token, 1);
      if (!next) break;
      const { status, backend } = await postUpdate(hook, TelegramServer.formatUpdate(next));
      hook.deliveries.push({ update_id: next.updateId, status, backend });
      if (typeof status === 'number' && status >= 200 && status < 300) {
        confirm(token, next.updateId + 1);
      } else {
        await sleep(WEBHOOK_RETRY_MS); // Telegram retries until the bot takes the update
      }
    }
  } finally {
    hook.busy = false;
  }
}

// --- the HTTP server -------------------------------------------------------------------------

function parameters(req) {
  const params = { ...req.query, ...(req.body || {}) };
  for (const [name, value] of Object.entries(params)) {
    if (JSON_PARAMETERS.has(name) && typeof value === 'string') {
      try {
        params[name] = JSON.parse(value);
      } catch (error) {
        throw new BotApiError(400, `Bad Request: can't parse ${name} JSON object`);
      }
    }
  }
  return params;
}

function record(token, replica, method, params, files, outcome) {
  state.seq += 1;
  let chatId = params.chat_id !== undefined ? Number(params.chat_id) : null;
  if (chatId === null && params.callback_query_id) {
    chatId = state.callbackChats.get(String(params.callback_query_id)) || null;
  }
  state.calls.push({
    seq: state.seq,
    token,
    replica,
    method,
    chat_id: chatId,
    params,
    files: files.map((f) => ({ field: f.fieldname, name: f.originalname, size: f.size })),
    ...outcome,
  });
  for (const waiter of [...state.callWaiters]) waiter(token);
}

function count(token, replica, method) {
  for (const key of [token, `${token}|${replica}`]) {
    const counts = state.counts.get(key) || {};
    counts[method] = (counts[method] || 0) + 1;
    state.counts.set(key, counts);
  }
}

function botApi(req, res, next) {
  const { token, method } = req.params;
  const replica = req.params.replica || '';
  const pause = state.slow.get(`${token}:${method}`) || 0;
  if (pause > 0) {
    setTimeout(() => answerBotApi(req, res, next, replica), pause);
    return;
  }
  answerBotApi(req, res, next, replica);
}

function answerBotApi(req, res, next, replica) {
  if (res.destroyed) return; // the bot gave up (or was killed) while the answer was slowed
  const { token, method } = req.params;
  const handler = methods[method];
  if (!handler && method !== 'getUpdates') {
    req.url = req.url.replace(/^\/r\/[^/]+/, '');
    next(); // telegram-test-api answers that the method is not supported
    return;
  }
  count(token, replica, method);
  const files = req.files || [];
  let params = {};
  try {
    params = parameters(req);
    if (method === 'getUpdates') {
      getUpdates(token, params, res);
      return;
    }
    const result = handler(token, params, files, res);
    record(token, replica, method, params, files, { result });
    res.json({ ok: true, result });
  } catch (error) {
    if (!(error instanceof BotApiError)) throw error;
    if (method !== 'getUpdates') {
      record(token, replica, method, params, files, { error: error.message });
    }
    res.status(error.code).json({ ok: false, error_code: error.code, description: error.message });
  }
}

function callsAfter(token, since) {
  return state.calls.filter((call) => call.token === token && call.seq > since);
}

function waitForCalls(req, res) {
  const token = String(req.query.token);
  const since = Number(req.query.since || 0);
  const timeout = Math.min(Number(req.query.timeout || 0), 60) * 1000;
  const found = callsAfter(token, since);
  if (found.length || timeout === 0) {
    res.json({ ok: true, result: found, seq: state.seq });
    return;
  }
  let timer = null;
  const waiter = (calledBy) => {
    if (calledBy !== null && calledBy !== token) return;
    state.callWaiters.delete(waiter);
    clearTimeout(timer);
    if (!res.writableEnded) res.json({ ok: true, result: callsAfter(token, since), seq: state.seq });
  };
  timer = setTimeout(() => waiter(null), timeout);
  state.callWaiters.add(waiter);
  res.on('close', () => { state.callWaiters.delete(waiter); clearTimeout(timer); });
}

async function userMessage(req, res) {
  const { token, message } = req.body;
  const messageId = tg.messageId;
  const updateId = tg.updateId;
  await tg.addUserMessage({ ...message, message_id: messageId, date: now(), botToken: token });
  state.userMessages.add(`${message.chat.id}:${messageId}`);
  res.json({ ok: true, result: { message_id: messageId, update_id: updateId } });
}

async function userCallback(req, res) {
  const {
    token, from, chat_id: chatId, message_id: messageId, data,
  } = req.body;
  const entry = storedBotMessage(chatId, messageId);
  if (!entry) {
    res.status(404).json({ ok: false, description: `no message ${messageId} in chat ${chatId}` });
    return;
  }
  const callbackId = String(tg.callbackId);
  const updateId = tg.updateId;
  state.callbackChats.set(callbackId, Number(chatId));
  await tg.addUserCallback({
    botToken: token, from, message: asTelegramMessage(entry), data,
  });
  res.json({ ok: true, result: { callback_query_id: callbackId, update_id: updateId } });
}

function chatMessages(req, res) {
  const token = String(req.query.token);
  const chatId = String(req.query.chat_id);
  const result = tg.storage.botMessages
    .filter((entry) => entry.botToken === token && String(entry.message.chat_id) === chatId)
    .filter((entry) => !state.deleted.has(`${chatId}:${entry.messageId}`))
    .map(asTelegramMessage);
  res.json({ ok: true, result });
}

function status(req, res) {
  const token = String(req.query.token);
  const hook = state.webhooks.get(token);
  const key = req.query.replica === undefined ? token : `${token}|${req.query.replica}`;
  res.json({
    ok: true,
    result: {
      methods: state.counts.get(key) || {},
      webhook: hook ? { url: hook.url, deliveries: hook.deliveries } : null,
      pending_update_count: pendingUpdates(token).length,
      polling: state.pollers.has(token),
    },
  });
}

const app = express();
app.use(express.json());
app.use(express.urlencoded({ extended: false }));
app.post('/e2e/sendMessage', (req, res, next) => userMessage(req, res).catch(next));
app.post('/e2e/sendCallback', (req, res, next) => userCallback(req, res).catch(next));
app.get('/e2e/calls', waitForCalls);
app.get('/e2e/messages', chatMessages);
app.get('/e2e/status', status);
app.get('/e2e/health', (req, res) => res.json({ ok: true }));
app.post('/e2e/proxy', (req, res) => {
  state.proxies.set(String(req.body.url), { backends: req.body.backends.map(String), next: 0 });
  res.json({ ok: true, result: true });
});
app.post('/e2e/slow', (req, res) => {
  state.slow.set(`${req.body.token}:${req.body.method}`, Number(req.body.seconds) * 1000);
  res.json({ ok: true, result: true });
});
const uploads = multer({ storage: multer.memoryStorage() }).any();
app.all('/bot:token/:method', uploads, botApi);
app.all('/r/:replica/bot:token/:method', uploads, botApi);
app.use(tg.webServer); // everything else: the package (it refuses unsupported methods)

const host = option('host', '127.0.0.1');
const server = app.listen(Number(option('port', '0')), host, () => {
  process.stdout.write(`${JSON.stringify({ listening: server.address().port })}\n`);
});
server.keepAliveTimeout = 65000; // longer than a long poll, like Telegram's servers
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
