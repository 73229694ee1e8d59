import { type ComponentChildren, h } from "preact";

/**
 * The bot's messages as Telegram shows them: its parse_mode HTML turned into elements from
 * an allow-list. The service already limits the HTML to Telegram's tags; this renders it
 * safely anyway, so a bug there can never put a script or a handler into the page. The
 * markup is parsed in an inert document (DOMParser: nothing in it runs or loads) and only
 * known tags and attributes are rebuilt, as Preact elements, never as markup.
 */

/** Tags kept as they are (Telegram's formatting set). */
const PLAIN = new Set([
  "b",
  "strong",
  "i",
  "em",
  "u",
  "ins",
  "s",
  "strike",
  "del",
  "code",
  "pre",
  "blockquote",
]);
/** Dropped with everything inside: their text is not message text. */
const DROPPED = new Set([
  "script",
  "style",
  "template",
  "iframe",
  "object",
  "embed",
  "noscript",
  "svg",
  "math",
  "textarea",
  "title",
  "head",
]);
const LINK_SCHEMES = new Set(["http:", "https:", "tg:"]);
const LANGUAGE = /^language-[\w+#-]{1,32}$/;

/** A link's address when it is one a message may carry (http, https, tg), else null. */
export function safeHref(href: string | null): string | null {
  if (!href) return null;
  try {
    const url = new URL(href);
    return LINK_SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

export function renderTelegramHtml(html: string): ComponentChildren {
  const doc = new DOMParser().parseFromString(html, "text/html");
  return children(doc.body);
}

function children(parent: Node): ComponentChildren[] {
  return Array.from(parent.childNodes, convert);
}

function convert(node: Node): ComponentChildren {
  if (node.nodeType === Node.TEXT_NODE) return node.textContent ?? "";
  if (node.nodeType !== Node.ELEMENT_NODE) return null;
  const element = node as Element;
  const tag = element.tagName.toLowerCase();
  if (DROPPED.has(tag)) return null;
  const inner = children(element);
  if (PLAIN.has(tag)) {
    const language = tag === "code" ? element.getAttribute("class") : null;
    return h(tag, language && LANGUAGE.test(language) ? { class: language } : {}, inner);
  }
  if (tag === "a") {
    const href = safeHref(element.getAttribute("href"));
    if (!href) return inner;
    return h("a", { href, target: "_blank", rel: "noopener noreferrer" }, inner);
  }
  if (tag === "time") {
    const shown = readersTime(
      element.getAttribute("datetime"),
      element.getAttribute("data-format"),
    );
    return h("time", { datetime: element.getAttribute("datetime") ?? "" }, shown ?? inner);
  }
  const spoiler =
    tag === "tg-spoiler" || (tag === "span" && element.getAttribute("class") === "tg-spoiler");
  if (spoiler) return h("span", { class: "tg-spoiler" }, inner);
  // Any other tag (tg-emoji, a span without the spoiler class, stray markup): its text only.
  return inner;
}

/**
 * A date_time entity as Telegram's apps show it: in the reader's own zone and locale (here,
 * the browser's), per its format (w weekday, d/D short/long date, t/T short/long time). No
 * format, or "r" (relative, which would need a ticking clock here), keeps the bot's text.
 */
export function readersTime(
  datetime: string | null,
  format: string | null,
  locale?: string,
): string | null {
  const at = datetime ? new Date(datetime) : null;
  if (!at || Number.isNaN(at.getTime()) || !format || !/^w?[dD]?[tT]?$/.test(format)) return null;
  const options: Intl.DateTimeFormatOptions = {};
  if (format.includes("w")) options.weekday = "short";
  if (format.includes("d"))
    Object.assign(options, { day: "numeric", month: "numeric", year: "2-digit" });
  if (format.includes("D"))
    Object.assign(options, { day: "numeric", month: "long", year: "numeric" });
  if (/[tT]/.test(format)) Object.assign(options, { hour: "numeric", minute: "2-digit" });
  if (format.includes("T")) options.second = "2-digit";
  return new Intl.DateTimeFormat(locale, options).format(at);
}
