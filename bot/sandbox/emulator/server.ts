import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Update, User, UserFromGetMe } from "grammy/types";
import {
  checkCallbackAnswer,
  checkCaption,
  checkMenuButton,
  checkMessageText,
  checkReplyMarkup,
  ERRORS,
  type MenuButton,
  type Parsed,
  type ParsedText,
  parseTelegramHtml,
  sameMarkup,
  sameText,
} from "./rules.ts";

/**
 * A strict Telegram Bot API emulator, for the tests and for the sandbox (`npm start` without a
 * token). The bot talks real HTTP to it (grammY's `client.apiRoot`), so everything between our
 * handlers and the wire is exercised; it answers with Telegram's own limits and refusals
 * (rules.ts), keeps each chat's messages with edits applied, and delivers updates the way the
 * bot asked for them: by getUpdates, or POSTed to the webhook with its secret.
 */

export interface ApiCall {
  method: string;
  payload: Record<string, unknown>;
  token: string;
  /** The answer is a failure a test asked for (failNext), not one the fake's rules gave. */
  injected?: boolean;
  /**
   * What the fake answered; undefined only while a getUpdates long poll is still open. Set on
   * arrival also for a call whose answer a gate holds back (Telegram has carried it out).
   */
  response?: ApiResponse;
}

/** Answers held back by `holdAnswers`. */
export interface AnswerGate {
  /** The calls that arrived while the gate was shut, in arrival order. */
  held(): ApiCall[];
  /** Sends the held answers to the clients still waiting for them, and holds no more. */
  open(): void;
}

export type ApiResponse = { ok: true; result: unknown } | ({ ok: false } & ApiError);

export interface ApiError {
  error_code: number;
  description: string;
  parameters?: { retry_after?: number; migrate_to_chat_id?: number };
}

/** A message in a chat (the bot's, or a person's in the sandbox), edits applied. */
export interface BotMessage {
  message_id: number;
  date: number;
  chat: { id: number; type: "private" | "supergroup" };
  from: User;
  text?: string;
  caption?: string;
  reply_markup?: unknown;
  [field: string]: unknown;
}

/** A file part of a multipart upload, put where grammY's `attach://` reference was. */
export interface UploadedFile {
  filename: string;
  size: number;
  text: string;
}

export interface BotApiEmulator {
  /** "http://127.0.0.1:PORT", for grammY's `client.apiRoot`. */
  apiRoot: string;
  botInfo: UserFromGetMe;
  /** Every call in arrival order, failed ones included. */
  calls: ApiCall[];
  callsOf(method: string): ApiCall[];
  /** Successful calls that put text in front of a user. */
  sent(): ApiCall[];
  /** Texts and captions that reached the chat (failed sends excluded), in order. */
  textsTo(chatId: number): string[];
  /** The latest message the bot sent to the chat, with edits applied; throws if none. */
  lastMessageTo(chatId: number): BotMessage;
  /** Forgets calls, messages (ids restart at 1000), queued failures, blocks and updates; opens gates. */
  clear(): void;
  /** Forgets only the call log; the chats keep their messages (a long benchmark drains it). */
  forgetCalls(): void;
  failNext(method: string, error: ApiError, options?: { chatId?: number; times?: number }): void;
  blockChat(chatId: number): void;
  /**
   * Carries out each call `matches` picks as usual (checked, recorded, its message stored: the
   * person sees it) but holds its HTTP answer until the gate opens: a client waiting there has
   * been served without knowing it, which is where a crash test kills it. Not for getUpdates.
   */
  holdAnswers(matches: (call: ApiCall) => boolean): AnswerGate;
  /** What getChatMember answers for this user in this chat; "member" until a test sets it. */
  setChatMember(chatId: number, userId: number, status: ChatMemberStatus): void;
  waitForCalls(predicate: (calls: ApiCall[]) => boolean, timeoutMs?: number): Promise<void>;
  pushUpdate(update: unknown): void;
  /** Telegram could not deliver to the webhook: getWebhookInfo reports it, dated now. */
  webhookDeliveryFailed(message: string): void;
  close(): Promise<void>;
  /** A chat's messages in order (people's and the bot's), each with the text Telegram shows. */
  chatMessages(chatId: number): ChatMessage[];
  /** A document the bot sent, by the file_id the emulator gave it. */
  file(fileId: string): StoredFile | undefined;
  /** The command menu, as the last setMyCommands (default scope) set it. */
  commands(): BotCommandEntry[];
  /** The menu button a private chat shows, as setChatMenuButton set it (for it, or for all). */
  menuButton(chatId: number): MenuButton;
  /** Follows what happens in the chats; returns the function that stops following. */
  onChatEvent(listener: (event: ChatEvent) => void): () => void;
  /**
   * A person writes in a chat: the message is stored like any other and delivered to the bot
   * (webhook or getUpdates, whichever the bot set up). Resolves once delivered.
   */
  write(input: { chat: EmulatedChat; from: User; text: string; replyTo?: number }): {
    message: BotMessage;
    delivered: Promise<void>;
  };
  /** A person presses an inline button: a callback_query delivered to the bot. */
  press(input: {
    chat: EmulatedChat;
    from: User;
    message: BotMessage;
    data: string;
  }): Promise<void>;
  /** Delivers an update the way the bot asked for them: POSTed to its webhook, else getUpdates. */
  deliver(update: Update): Promise<void>;
  /** Forgets every chat's messages and files (the sandbox's reset); update ids keep counting. */
  forgetChats(): void;
  /** The chat's next message id, taken (for messages written elsewhere, then remembered). */
  takeMessageId(chatId: number): number;
  /**
   * A message a person wrote at `date` that the bot has already had (the sandbox's demo
   * week): kept in the chat's history and shown, delivered to no one.
   */
  remember(input: {
    chat: EmulatedChat;
    from: User;
    text: string;
    date: Date;
    messageId: number;
    replyTo?: number;
  }): BotMessage;
}

