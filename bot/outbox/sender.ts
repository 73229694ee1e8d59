import { type Api, GrammyError } from "grammy";
import type { ReservedSql, Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import { coalesce } from "#bot/lib/coalesce";
import { describeError, type IdHasher, type Logger } from "#bot/lib/logger";
import {
  dropChat,
  forgetAndNextOf,
  listenForQueued,
  lockWaitingChats,
  nextCallsOf,
  type QueuedCall,
  settleWriteBack,
  unlockAllChats,
  unlockChats,
} from "#db/outbox";
import { markBlocked } from "#db/users";
import type { Vault } from "#db/vault";
import { isGroup, SendBudgets, type SendLimits, TELEGRAM_LIMITS } from "./budgets.ts";

export interface OutboxSenderDeps {
  sql: Sql;
  vault: Vault;
  clock: Clock;
  log: Logger;
  hashId: IdHasher;
  /**
   * A Bot API client without auto-retry or throttling: the sender paces and retries
   * itself, per chat, so a chat told to wait never holds up another.
   */
  api: Api;
  limits?: SendLimits;
  /** Looks for queued calls this often even without a notification (a lost one, a reconnect). */
  fallbackPollMs?: number;
}

export interface OutboxSender {
  /** Takes the listening and locking connections and sends what is queued. */
  start(): Promise<void>;
  /** Lets calls in flight finish, frees every chat it holds and its connections. */
  stop(): Promise<void>;
  /** Looks again now: for what was queued, and for waits whose moment the clock has reached. */
  wake(): void;
}

/**
 * Telegram refuses an edit that changes nothing with a 400. A double tap, or a button that
 * shows what is already shown, ends there: the message is as it should be.
 */
function isNotModified(error: GrammyError): boolean {
  return error.description.includes("message is not modified");
}

/** 5xx and network errors: retried after 1, 2, 4 … s, at most 5 min apart, 12 times. */
const BACKOFF_FIRST_MS = 1000;
const BACKOFF_MAX_MS = 5 * 60_000;
const MAX_ATTEMPTS = 12;
/** Chats worked on at once; each costs a timer at most. */
const MAX_CHATS = 1000;
/** A wait on the clock re-reads it at least this often (a test's clock moves without a timer). */
const LONGEST_NAP_MS = 5000;

type Outcome =
  | { kind: "sent"; messageId?: number }
  | { kind: "wait"; seconds: number }
  | { kind: "blocked" }
  | { kind: "refused"; description: string }
  | { kind: "failed"; error: unknown };

/**
 * Delivers the outbox. Each chat's calls go out one at a time in the order queued, by the
 * one sender that holds the chat's lock (several instances share the outbox safely); a
 * chat that must wait (its own pace, a 429's retry_after, a backoff) waits alone while the
 * others go on. A call is deleted only once Telegram accepted it: a crash between the two
 * sends it once more at worst.
 */
export function createOutboxSender(deps: OutboxSenderDeps): OutboxSender {
  const { sql, clock, log } = deps;
  const budgets = new SendBudgets(deps.limits ?? TELEGRAM_LIMITS);
  const fallbackPollMs = deps.fallbackPollMs ?? 30_000;
  const working = new Map<number, Promise<void>>();
  const sleepers = new Set<() => void>();
  let conn: ReservedSql | undefined;
  let unlisten: (() => Promise<void>) | undefined;
  let poll: NodeJS.Timeout | undefined;
  let running = false;
  let looking = false;
  let lookAgain = false;

  // Each chat's worker asks for its own next call, forgets its own sent one and frees its
  // own lock; concurrent workers' requests go out as one statement per turn of the loop, all
  // on the sender's own connection (what one turn sends leaves in one socket write).
  const own = () => {
    if (!conn) throw new Error("The outbox sender is not started.");
    return conn;
  };
  const nextCall = coalesce<number, QueuedCall | undefined>(
    (chatIds) => nextCallsOf(own(), deps.vault, chatIds),
    undefined,
  );
  const forgetAndNext = coalesce<QueuedCall, QueuedCall | undefined>(async (calls) => {
    const next = await forgetAndNextOf(own(), deps.vault, calls);
    return new Map(calls.map((call) => [call, next.get(call.chatId)]));
  }, undefined);
  const unlock = coalesce<number, undefined>(async (chatIds) => {
    if (conn) await unlockChats(conn, chatIds);
    return new Map();
  }, undefined);
  /** Telegram accepted the call: its answer written back where asked, then the next call. */
  const settle = (call: QueuedCall, answer: { messageId?: number }) => {
    const { writeBack } = call;
    return writeBack && answer.messageId !== undefined
      ? settleWriteBack(sql, deps.vault, { ...call, writeBack }, answer.messageId)
      : forgetAndNext(call);
  };

  /** Resolves after `ms` of real time or on wake(), whichever comes first. */
  const nap = (ms: number) =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Math.min(ms, LONGEST_NAP_MS)));
      sleepers.add(done);
    });

  /** Waits until the clock reaches `at`; false when the sender stopped meanwhile. */
  const until = async (at: number): Promise<boolean> => {
    for (let now = clock.now().getTime(); now < at; now = clock.now().getTime()) {
      if (!running) return false;
      await nap(at - now);
    }
    return running;
  };

  /**
   * Waits until a message to the chat keeps within every limit and takes it out of the
   * budget: the check and the record happen in one tick, so no other chat's worker can pass
   * the same check in between (with an await between them, 33 went out in one second).
   * Asked again after each wait, since other chats may have spent the budget meanwhile.
   * The attempt's time, or undefined once the sender stops.
   */
  const spendBudget = async (chatId: number): Promise<number | undefined> => {
    for (;;) {
      if (!running) return undefined;
      const now = clock.now().getTime();
      const at = budgets.nextAllowed(chatId, now);
      if (at <= now) {
        budgets.record(chatId, now);
        return now;
      }
      if (!(await until(at))) return undefined;
    }
  };

  const look = () => {
    if (!running || !conn) return;
    if (looking) {
      lookAgain = true;
      return;
    }
    looking = true;
    void (async () => {
      try {
        do {
          lookAgain = false;
          const room = MAX_CHATS - working.size;
          if (room <= 0 || !conn || !running) break;
          const chats = await lockWaitingChats(conn, [...working.keys()], Math.min(room, 100));
          // Stopped meanwhile: stop() frees these locks. A worker started now would end
          // before it is listed, and stop() would wait for it forever.
          if (!running) break;
          for (const chatId of chats) working.set(chatId, work(chatId));
          if (chats.length === Math.min(room, 100)) lookAgain = true;
        } while (lookAgain && running);
      } catch (error) {
        log.error({ err: describeError(error) }, "outbox: looking for queued calls failed");
      } finally {
        looking = false;
      }
    })();
  };

  /** Sends the chat's queue while it holds the chat's lock. */
  const work = async (chatId: number): Promise<void> => {
    try {
      let failures = 0;
      let call = await nextCall(chatId);
      while (running && call) {
        if (call.unreadable !== undefined) {
          // Never sendable (its key was rotated out too early): dropped, loudly, not retried.
          log.error(
            { chat: deps.hashId(chatId), method: call.method, reason: call.unreadable },
            "outbox: a queued text cannot be opened; dropped",
          );
          call = await forgetAndNext(call);
          continue;
        }
        // Waits count from the attempt: at worst a few ms early, answered by one more 429.
        const attemptedAt = await spendBudget(chatId);
        if (attemptedAt === undefined) return;
        const outcome = await attempt(call);
        budgets.answered(chatId, attemptedAt, clock.now().getTime());
        if (outcome.kind === "sent") {
          failures = 0;
          call = await settle(call, outcome);
        } else if (outcome.kind === "wait") {
          log.info(
            { chat: deps.hashId(chatId), seconds: outcome.seconds },
            "outbox: chat told to wait",
          );
          // The chat waits; every other chat goes on (each has its own worker).
          if (!(await until(attemptedAt + outcome.seconds * 1000))) return;
        } else if (outcome.kind === "blocked") {
          return await forgetChat(chatId);
        } else if (outcome.kind === "refused") {
          // A retry would be refused the same way: log Telegram's reason (no user text) and drop.
          log.warn(
            { chat: deps.hashId(chatId), method: call.method, reason: outcome.description },
            "outbox: Telegram refused a call; dropped",
          );
          call = await forgetAndNext(call);
        } else {
          failures++;
          const err = describeError(outcome.error);
          if (failures >= MAX_ATTEMPTS) {
            log.error({ chat: deps.hashId(chatId), method: call.method, err }, "outbox: gave up");
            call = await forgetAndNext(call);
            failures = 0;
            continue;
          }
          log.info({ chat: deps.hashId(chatId), failures, err }, "outbox: call failed; retrying");
          const backoff = Math.min(BACKOFF_FIRST_MS * 2 ** (failures - 1), BACKOFF_MAX_MS);
          if (!(await until(attemptedAt + backoff))) return;
        }
      }
    } catch (error) {
      // The database failed us: the chat is looked at again on the next wake or poll.
      log.error({ chat: deps.hashId(chatId), err: describeError(error) }, "outbox: chat failed");
    } finally {
      working.delete(chatId);
      if (conn) {
        await unlock(chatId).catch((error: unknown) => {
          log.error({ err: describeError(error) }, "outbox: unlocking a chat failed");
        });
      }
      // A call queued while this chat was held was skipped by look(): look again.
      look();
    }
  };

  const attempt = async (call: QueuedCall): Promise<Outcome> => {
    const payload = {
      ...call.params,
      chat_id: call.chatId,
      ...(call.text === undefined ? {} : { text: call.text }),
    };
    try {
      const result: unknown = await deps.api.raw[call.method](payload as never);
      const messageId =
        typeof result === "object" && result !== null && "message_id" in result
          ? Number(result.message_id)
          : undefined;
      return messageId === undefined ? { kind: "sent" } : { kind: "sent", messageId };
    } catch (error) {
      if (!(error instanceof GrammyError)) return { kind: "failed", error };
      // An edit of a card that already shows the change (its button was just pressed): done.
      if (isNotModified(error)) return { kind: "sent" };
      if (error.error_code === 429) {
        return { kind: "wait", seconds: error.parameters.retry_after ?? 1 };
      }
      if (error.error_code === 403) return { kind: "blocked" };
      if (error.error_code === 400) return { kind: "refused", description: error.description };
      return { kind: "failed", error };
    }
  };

  /** 403: the person blocked the bot, or the bot left the group: nothing more goes there. */
  const forgetChat = async (chatId: number) => {
    // Marked first: once the queue is seen empty, the person is already known to refuse
    // (and a crash between the two leaves rows that the next 403 drops).
    if (!isGroup(chatId)) await markBlocked(sql, chatId, clock.now());
    const dropped = await dropChat(sql, chatId);
    log.info({ chat: deps.hashId(chatId), dropped }, "outbox: chat refuses the bot; queue dropped");
  };

  return {
    async start() {
      running = true;
      conn = await sql.reserve();
      unlisten = await listenForQueued(sql, look);
      const schedule = () => {
        poll = setTimeout(() => {
          look();
          schedule();
        }, fallbackPollMs);
        poll.unref();
      };
      schedule();
      look();
    },
    async stop() {
      running = false;
      clearTimeout(poll);
      for (const wake of [...sleepers]) wake();
      await unlisten?.();
      while (looking || working.size > 0) {
        await Promise.allSettled([...working.values()]);
        if (looking) await nap(10);
      }
      // A session lock outlives release(): the pooled connection must hold no chat.
      if (conn) {
        await unlockAllChats(conn).catch((error: unknown) => {
          log.error({ err: describeError(error) }, "outbox: unlocking its chats failed");
        });
        conn.release();
      }
      conn = undefined;
    },
    wake() {
      for (const wake of [...sleepers]) wake();
      look();
    },
  };
}
