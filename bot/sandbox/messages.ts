import { z } from "zod";
import type { TelegramEntity } from "./emulator/rules.ts";
import type { ChatMessage } from "./emulator/server.ts";

/** A chat message as the sandbox page shows it (docs/sandbox.md). */
export interface SandboxMessage {
  id: number;
  chatId: number;
  from: { id: number; firstName: string; isBot: boolean };
  text: string;
  /** The text as Telegram shows it, as HTML of Telegram's own tags only, everything escaped. */
  html: string;
  date: string;
  replyTo: number | null;
  buttons: SandboxButton[][];
  document: { fileName: string; url: string } | null;
  edited: boolean;
}

export interface SandboxButton {
  text: string;
  data?: string;
  url?: string;
  webApp?: string;
}

const keyboardSchema = z.object({
  inline_keyboard: z.array(
    z.array(
      z.looseObject({
        text: z.string(),
        callback_data: z.string().optional(),
        url: z.string().optional(),
        web_app: z.object({ url: z.string() }).optional(),
      }),
    ),
  ),
});

const messageSchema = z.looseObject({
  message_id: z.number(),
  date: z.number(),
  chat: z.looseObject({ id: z.number() }),
  from: z.looseObject({ id: z.number(), first_name: z.string(), is_bot: z.boolean() }),
  text: z.string().optional(),
  caption: z.string().optional(),
  edit_date: z.number().optional(),
  reply_to_message: z.looseObject({ message_id: z.number() }).optional(),
  document: z.looseObject({ file_id: z.string(), file_name: z.string().optional() }).optional(),
});

export function toSandboxMessage({ message: raw, content }: ChatMessage): SandboxMessage {
  const message = messageSchema.parse(raw);
  const text = content?.text ?? message.text ?? message.caption ?? "";
  const keyboard = keyboardSchema.safeParse(raw.reply_markup);
  return {
    id: message.message_id,
    chatId: message.chat.id,
    from: { id: message.from.id, firstName: message.from.first_name, isBot: message.from.is_bot },
    text,
    html: renderEntities(text, content?.entities ?? []),
    date: new Date(message.date * 1000).toISOString(),
    replyTo: message.reply_to_message?.message_id ?? null,
    buttons: keyboard.success
      ? keyboard.data.inline_keyboard.map((row) =>
          row.map((button) => ({
            text: button.text,
            ...(button.callback_data === undefined ? {} : { data: button.callback_data }),
            ...(button.url === undefined ? {} : { url: button.url }),
            ...(button.web_app === undefined ? {} : { webApp: button.web_app.url }),
          })),
        )
      : [],
    document: message.document
      ? {
          fileName: message.document.file_name ?? message.document.file_id,
          url: `/sandbox/files/${encodeURIComponent(message.document.file_id)}`,
        }
      : null,
    edited: message.edit_date !== undefined,
  };
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ESCAPES[c] ?? c);
}

/** Links the page may show: the web and Telegram's own, never `javascript:` or `data:`. */
function safeHref(url: string | undefined): string | undefined {
  return url !== undefined && /^(https?:|tg:)/i.test(url) ? url : undefined;
}

function tagsOf(entity: TelegramEntity): [string, string] | undefined {
  switch (entity.type) {
    case "bold":
      return ["<b>", "</b>"];
    case "italic":
      return ["<i>", "</i>"];
    case "underline":
      return ["<u>", "</u>"];
    case "strikethrough":
      return ["<s>", "</s>"];
    case "spoiler":
      return ['<span class="tg-spoiler">', "</span>"];
    case "code":
      return ["<code>", "</code>"];
    case "pre":
      return ["<pre>", "</pre>"];
    case "blockquote":
      return ["<blockquote>", "</blockquote>"];
    case "expandable_blockquote":
      return ["<blockquote expandable>", "</blockquote>"];
    case "date_time": {
      // The page shows it in the reader's own zone and locale, as Telegram's apps do.
      const at = new Date((entity.unix_time ?? 0) * 1000).toISOString();
      const format = escapeHtml(entity.date_time_format ?? "");
      return [`<time datetime="${at}" data-format="${format}">`, "</time>"];
    }
    case "text_link": {
      const href = safeHref(entity.url);
      return href ? [`<a href="${escapeHtml(href)}">`, "</a>"] : undefined;
    }
    default:
      return undefined;
  }
}

/**
 * The text with its entities as HTML: built from what Telegram parsed, never from the HTML
 * the bot sent, so only Telegram's tags (and safe links) can reach the page. Entities nest
 * (they came from well-formed tags), so one stack closes them in order.
 */
export function renderEntities(text: string, entities: readonly TelegramEntity[]): string {
  const sorted = [...entities].sort((a, b) => a.offset - b.offset || b.length - a.length);
  const open: { end: number; close: string }[] = [];
  let html = "";
  let next = 0;
  for (let i = 0; i <= text.length; i++) {
    while (open.length > 0 && (open.at(-1)?.end ?? 0) <= i) html += open.pop()?.close ?? "";
    while (next < sorted.length && (sorted[next]?.offset ?? 0) <= i) {
      const entity = sorted[next++];
      const tags = entity ? tagsOf(entity) : undefined;
      if (!entity || !tags) continue;
      html += tags[0];
      open.push({ end: entity.offset + entity.length, close: tags[1] });
    }
    if (i < text.length) html += escapeHtml(text[i] ?? "");
  }
  return html;
}
