/**
 * Telegram's own limits, as the fake Bot API enforces them. The error descriptions are the
 * ones the real Bot API answers, so a bot that handles them in tests handles them in production.
 * Where the Bot API documents a stricter rule than its parser enforces (a bare `&`), the fake
 * follows the documentation: text that relies on leniency is an escaping bug waiting to show.
 */

export const MAX_TEXT = 4096;
export const MAX_CAPTION = 1024;
export const MAX_CALLBACK_ANSWER = 200;
export const MAX_CALLBACK_DATA_BYTES = 64;

export const ERRORS = {
  textEmpty: "Bad Request: message text is empty",
  textTooLong: "Bad Request: message is too long",
  captionTooLong: "Bad Request: message caption is too long",
  answerTooLong: "Bad Request: MESSAGE_TOO_LONG",
  buttonData: "Bad Request: BUTTON_DATA_INVALID",
  buttonType: "Bad Request: BUTTON_TYPE_INVALID",
  notModified:
    "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message",
  editNotFound: "Bad Request: message to edit not found",
  notUtf8: "Bad Request: text must be encoded in UTF-8",
} as const;

export interface TelegramEntity {
  type: string;
  offset: number;
  length: number;
  url?: string;
  language?: string;
  custom_emoji_id?: string;
  unix_time?: number;
  date_time_format?: string;
}

export interface ParsedText {
  text: string;
  entities: TelegramEntity[];
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; description: string };

const SIMPLE_TAGS: Record<string, string> = {
  b: "bold",
  strong: "bold",
  i: "italic",
  em: "italic",
  u: "underline",
  ins: "underline",
  s: "strikethrough",
  strike: "strikethrough",
  del: "strikethrough",
  "tg-spoiler": "spoiler",
  code: "code",
  pre: "pre",
  blockquote: "blockquote",
};
const SUPPORTED_TAGS = new Set([...Object.keys(SIMPLE_TAGS), "a", "span", "tg-emoji", "tg-time"]);
/** A date_time entity's format: relative, or weekday, short/long date, short/long time. */
const DATE_TIME_FORMAT = /^(?:r|w?[dD]?[tT]?)$/;

const NAMED_ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"' };

interface OpenTag {
  name: string;
  attributes: Map<string, string>;
  offset: number;
}

function cantParse(reason: string): Parsed<never> {
  return { ok: false, description: `Bad Request: can't parse entities: ${reason}` };
}

/**
 * Telegram's HTML parse mode (https://core.telegram.org/bots/api#html-style): the visible
 * text and its entities, offsets in UTF-16 code units, or the 400 Telegram answers.
 */