/** A chat as the emulator's people see it: their private chat with the bot, or a group. */
export type EmulatedChat =
  | { id: number; type: "private"; first_name: string; username?: string }
  | { id: number; type: "supergroup"; title: string };

export interface ChatMessage {
  message: BotMessage;
  /** The text (or caption) as shown, with its entities; undefined for a bare document. */
  content: ParsedText | undefined;
}

export interface StoredFile {
  fileName: string;
  content: Buffer;
}

export interface BotCommandEntry {
  command: string;
  description: string;
}

export type ChatEvent =
  | { kind: "message" | "edit"; chatId: number; messageId: number }
  | { kind: "delete"; chatId: number; messageId: number };

export interface EmulatorOptions {
  botId?: number;
  botUsername?: string;
  /** Dates the messages and updates. */
  now: () => Date;
  /**
   * Where a webhook registered at `url` is reached. Without it, updates wait for getUpdates
   * even while a webhook is set (the tests deliver webhook updates themselves).
   */
  webhookTarget?: (url: string) => string;
}

/** Telegram's 429: the chat (or the bot) must wait `seconds` before its next call. */
export function tooManyRequests(seconds: number): ApiError {
  return {
    error_code: 429,
    description: `Too Many Requests: retry after ${seconds}`,
    parameters: { retry_after: seconds },
  };
}

export type ChatMemberStatus = "creator" | "administrator" | "member" | "left" | "kicked";

/** The text a person reads: HTML entities and tags of a sent text resolved, as Telegram shows it. */
export function visibleText(call: ApiCall): string {
  const raw = stringOrUndefined(call.payload.text) ?? stringOrUndefined(call.payload.caption) ?? "";
  if (call.payload.parse_mode !== "HTML") return raw;
  const parsed = parseTelegramHtml(raw);
  return parsed.ok ? parsed.value.text : raw;
}

interface PlannedFailure {
  method: string;
  error: ApiError;
  chatId: number | undefined;
  remaining: number;
}

interface ShutGate {
  matches: (call: ApiCall) => boolean;
  held: { call: ApiCall; res: ServerResponse }[];
}

interface OpenPoll {
  offset: number;
  limit: number;
  res: ServerResponse;
  answer(updates: unknown[]): void;
}

interface Webhook {
  url: string;
  secret: string | undefined;
  maxConnections: number;
  allowedUpdates: string[] | undefined;
  lastError?: { date: number; message: string };
}

const NO_WEBHOOK: Webhook = {
  url: "",
  secret: undefined,
  maxConnections: 40,
  allowedUpdates: undefined,
};

/** setWebhook's rules: an https URL (empty removes it), the secret's charset, 1-100 connections. */
function checkWebhook(payload: Record<string, unknown>): Webhook | string {
  const url = stringOrUndefined(payload.url);
  if (url === undefined) return 'Bad Request: parameter "url" is required';
  if (url !== "" && !/^https:\/\/[^/\s]+/.test(url)) {
    return "Bad Request: bad webhook: An HTTPS URL must be provided for webhook";
  }
  const secret = payload.secret_token;
  if (
    secret !== undefined &&
    !(typeof secret === "string" && /^[A-Za-z0-9_-]{1,256}$/.test(secret))
  ) {
    return "Bad Request: secret token contains unallowed characters";
  }
  const connections = payload.max_connections ?? 40;
  if (
    typeof connections !== "number" ||
    !Number.isInteger(connections) ||
    connections < 1 ||
    connections > 100
  ) {
    return "Bad Request: bad webhook: max_connections must be between 1 and 100";
  }
  const allowed = payload.allowed_updates;
  if (
    allowed !== undefined &&
    !(Array.isArray(allowed) && allowed.every((t) => typeof t === "string"))
  ) {
    return "Bad Request: can't parse allowed_updates";
  }
  return {
    url,
    secret: typeof secret === "string" ? secret : undefined,
    maxConnections: connections,
    allowedUpdates: allowed as string[] | undefined,
  };
}

