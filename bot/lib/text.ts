/**
 * "1 message", "2 messages", "1,200 messages": English plurals of regular nouns, or the
 * given plural form ("entry", "entries").
 */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString("en")} ${count === 1 ? noun : nouns}`;
}

function codePoints(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}

/**
 * At most `max` characters (code points, as titles are counted), cut between graphemes so
 * an emoji, a flag or an accented letter is never split; "…" marks a cut.
 */
export function cutText(text: string, max: number): string {
  if (codePoints(text) <= max) return text;
  let kept = "";
  let count = 0;
  for (const { segment } of new Intl.Segmenter().segment(text)) {
    count += codePoints(segment);
    if (count > max) break;
    kept += segment;
  }
  return `${kept}…`;
}