export function parseTelegramHtml(html: string): Parsed<ParsedText> {
  let text = "";
  const entities: TelegramEntity[] = [];
  const open: OpenTag[] = [];
  const byteOffset = (index: number) => Buffer.byteLength(html.slice(0, index));
  let i = 0;
  while (i < html.length) {
    const c = html[i];
    if (c === "&") {
      const entity = /^&(?:#(\d{1,7})|#x([0-9a-fA-F]{1,6})|(lt|gt|amp|quot));/.exec(html.slice(i));
      const code = entity
        ? entity[1] !== undefined
          ? Number(entity[1])
          : entity[2] !== undefined
            ? Number.parseInt(entity[2], 16)
            : undefined
        : undefined;
      if (!entity || (code !== undefined && (code === 0 || code > 0x10ffff))) {
        return cantParse(
          `Character '&' at byte offset ${byteOffset(i)} must be escaped as "&amp;"`,
        );
      }
      text +=
        code === undefined ? (NAMED_ENTITIES[entity[3] ?? ""] ?? "") : String.fromCodePoint(code);
      i += entity[0].length;
      continue;
    }
    if (c !== "<") {
      text += c;
      i++;
      continue;
    }
    const tagStart = i;
    const close = html.indexOf(">", i);
    if (html[i + 1] === "/") {
      if (close === -1) return cantParse(`Unclosed end tag at byte offset ${byteOffset(tagStart)}`);
      const name = html
        .slice(i + 2, close)
        .trim()
        .toLowerCase();
      const top = open.pop();
      if (!top) return cantParse(`Unexpected end tag at byte offset ${byteOffset(tagStart)}`);
      if (top.name !== name) {
        return cantParse(
          `Unmatched end tag at byte offset ${byteOffset(tagStart)}, expected "</${top.name}>", found "</${name}>"`,
        );
      }
      const entity = entityFor(top, text.length);
      if (entity) entities.push(entity);
      i = close + 1;
      continue;
    }
    const nameMatch = /^<([^\s>]*)/.exec(html.slice(i));
    const name = (nameMatch?.[1] ?? "").toLowerCase();
    if (close === -1) return cantParse(`Unclosed start tag at byte offset ${byteOffset(tagStart)}`);
    if (!SUPPORTED_TAGS.has(name)) {
      return cantParse(`Unsupported start tag "${name}" at byte offset ${byteOffset(tagStart)}`);
    }
    const attributes = parseAttributes(html.slice(i + 1 + name.length, close));
    if (!attributes) {
      return cantParse(
        `Bad attributes in the tag "${name}" at byte offset ${byteOffset(tagStart)}`,
      );
    }
    if (name === "span" && attributes.get("class") !== "tg-spoiler") {
      return cantParse(
        `Tag "span" must have class "tg-spoiler" at byte offset ${byteOffset(tagStart)}`,
      );
    }
    if (name === "tg-time") {
      const invalid = tgTimeError(attributes);
      if (invalid) return cantParse(`${invalid} at byte offset ${byteOffset(tagStart)}`);
    }
    open.push({ name, attributes, offset: text.length });
    i = close + 1;
  }
  const unclosed = open.at(-1);
  if (unclosed)
    return cantParse(`Can't find end tag corresponding to start tag "${unclosed.name}"`);
  entities.sort((a, b) => a.offset - b.offset || b.length - a.length);
  return { ok: true, value: { text, entities } };
}

/** <tg-time unix="…" format="…">: a Unix time, and a format Telegram knows (or none). */
function tgTimeError(attributes: Map<string, string>): string | undefined {
  const unix = attributes.get("unix") ?? "";
  if (!/^\d{1,12}$/.test(unix)) return 'Tag "tg-time" must have a valid "unix" attribute';
  if (!DATE_TIME_FORMAT.test(attributes.get("format") ?? "")) {
    return 'Tag "tg-time" has an invalid "format" attribute';
  }
  return undefined;
}

function parseAttributes(source: string): Map<string, string> | undefined {
  const attributes = new Map<string, string>();
  const pattern = /\s*([a-zA-Z-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+)))?/y;
  let rest = source.trimEnd();
  while (rest.trim().length > 0) {
    pattern.lastIndex = 0;
    const match = pattern.exec(rest);
    if (!match?.[1]) return undefined;
    const value = match[2] ?? match[3] ?? match[4] ?? "";
    attributes.set(match[1].toLowerCase(), decodeAttribute(value));
    rest = rest.slice(match[0].length);
  }
  return attributes;
}

function decodeAttribute(value: string): string {
  return value.replace(/&(lt|gt|amp|quot);/g, (_, name: string) => NAMED_ENTITIES[name] ?? "");
}

function entityFor(tag: OpenTag, end: number): TelegramEntity | undefined {
  const length = end - tag.offset;
  if (length === 0) return undefined;
  const at = { offset: tag.offset, length };
  switch (tag.name) {
    case "a": {
      const url = tag.attributes.get("href");
      return url ? { type: "text_link", ...at, url } : undefined;
    }
    case "span":
      return { type: "spoiler", ...at };
    case "tg-emoji":
      return { type: "custom_emoji", ...at, custom_emoji_id: tag.attributes.get("emoji-id") ?? "" };
    case "tg-time":
      return {
        type: "date_time",
        ...at,
        unix_time: Number(tag.attributes.get("unix")),
        date_time_format: tag.attributes.get("format") ?? "",
      };
    case "blockquote":
      return {
        type: tag.attributes.has("expandable") ? "expandable_blockquote" : "blockquote",
        ...at,
      };
    case "code": {
      const language = /^language-(.+)$/.exec(tag.attributes.get("class") ?? "")?.[1];
      return language ? { type: "pre", ...at, language } : { type: "code", ...at };
    }
    default:
      return { type: SIMPLE_TAGS[tag.name] ?? tag.name, ...at };
  }
}

/** The text as Telegram shows it: entities parsed when the call asks for HTML. */
export function parseMessageText(text: string, parseMode: unknown): Parsed<ParsedText> {
  // Half of a surrogate pair (a string cut inside an emoji) has no UTF-8 encoding.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text))
    return { ok: false, description: ERRORS.notUtf8 };
  if (parseMode === "HTML") return parseTelegramHtml(text);
  return { ok: true, value: { text, entities: [] } };
}

/** A message's text: 1–4,096 UTF-16 code units once entities are parsed, as Telegram counts. */
export function checkMessageText(text: unknown, parseMode: unknown): Parsed<ParsedText> {
  const parsed = parseMessageText(typeof text === "string" ? text : "", parseMode);
  if (!parsed.ok) return parsed;
  if (parsed.value.text.trim().length === 0) return { ok: false, description: ERRORS.textEmpty };
  if (parsed.value.text.length > MAX_TEXT) return { ok: false, description: ERRORS.textTooLong };
  return parsed;
}