const FIRST_MESSAGE_ID = 1000;
const LONG_POLL_CAP_MS = 1000;
const TEXT_METHODS = new Set(["sendMessage", "editMessageText", "sendDocument"]);
const USER_FACING_METHODS = new Set([
  "sendMessage",
  "editMessageText",
  "sendDocument",
  "answerCallbackQuery",
  "editMessageReplyMarkup",
]);

export const EMULATED_BOT_ID = 123456;
const EMULATED_BOT_USERNAME = "task_tracker_test_bot";

export async function startBotApiEmulator(options: EmulatorOptions): Promise<BotApiEmulator> {
  const now = options.now;
  const unixNow = () => Math.floor(now().getTime() / 1000);
  const bot = botInfoFor(
    options.botId ?? EMULATED_BOT_ID,
    options.botUsername ?? EMULATED_BOT_USERNAME,
  );
  const calls: ApiCall[] = [];
  const listeners = new Set<() => void>();
  const openPolls = new Set<OpenPoll>();
  const gates = new Set<ShutGate>();
  let failures: PlannedFailure[] = [];
  let blocked = new Set<number>();
  let nextMessageId = new Map<number, number>();
  let messages = new Map<string, BotMessage>();
  // What Telegram compares an edit with: the parsed text, not the HTML that produced it.
  let contents = new Map<string, ParsedText>();
  let members = new Map<string, ChatMemberStatus>();
  let queuedUpdates: unknown[] = [];
  let webhook: Webhook = NO_WEBHOOK;
  let files = new Map<string, StoredFile>();
  let fileCount = 0;
  let commands: BotCommandEntry[] = [];
  let defaultMenuButton: MenuButton = { type: "default" };
  const chatMenuButtons = new Map<number, MenuButton>();
  const menuButtonOf = (chatId: number | undefined) =>
    (chatId === undefined ? undefined : chatMenuButtons.get(chatId)) ?? defaultMenuButton;
  let nextUpdateId = 1;
  let callbackCount = 0;
  const chatListeners = new Set<(event: ChatEvent) => void>();

  function chatEvent(event: ChatEvent): void {
    for (const listener of [...chatListeners]) listener(event);
  }

  /** Answers made by failNext, so the call they answer can say so. */
  const injectedAnswers = new WeakSet<ApiResponse>();

  function record(call: ApiCall): void {
    if (call.response && injectedAnswers.has(call.response)) call.injected = true;
    calls.push(call);
    notify();
  }

  function notify(): void {
    for (const listener of [...listeners]) listener();
  }

  function answer(
    method: string,
    payload: Record<string, unknown>,
  ): ApiResponse | "long-poll" | undefined {
    const chatId = numberOrUndefined(payload.chat_id);
    const failure = failures.find(
      (f) =>
        f.remaining > 0 && f.method === method && (f.chatId === undefined || f.chatId === chatId),
    );
    if (failure) {
      failure.remaining--;
      failures = failures.filter((f) => f.remaining > 0);
      const injected: ApiResponse = { ok: false, ...failure.error };
      injectedAnswers.add(injected);
      return injected;
    }
    if (chatId !== undefined && blocked.has(chatId) && !method.startsWith("get")) {
      return { ok: false, error_code: 403, description: "Forbidden: bot was blocked by the user" };
    }
    const ok = (result: unknown): ApiResponse => ({ ok: true, result });
    const refusal = MARKUP_METHODS.has(method) ? refuseMarkup(payload, chatId) : undefined;
    if (refusal) return refusal;
    switch (method) {
      case "getMe":
        return ok(bot);
      case "sendMessage": {
        const parsed = checkMessageText(payload.text, payload.parse_mode);
        if (!parsed.ok) return badRequest(parsed);
        return ok(
          storeNewMessage(payload, { text: stringOrUndefined(payload.text) ?? "" }, parsed.value),
        );
      }
      case "sendDocument": {
        const parsed = checkCaption(payload.caption, payload.parse_mode);
        if (!parsed.ok) return badRequest(parsed);
        return ok(storeNewMessage(payload, documentFields(payload, keepFile), parsed.value));
      }
      case "editMessageText": {
        const parsed = checkMessageText(payload.text, payload.parse_mode);
        if (!parsed.ok) return badRequest(parsed);
        return editMessage(payload, { text: stringOrUndefined(payload.text) ?? "" }, parsed.value);
      }
      case "editMessageReplyMarkup":
        return editMessage(payload, {}, undefined);
      case "answerCallbackQuery": {
        const tooLong = checkCallbackAnswer(payload.text);
        if (tooLong) return { ok: false, error_code: 400, description: tooLong };
        return ok(true);
      }
      case "setMyCommands":
        if (payload.scope === undefined) commands = commandsOf(payload.commands);
        return ok(true);
      case "deleteMessage":
        forgetMessage(chatId ?? 0, numberOrUndefined(payload.message_id) ?? 0);
        return ok(true);
      case "sendChatAction":
        return ok(true);
      case "setChatMenuButton": {
        const button = checkMenuButton(payload.menu_button);
        if (!button.ok) return { ok: false, error_code: 400, description: button.description };
        if (chatId === undefined) defaultMenuButton = button.value;
        else chatMenuButtons.set(chatId, button.value);
        return ok(true);
      }
      case "getChatMenuButton": {
        const button = menuButtonOf(chatId);
        if (button.type !== "web_app") return ok(button);
        return ok({ type: "web_app", text: button.text, web_app: { url: button.url } });
      }
      case "setWebhook": {
        const set = checkWebhook(payload);
        if (typeof set === "string") return { ok: false, error_code: 400, description: set };
        webhook = set;
        if (payload.drop_pending_updates === true) queuedUpdates = [];
        return ok(true);
      }
      case "deleteWebhook":
        webhook = NO_WEBHOOK;
        if (payload.drop_pending_updates === true) queuedUpdates = [];
        return ok(true);
      case "getWebhookInfo":
        return ok({
          url: webhook.url,
          has_custom_certificate: false,
          pending_update_count: queuedUpdates.length,
          ...(webhook.url === ""
            ? {}
            : {
                max_connections: webhook.maxConnections,
                ...(webhook.allowedUpdates ? { allowed_updates: webhook.allowedUpdates } : {}),
              }),
          ...(webhook.lastError
            ? {
                last_error_date: webhook.lastError.date,
                last_error_message: webhook.lastError.message,
              }
            : {}),
        });
      case "getChatMember":
        return ok(
          chatMember(
            members.get(memberKey(chatId ?? 0, numberOrUndefined(payload.user_id) ?? 0)) ??
              "member",
            numberOrUndefined(payload.user_id) ?? 0,
          ),
        );
      case "getUpdates":
        return "long-poll";
      default:
        return undefined;
    }
  }

  function storeNewMessage(
    payload: Record<string, unknown>,
    content: Record<string, unknown>,
    parsed: ParsedText | undefined,
  ): BotMessage {
    const chatId = numberOrUndefined(payload.chat_id) ?? 0;
    const messageId = nextMessageId.get(chatId) ?? FIRST_MESSAGE_ID;
    nextMessageId.set(chatId, messageId + 1);
    const message: BotMessage = {
      message_id: messageId,
      date: unixNow(),
      chat: { id: chatId, type: chatId < 0 ? "supergroup" : "private" },
      from: bot,
      ...content,
      ...(payload.reply_markup === undefined ? {} : { reply_markup: payload.reply_markup }),
    };
    messages.set(messageKey(chatId, messageId), message);
    if (parsed) contents.set(messageKey(chatId, messageId), parsed);
    chatEvent({ kind: "message", chatId, messageId });
    return message;
  }

  function keepFile(file: UploadedFile): string {
    const fileId = `file-${++fileCount}`;
    files.set(fileId, { fileName: file.filename, content: Buffer.from(file.text, "utf8") });
    return fileId;
  }

  function forgetMessage(chatId: number, messageId: number): void {
    const key = messageKey(chatId, messageId);
    if (!messages.delete(key)) return;
    contents.delete(key);
    chatEvent({ kind: "delete", chatId, messageId });
  }

  function allocateMessageId(chatId: number): number {
    const messageId = nextMessageId.get(chatId) ?? FIRST_MESSAGE_ID;
    nextMessageId.set(chatId, messageId + 1);
    return messageId;
  }

  async function deliver(update: Update): Promise<void> {
    const target = webhook.url !== "" ? options.webhookTarget?.(webhook.url) : undefined;
    if (target === undefined) {
      pushUpdate(update);
      return;
    }
    // Telegram POSTs each update with the secret given to setWebhook; a refusal is kept for
    // getWebhookInfo, as Telegram keeps its last delivery error.
    try {
      const response = await fetch(target, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          ...(webhook.secret ? { "x-telegram-bot-api-secret-token": webhook.secret } : {}),
        },
        body: JSON.stringify(update),
      });
      await response.body?.cancel();
      if (!response.ok) {
        webhook = { ...webhook, lastError: { date: unixNow(), message: `${response.status}` } };
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      webhook = { ...webhook, lastError: { date: unixNow(), message } };
    }
  }

  function pushUpdate(update: unknown): void {
    queuedUpdates.push(update);
    queuedUpdates.sort((a, b) => updateIdOf(a) - updateIdOf(b));
    for (const poll of [...openPolls]) {
      const ready = pendingUpdates(poll.offset, poll.limit);
      if (ready.length > 0) poll.answer(ready);
    }
  }

  function editMessage(
    payload: Record<string, unknown>,
    content: Record<string, unknown>,
    parsed: ParsedText | undefined,
  ): ApiResponse {
    // Telegram answers `true` for messages sent via inline mode: there is no Message to return.
    if (payload.inline_message_id !== undefined) return { ok: true, result: true };
    const chatId = numberOrUndefined(payload.chat_id) ?? 0;
    const messageId = numberOrUndefined(payload.message_id) ?? 0;
    const key = messageKey(chatId, messageId);
    const previous = messages.get(key);
    if (!previous) return { ok: false, error_code: 400, description: ERRORS.editNotFound };
    const before = contents.get(key);
    const sameContent = parsed === undefined || (before !== undefined && sameText(before, parsed));
    if (sameContent && sameMarkup(previous.reply_markup, payload.reply_markup)) {
      return { ok: false, error_code: 400, description: ERRORS.notModified };
    }
    if (parsed) contents.set(key, parsed);
    // Telegram removes the keyboard when an edit does not repeat it.
    const { reply_markup: _dropped, ...rest } = previous;
    const edited: BotMessage = {
      ...rest,
      ...content,
      edit_date: unixNow(),
      ...(payload.reply_markup === undefined ? {} : { reply_markup: payload.reply_markup }),
    };
    messages.set(key, edited);
    chatEvent({ kind: "edit", chatId, messageId });
    return { ok: true, result: edited };
  }

  function pendingUpdates(offset: number, limit: number): unknown[] {
    // A getUpdates offset confirms every update below it, as on the real server.
    queuedUpdates = queuedUpdates.filter((u) => updateIdOf(u) >= offset);
    return queuedUpdates.slice(0, limit);
  }

  function longPoll(call: ApiCall, res: ServerResponse): void {
    const offset = numberOrUndefined(call.payload.offset) ?? 0;
    const limit = Math.min(Math.max(numberOrUndefined(call.payload.limit) ?? 100, 1), 100);
    const timeoutMs = Math.min(
      (numberOrUndefined(call.payload.timeout) ?? 0) * 1000,
      LONG_POLL_CAP_MS,
    );
    const ready = pendingUpdates(offset, limit);
    if (ready.length > 0 || timeoutMs <= 0) {
      finish(ready);
      return;
    }
    const timer = setTimeout(() => poll.answer([]), timeoutMs);
    const poll: OpenPoll = {
      offset,
      limit,
      res,
      answer: (updates) => {
        clearTimeout(timer);
        openPolls.delete(poll);
        finish(updates);
      },
    };
    openPolls.add(poll);
    // grammY aborts its open poll on bot.stop(): forget it instead of answering a dead socket.
    res.on("close", () => {
      clearTimeout(timer);
      openPolls.delete(poll);
    });

    function finish(updates: unknown[]): void {
      call.response = { ok: true, result: updates };
      reply(res, call.response);
      notify();
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const route = /^\/bot([^/]+)\/(?:test\/)?([A-Za-z]+)$/.exec(req.url ?? "");
    const body = await readBody(req);
    if (!route?.[1] || !route[2]) {
      reply(res, { ok: false, error_code: 404, description: "Not Found" });
      return;
    }
    const call: ApiCall = {
      method: route[2],
      token: route[1],
      payload: parsePayload(req.headers["content-type"] ?? "", body),
    };
    const response = answer(call.method, call.payload);
    if (response === "long-poll") {
      record(call);
      longPoll(call, res);
      return;
    }
    call.response = response ?? {
      ok: false,
      error_code: 404,
      description: "Not Found: method not found",
    };
    const gate = [...gates].find((shut) => shut.matches(call));
    gate?.held.push({ call, res });
    record(call);
    if (!gate) reply(res, call.response);
  }

  function openGate(gate: ShutGate): void {
    if (!gates.delete(gate)) return;
    // A killed client's socket is gone: reply() skips it.
    for (const { call, res } of gate.held) if (call.response) reply(res, call.response);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const description = error instanceof Error ? error.message : String(error);
      reply(res, {
        ok: false,
        error_code: 500,
        description: `Fake Telegram failed: ${description}`,
      });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    apiRoot: `http://127.0.0.1:${port}`,
    botInfo: bot,
    calls,
    callsOf: (method) => calls.filter((c) => c.method === method),
    sent: () => calls.filter(isUserFacing),
    textsTo: (chatId) =>
      calls
        .filter((c) => TEXT_METHODS.has(c.method) && c.response?.ok === true)
        .filter((c) => numberOrUndefined(c.payload.chat_id) === chatId)
        .flatMap((c) => {
          const text = stringOrUndefined(c.payload.text) ?? stringOrUndefined(c.payload.caption);
          return text === undefined ? [] : [text];
        }),
    lastMessageTo: (chatId) => {
      const inChat = [...messages.values()].filter(
        (m) => m.chat.id === chatId && m.from.id === bot.id,
      );
      const last = inChat.sort((a, b) => a.message_id - b.message_id).at(-1);
      if (!last) throw new Error(`The bot has sent no message to chat ${chatId}.`);
      return last;
    },
    clear: () => {
      for (const gate of [...gates]) openGate(gate);
      calls.length = 0;
      failures = [];
      blocked = new Set();
      nextMessageId = new Map();
      messages = new Map();
      contents = new Map();
      members = new Map();
      queuedUpdates = [];
      files = new Map();
      commands = [];
    },
    forgetCalls: () => {
      calls.length = 0;
    },
    failNext: (method, error, options = {}) => {
      failures.push({ method, error, chatId: options.chatId, remaining: options.times ?? 1 });
    },
    blockChat: (chatId) => {
      blocked.add(chatId);
    },
    holdAnswers: (matches) => {
      const gate: ShutGate = { matches, held: [] };
      gates.add(gate);
      return {
        held: () => gate.held.map(({ call }) => call),
        open: () => openGate(gate),
      };
    },
    setChatMember: (chatId, userId, status) => {
      members.set(memberKey(chatId, userId), status);
    },
    waitForCalls: (predicate, timeoutMs = 3000) =>
      new Promise<void>((resolve, reject) => {
        if (predicate(calls)) {
          resolve();
          return;
        }
        const check = () => {
          if (!predicate(calls)) return;
          listeners.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(
              `waitForCalls: condition not met within ${timeoutMs} ms. Calls so far:\n${describeCalls(calls)}`,
            ),
          );
        }, timeoutMs);
        listeners.add(check);
      }),
    webhookDeliveryFailed: (message) => {
      webhook = { ...webhook, lastError: { date: unixNow(), message } };
    },
    pushUpdate,
    deliver,
    chatMessages: (chatId) =>
      [...messages.entries()]
        .filter(([, m]) => m.chat.id === chatId)
        .sort(([, a], [, b]) => a.message_id - b.message_id)
        .map(([key, message]) => ({ message, content: contents.get(key) })),
    file: (fileId) => files.get(fileId),
    commands: () => commands.map((c) => ({ ...c })),
    menuButton: (chatId) => ({ ...menuButtonOf(chatId) }),
    onChatEvent: (listener) => {
      chatListeners.add(listener);
      return () => chatListeners.delete(listener);
    },
    write: ({ chat, from, text, replyTo }) => {
      const messageId = allocateMessageId(chat.id);
      const replied =
        replyTo === undefined ? undefined : messages.get(messageKey(chat.id, replyTo));
      const entities = commandEntities(text);
      const message: BotMessage = {
        message_id: messageId,
        date: unixNow(),
        chat,
        from,
        text,
        ...(entities.length > 0 ? { entities } : {}),
        // Telegram never nests replies: the replied-to message carries no reply of its own.
        ...(replied ? { reply_to_message: withoutReply(replied) } : {}),
      };
      const key = messageKey(chat.id, messageId);
      messages.set(key, message);
      contents.set(key, { text, entities: [] });
      chatEvent({ kind: "message", chatId: chat.id, messageId });
      const delivered = deliver({
        update_id: nextUpdateId++,
        message: message as unknown as Update["message"] & object,
      } as Update);
      return { message, delivered };
    },
    press: ({ chat, from, message, data }) =>
      deliver({
        update_id: nextUpdateId++,
        callback_query: {
          id: `cbq-${++callbackCount}`,
          from,
          chat_instance: `instance${chat.id}`,
          message: { ...message, chat },
          data,
        },
      } as unknown as Update),
    takeMessageId: (chatId) => allocateMessageId(chatId),
    remember: ({ chat, from, text, date, messageId, replyTo }) => {
      const replied =
        replyTo === undefined ? undefined : messages.get(messageKey(chat.id, replyTo));
      const message: BotMessage = {
        message_id: messageId,
        date: Math.floor(date.getTime() / 1000),
        chat,
        from,
        text,
        ...(replied ? { reply_to_message: withoutReply(replied) } : {}),
      };
      const key = messageKey(chat.id, messageId);
      messages.set(key, message);
      contents.set(key, { text, entities: [] });
      chatEvent({ kind: "message", chatId: chat.id, messageId });
      return message;
    },
    forgetChats: () => {
      messages = new Map();
      contents = new Map();
      nextMessageId = new Map();
      files = new Map();
    },
    close: async () => {
      for (const gate of [...gates]) openGate(gate);
      // Let open long polls hear "no updates" before their sockets are cut.
      const answered = [...openPolls].map((poll) => {
        const done = new Promise<void>((resolve) => {
          poll.res.once("finish", resolve);
          poll.res.once("close", resolve);
        });
        poll.answer([]);
        return done;
      });
      await Promise.all(answered);
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // grammY keeps connections alive; without this, close() waits for its idle sockets to time out.
      server.closeAllConnections();
      await closed;
    },
  };
}

