/**
 * "1 message", "2 messages", "1,200 messages": English plurals of regular nouns, or the
 * given plural form ("entry", "entries").
 */
export function plural(count: number, noun: string, nouns = `${noun}s`): string {
  return `${count.toLocaleString("en")} ${count === 1 ? noun : nouns}`;
}
