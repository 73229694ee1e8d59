/** Telegram's limits on what a bot sends (https://core.telegram.org/bots/faq#broadcasting-to-users). */
export interface SendLimits {
  /** At most one message a second in one chat. */
  perChatIntervalMs: number;
  /** At most this many messages a minute in one group. */
  perGroupPerMinute: number;
  /** At most this many messages a second overall. */
  overallPerSecond: number;
}

export const TELEGRAM_LIMITS: SendLimits = {
  perChatIntervalMs: 1000,
  perGroupPerMinute: 20,
  overallPerSecond: 30,
};

const SECOND = 1000;
const MINUTE = 60_000;

/** Group and channel ids are negative, private chats (people) positive. */
export const isGroup = (chatId: number): boolean => chatId < 0;

/**
 * This process's sending budgets, in milliseconds of the injected clock: when a chat may
 * next be written to, given every attempt recorded (a refused attempt counts: Telegram
 * counted it too). Pure bookkeeping; the sender decides what to do with the answer.
 */
export class SendBudgets {
  private readonly overall: number[] = [];
  private readonly chats = new Map<number, number[]>();
  private recorded = 0;

  constructor(private readonly limits: SendLimits = TELEGRAM_LIMITS) {}

  /** The earliest moment (ms) a message to `chatId` keeps within every limit; ≤ now: at once. */
  nextAllowed(chatId: number, now: number): number {
    this.forgetBefore(now, chatId);
    let at = now;
    const chat = this.chats.get(chatId) ?? [];
    const last = chat.at(-1);
    if (last !== undefined) at = Math.max(at, last + this.limits.perChatIntervalMs);
    if (isGroup(chatId) && chat.length >= this.limits.perGroupPerMinute) {
      const oldest = chat[chat.length - this.limits.perGroupPerMinute] ?? now;
      at = Math.max(at, oldest + MINUTE);
    }
    if (this.overall.length >= this.limits.overallPerSecond) {
      const oldest = this.overall[this.overall.length - this.limits.overallPerSecond] ?? now;
      at = Math.max(at, oldest + SECOND);
    }
    return at;
  }

  /** An attempt to write to `chatId` at `now`. */
  record(chatId: number, now: number): void {
    // Chats written to over a minute ago are forgotten now and then, not on every call.
    if (++this.recorded % 1000 === 0)
      for (const id of [...this.chats.keys()]) this.forgetBefore(now, id);
    this.overall.push(now);
    const chat = this.chats.get(chatId);
    if (chat) chat.push(now);
    else this.chats.set(chatId, [now]);
  }

  /**
   * Telegram answered the attempt made at `attemptedAt`: it counts from `answeredAt` instead.
   * The request reached Telegram somewhere in between, so counting from the answer never
   * lets two windows' worth of messages arrive within one window when requests are slow.
   */
  answered(chatId: number, attemptedAt: number, answeredAt: number): void {
    moveTime(this.overall, attemptedAt, answeredAt);
    const chat = this.chats.get(chatId);
    if (chat) moveTime(chat, attemptedAt, answeredAt);
  }

  private forgetBefore(now: number, chatId: number): void {
    while (this.overall.length > 0 && (this.overall[0] ?? now) <= now - SECOND)
      this.overall.shift();
    const times = this.chats.get(chatId);
    if (!times) return;
    while (times.length > 0 && (times[0] ?? now) <= now - MINUTE) times.shift();
    if (times.length === 0) this.chats.delete(chatId);
  }
}

/** Replaces one `from` in the sorted `times` by `to`, keeping them sorted. */
function moveTime(times: number[], from: number, to: number): void {
  const index = times.indexOf(from);
  if (index === -1) return;
  times.splice(index, 1);
  let at = times.length;
  while (at > 0 && (times[at - 1] ?? 0) > to) at--;
  times.splice(at, 0, to);
}