const MARKUP_METHODS = new Set([
  "sendMessage",
  "sendDocument",
  "editMessageText",
  "editMessageReplyMarkup",
]);

function refuseMarkup(
  payload: Record<string, unknown>,
  chatId: number | undefined,
): ApiResponse | undefined {
  if (payload.reply_markup === undefined) return undefined;
  const refusal = checkReplyMarkup(payload.reply_markup, chatId);
  return refusal ? { ok: false, error_code: 400, description: refusal } : undefined;
}

function badRequest(parsed: Parsed<unknown> & { ok: false }): ApiResponse {
  return { ok: false, error_code: 400, description: parsed.description };
}

function chatMember(status: ChatMemberStatus, userId: number): Record<string, unknown> {
  const user = { id: userId, is_bot: false, first_name: "User" };
  switch (status) {
    case "creator":
      return { status, user, is_anonymous: false };
    case "administrator":
      return {
        status,
        user,
        can_be_edited: false,
        is_anonymous: false,
        can_manage_chat: true,
        can_delete_messages: true,
        can_manage_video_chats: false,
        can_restrict_members: true,
        can_promote_members: false,
        can_change_info: true,
        can_invite_users: true,
        can_post_stories: false,
        can_edit_stories: false,
        can_delete_stories: false,
      };
    case "kicked":
      return { status, user, until_date: 0 };
    default:
      return { status, user };
  }
}

