/**
 * "1 message", "2 messages", "1,200 messages": English plurals of regular nouns, or the
 * given plural form ("entry", "entries").
 */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString("en")} ${count === 1 ? noun : nouns}`;
}

/** Length in code points: how titles and descriptions are counted. */
export function codePointLength(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * The first `max` code points of `text` or fewer, cut between graphemes so an emoji, a flag
 * or an accented letter is never split.
 */
export function takeCodePoints(text: string, max: number): string {
  if (codePointLength(text) <= max) return text;
  let kept = "";
  let count = 0;
  for (const { segment } of new Intl.Segmenter().segment(text)) {
    count += codePointLength(segment);
    if (count > max) break;
    kept += segment;
  }
  return kept;
}

/**
 * At most `max` characters (code points, as titles are counted), cut between graphemes;
 * "…" marks a cut.
 */
export function cutText(text: string, max: number): string {
  return codePointLength(text) <= max ? text : `${takeCodePoints(text, max)}…`;
}
