import type { Transformer } from "grammy";
import type { Message } from "grammy/types";
import { type OutboxMethod, type OutgoingCall, queueMessages } from "#bot/outbox/queue";
import type { Db } from "#db/client";
import type { Vault } from "#db/vault";

/** The calls that become outbox rows: what a handler sends into a chat. */
const QUEUED: ReadonlySet<string> = new Set<OutboxMethod>([
  "sendMessage",
  "editMessageText",
  "editMessageReplyMarkup",
]);

/**
 * A message a handler sent that is not sent yet: Telegram gives it an id only once the
 * outbox delivers it. Reading its id is a mistake in the handler (nothing it could hold
 * would be true), so it throws instead of lying; a card that later changes edit asks for
 * its id to be written back (OutgoingCall.writeBack) instead.
 */
function notSentYet(chatId: number, text: unknown, date: number): Message.TextMessage {
  const message = { chat: { id: chatId }, date, text: typeof text === "string" ? text : "" };
  Object.defineProperty(message, "message_id", {
    get() {
      throw new Error(
        "A message queued in the outbox has no message_id until it is sent: ask for a write-back.",
      );
    },
  });
  return message as unknown as Message.TextMessage;
}

/**
 * An update's outgoing calls, kept off the wire while its transaction is open: a reply,
 * a card or an edit becomes an outbox row written just before the commit (so a rolled
 * back update says nothing, and a redelivered one nothing twice), and a callback query's
 * answer waits for the commit. Once the transaction has ended, calls go straight out:
 * that is work after the commit, which holds no transaction.
 */
export class UpdateCalls {
  private calls: OutgoingCall[] = [];
  private answers: Array<() => Promise<unknown>> = [];
  private open = true;

  constructor(
    private readonly vault: Vault,
    private readonly now: () => Date,
  ) {}

  /** Installed on the update's own Api (grammY gives each update one). */
  readonly transformer: Transformer = async (prev, method, payload, signal) => {
    if (!this.open) return prev(method, payload, signal);
    const params = { ...(payload as Record<string, unknown>) };
    if (method === "answerCallbackQuery") {
      this.answers.push(() => prev(method, payload, signal));
      return { ok: true, result: true as never };
    }
    const chatId = params.chat_id;
    if (!QUEUED.has(method) || typeof chatId !== "number") return prev(method, payload, signal);
    const { text, chat_id: _chat, ...rest } = params;
    this.queue({
      chatId,
      method: method as OutboxMethod,
      params: rest,
      ...(typeof text === "string" ? { text } : {}),
    });
    const date = Math.floor(this.now().getTime() / 1000);
    const result = method === "sendMessage" ? notSentYet(chatId, text, date) : true;
    return { ok: true, result: result as never };
  };

  /** A call of the update's own making, e.g. a card whose message id is to be written back. */
  queue(call: OutgoingCall): void {
    if (!this.open) throw new Error("The update's transaction has ended: nothing more is queued.");
    this.calls.push(call);
  }

  /** Writes what was queued into the update's transaction, just before it commits. */
  async flush(db: Db): Promise<void> {
    const calls = this.calls;
    this.calls = [];
    await queueMessages(db, this.vault, this.now(), calls);
  }

  /** The transaction rolled back: what it would have said is not said. */
  discard(): void {
    this.calls = [];
    this.answers = [];
  }

  /** The transaction has ended: from now on calls go out at once. The answers waiting for it. */
  close(): Array<() => Promise<unknown>> {
    this.open = false;
    const answers = this.answers;
    this.answers = [];
    return answers;
  }
}