function commandsOf(value: unknown): BotCommandEntry[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry) =>
    isRecord(entry) && typeof entry.command === "string" && typeof entry.description === "string"
      ? [{ command: entry.command, description: entry.description }]
      : [],
  );
}

function withoutReply(message: BotMessage): BotMessage {
  const { reply_to_message: _nested, ...rest } = message;
  return rest as BotMessage;
}

/**
 * The entities Telegram gives a person's text: a leading /command and @mentions, offsets in
 * UTF-16 code units (JavaScript's string indices).
 */
export function commandEntities(
  text: string,
): { type: "bot_command" | "mention"; offset: number; length: number }[] {
  const entities: { type: "bot_command" | "mention"; offset: number; length: number }[] = [];
  const command = /^\/\S+/.exec(text);
  if (command) entities.push({ type: "bot_command", offset: 0, length: command[0].length });
  const commandEnd = command?.[0].length ?? 0;
  for (const mention of text.matchAll(/(?<![\w@])@[A-Za-z0-9_]+/g)) {
    if (mention.index < commandEnd) continue;
    entities.push({ type: "mention", offset: mention.index, length: mention[0].length });
  }
  return entities;
}

function memberKey(chatId: number, userId: number): string {
  return `${chatId}:${userId}`;
}

export function botInfoFor(id: number, username: string): UserFromGetMe {
  return {
    id,
    is_bot: true,
    first_name: "Task Tracker",
    username,
    can_join_groups: true,
    can_read_all_group_messages: true,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
    has_topics_enabled: false,
    allows_users_to_create_topics: false,
    can_manage_bots: false,
    supports_join_request_queries: false,
  };
}

