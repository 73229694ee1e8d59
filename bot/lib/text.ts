/** "1 message", "2 messages": English plurals of regular nouns. */
export function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? "" : "s"}`;
}
