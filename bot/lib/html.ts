/** Escapes text for Telegram's HTML parse mode (it only needs these three). */
export function escapeHtml(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

/**
 * A moment each reader's Telegram app shows in their own zone and locale (a date_time
 * entity: weekday, short date, short time); `text` stands in where an app cannot, so it
 * should say its zone.
 */
export function readersOwnTime(at: Date, text: string, format = "wdt"): string {
  const unix = Math.floor(at.getTime() / 1000);
  return `<tg-time unix="${unix}" format="${format}">${escapeHtml(text)}</tg-time>`;
}

/** Telegram refuses a longer text: UTF-16 code units of what the reader sees, tags excluded. */
export const MESSAGE_TEXT_LIMIT = 4096;

/** How long Telegram counts HTML we wrote: tags removed, each entity one character. */
export function visibleLength(html: string): number {
  return html.replace(/<[^>]*>/g, "").replace(/&(?:lt|gt|amp|quot|#\d+|#x[0-9a-f]+);/gi, "&")
    .length;
}

export interface MessageParts {
  /** Always shown, first. */
  head: string[];
  /** Shown in order while they fit; each line is whole HTML, so a cut never splits a tag. */
  lines: string[];
  /** Always shown, last. */
  tail?: string[];
  /** The line that stands for the lines left out (given them, to count what they hold). */
  more: (omitted: string[]) => string;
}

/**
 * One message from a list that grows with data (a digest, a report, a page of tasks): as
 * many lines as Telegram's limit allows, then `more` about the rest, instead of a message
 * Telegram refuses whole.
 */
export function fitMessage(parts: MessageParts, limit = MESSAGE_TEXT_LIMIT): string {
  const { head, lines, tail = [], more } = parts;
  const compose = (kept: number) => {
    const omitted = lines.slice(kept);
    return [
      ...head,
      ...lines.slice(0, kept),
      ...(omitted.length > 0 ? [more(omitted)] : []),
      ...tail,
    ].join("\n");
  };
  const fixed = [...head, ...tail].reduce((sum, line) => sum + visibleLength(line) + 1, 0);
  let used = fixed;
  let fits = 0;
  while (fits < lines.length && used + visibleLength(lines[fits] ?? "") + 1 <= limit + 1) {
    used += visibleLength(lines[fits] ?? "") + 1;
    fits++;
  }
  if (fits === lines.length) return compose(fits);
  // Room for the "more" line: give back lines until it fits too.
  for (let kept = fits; kept >= 0; kept--) {
    const text = compose(kept);
    if (visibleLength(text) <= limit) return text;
  }
  return compose(0);
}