function isUserFacing(call: ApiCall): boolean {
  if (!USER_FACING_METHODS.has(call.method) || call.response?.ok !== true) return false;
  if (call.method === "answerCallbackQuery") return typeof call.payload.text === "string";
  return true;
}

function documentFields(
  payload: Record<string, unknown>,
  keep: (file: UploadedFile) => string,
): Record<string, unknown> {
  const file = payload.document;
  const document = isUploadedFile(file)
    ? (() => {
        const fileId = keep(file);
        return {
          file_id: fileId,
          file_unique_id: `unique-${fileId}`,
          file_name: file.filename,
          file_size: file.size,
        };
      })()
    : { file_id: String(file), file_unique_id: String(file) };
  const caption = stringOrUndefined(payload.caption);
  return caption === undefined ? { document } : { document, caption };
}

function describeCalls(calls: ApiCall[]): string {
  if (calls.length === 0) return "  (none)";
  return calls
    .map((c) => {
      const chat = c.payload.chat_id === undefined ? "" : ` chat=${String(c.payload.chat_id)}`;
      const text = stringOrUndefined(c.payload.text) ?? stringOrUndefined(c.payload.caption);
      const outcome = c.response && !c.response.ok ? ` -> ${c.response.error_code}` : "";
      return `  ${c.method}${chat}${text === undefined ? "" : ` ${JSON.stringify(text)}`}${outcome}`;
    })
    .join("\n");
}