export function checkCaption(caption: unknown, parseMode: unknown): Parsed<ParsedText | undefined> {
  if (caption === undefined) return { ok: true, value: undefined };
  const parsed = parseMessageText(String(caption), parseMode);
  if (!parsed.ok) return parsed;
  if (parsed.value.text.length > MAX_CAPTION) {
    return { ok: false, description: ERRORS.captionTooLong };
  }
  return parsed;
}

export function checkCallbackAnswer(text: unknown): string | undefined {
  if (typeof text === "string" && text.length > MAX_CALLBACK_ANSWER) return ERRORS.answerTooLong;
  return undefined;
}

const BUTTON_ACTIONS = [
  "url",
  "callback_data",
  "web_app",
  "login_url",
  "switch_inline_query",
  "switch_inline_query_current_chat",
  "switch_inline_query_chosen_chat",
  "copy_text",
  "callback_game",
  "pay",
] as const;

/**
 * An inline keyboard: an array of rows, each an array of buttons with a text and exactly one
 * action. Mini App buttons only work in private chats.
 */
export function checkReplyMarkup(markup: unknown, chatId: number | undefined): string | undefined {
  if (markup === undefined || markup === null) return undefined;
  if (typeof markup !== "object" || Array.isArray(markup)) {
    return "Bad Request: can't parse reply keyboard markup JSON object";
  }
  if (!("inline_keyboard" in markup)) return undefined;
  const keyboard = markup.inline_keyboard;
  if (!Array.isArray(keyboard) || !keyboard.every((row) => Array.isArray(row))) {
    return 'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays';
  }
  for (const button of keyboard.flat() as unknown[]) {
    if (typeof button !== "object" || button === null || Array.isArray(button)) {
      return "Bad Request: can't parse inline keyboard button: InlineKeyboardButton should be an Object";
    }
    const fields = button as Record<string, unknown>;
    if (typeof fields.text !== "string" || fields.text.length === 0) {
      return 'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String';
    }
    const actions = BUTTON_ACTIONS.filter((action) => fields[action] !== undefined);
    if (actions.length === 0) {
      return "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard";
    }
    if (actions.length > 1) {
      return `Bad Request: can't parse inline keyboard button: exactly one of ${actions.join(", ")} must be used`;
    }
    if (actions[0] === "callback_data") {
      const data = fields.callback_data;
      const bytes = typeof data === "string" ? Buffer.byteLength(data) : 0;
      if (bytes < 1 || bytes > MAX_CALLBACK_DATA_BYTES) return ERRORS.buttonData;
    }
    if (actions[0] === "web_app") {
      if (chatId !== undefined && chatId < 0) return ERRORS.buttonType;
      const invalid = webAppUrlError("inline keyboard button", fields.web_app);
      if (invalid) return invalid;
    }
  }
  return undefined;
}

/** Telegram opens a Mini App only from an https address, in buttons and in the menu alike. */
export function webAppUrlError(where: string, webApp: unknown): string | undefined {
  const url = (webApp as { url?: unknown } | null)?.url;
  if (typeof url === "string" && url.startsWith("https://")) return undefined;
  return `Bad Request: ${where} Web App URL '${String(url)}' is invalid: Only HTTPS links are allowed`;
}

/** The menu button of private chats: the command list, or one that opens a Mini App. */
export type MenuButton =
  | { type: "commands" }
  | { type: "default" }
  | { type: "web_app"; text: string; url: string };

export function checkMenuButton(button: unknown): Parsed<MenuButton> {
  const fields = (typeof button === "object" && button !== null ? button : {}) as Record<
    string,
    unknown
  >;
  if (button === undefined || fields.type === "default")
    return { ok: true, value: { type: "default" } };
  if (fields.type === "commands") return { ok: true, value: { type: "commands" } };
  if (fields.type !== "web_app") {
    return { ok: false, description: "Bad Request: unsupported menu button type" };
  }
  if (typeof fields.text !== "string" || fields.text.length === 0) {
    return { ok: false, description: "Bad Request: menu button text must be non-empty" };
  }
  const invalid = webAppUrlError("menu button", fields.web_app);
  if (invalid) return { ok: false, description: invalid };
  const { url } = fields.web_app as { url: string };
  return { ok: true, value: { type: "web_app", text: fields.text, url } };
}

/** Markup as Telegram compares it: a missing keyboard and an empty one are the same. */
export function sameMarkup(a: unknown, b: unknown): boolean {
  return JSON.stringify(normalMarkup(a)) === JSON.stringify(normalMarkup(b));
}

function normalMarkup(markup: unknown): unknown {
  if (typeof markup !== "object" || markup === null) return null;
  const keyboard = (markup as { inline_keyboard?: unknown }).inline_keyboard;
  if (Array.isArray(keyboard) && keyboard.flat().length === 0) return null;
  return markup;
}

export function sameText(a: ParsedText, b: ParsedText): boolean {
  return a.text === b.text && JSON.stringify(a.entities) === JSON.stringify(b.entities);
}
