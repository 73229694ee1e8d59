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
  const spoiler =
    tag === "tg-spoiler" || (tag === "span" && element.getAttribute("class") === "tg-spoiler");
  if (spoiler) return h("span", { class: "tg-spoiler" }, inner);
  // Any other tag (tg-emoji, a span without the spoiler class, stray markup): its text only.
  return inner;
}