function reply(res: ServerResponse, response: ApiResponse): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(response.ok ? 200 : response.error_code, { "content-type": "application/json" });
  res.end(JSON.stringify(response));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

function parsePayload(contentType: string, body: Buffer): Record<string, unknown> {
  if (body.length === 0) return {};
  const boundary = /boundary="?([^";]+)"?/i.exec(contentType)?.[1];
  if (contentType.startsWith("multipart/form-data") && boundary) {
    return multipartPayload(body, boundary);
  }
  const parsed: unknown = JSON.parse(body.toString("utf8"));
  return isRecord(parsed) ? parsed : {};
}

/** Fields that carry user text: a caption "42" must stay a string. */
const FREE_TEXT_FIELDS = new Set([
  "text",
  "caption",
  "title",
  "description",
  "short_description",
  "question",
  "filename",
  "inline_message_id",
  "business_connection_id",
  "callback_query_id",
  "url",
  "secret_token",
]);

/**
 * grammY sends every field of a multipart upload as a string (objects as JSON) and files as
 * parts referenced by `attach://<id>`. Turn that back into the shape of a JSON call, so tests
 * assert on both kinds of call the same way.
 */
function multipartPayload(body: Buffer, boundary: string): Record<string, unknown> {
  const parts = parseMultipart(body, boundary);
  const files = new Map<string, UploadedFile>();
  for (const part of parts) {
    if (part.filename === undefined) continue;
    files.set(part.name, {
      filename: part.filename,
      size: part.content.length,
      text: part.content.toString("utf8"),
    });
  }
  const fields: Record<string, unknown> = {};
  for (const part of parts) {
    if (part.filename !== undefined) continue;
    const value = part.content.toString("utf8");
    fields[part.name] = FREE_TEXT_FIELDS.has(part.name) ? value : jsonOrString(value);
  }
  const referenced = JSON.stringify(fields);
  const payload: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(fields)) {
    payload[name] = resolveAttachments(value, files);
  }
  // A file nothing refers to is kept under its part name, so no upload goes unseen.
  for (const [name, file] of files) {
    if (!referenced.includes(`attach://${name}`)) payload[name] = file;
  }
  return payload;
}

function resolveAttachments(value: unknown, files: Map<string, UploadedFile>): unknown {
  if (typeof value === "string" && value.startsWith("attach://")) {
    return files.get(value.slice("attach://".length)) ?? value;
  }
  if (Array.isArray(value)) return value.map((v) => resolveAttachments(v, files));
  if (isRecord(value)) {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, resolveAttachments(v, files)]),
    );
  }
  return value;
}

interface MultipartPart {
  name: string;
  filename?: string;
  content: Buffer;
}

/**
 * grammY writes part headers as `content-disposition:form-data;name="x";filename=a.csv`
 * (no spaces, unquoted filename), which undici's `Request.formData()` rejects in Node 20,
 * so the fake reads multipart bodies itself.
 */
function parseMultipart(body: Buffer, boundary: string): MultipartPart[] {
  const delimiter = Buffer.from(`--${boundary}`);
  const parts: MultipartPart[] = [];
  let start = body.indexOf(delimiter);
  while (start !== -1) {
    const afterDelimiter = start + delimiter.length;
    if (body.subarray(afterDelimiter, afterDelimiter + 2).toString() === "--") break;
    const next = body.indexOf(delimiter, afterDelimiter);
    if (next === -1) break;
    // Each part sits between "<delimiter>\r\n" and "\r\n<next delimiter>".
    const raw = body.subarray(afterDelimiter + 2, next - 2);
    const headerEnd = raw.indexOf("\r\n\r\n");
    if (headerEnd !== -1) {
      const part = partFrom(
        raw.subarray(0, headerEnd).toString("utf8"),
        raw.subarray(headerEnd + 4),
      );
      if (part) parts.push(part);
    }
    start = next;
  }
  return parts;
}

function partFrom(headers: string, content: Buffer): MultipartPart | undefined {
  const disposition = headers
    .split("\r\n")
    .find((line) => line.toLowerCase().startsWith("content-disposition"));
  if (!disposition) return undefined;
  const name = /;\s*name="([^"]*)"/i.exec(disposition)?.[1];
  if (name === undefined) return undefined;
  const filename = /;\s*filename=(.*)$/i.exec(disposition)?.[1]?.trim();
  if (filename === undefined) return { name, content };
  return { name, filename: filename.replace(/^"(.*)"$/, "$1"), content };
}

function jsonOrString(value: string): unknown {
  try {
    const parsed: unknown = JSON.parse(value);
    return parsed;
  } catch {
    return value;
  }
}

function messageKey(chatId: number, messageId: number): string {
  return `${chatId}:${messageId}`;
}

function updateIdOf(update: unknown): number {
  return isRecord(update) && typeof update.update_id === "number" ? update.update_id : 0;
}

function isUploadedFile(value: unknown): value is UploadedFile {
  return isRecord(value) && typeof value.filename === "string" && typeof value.size === "number";
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function numberOrUndefined(value: unknown): number | undefined {
  if (typeof value === "number") return value;
  if (typeof value === "string" && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}
