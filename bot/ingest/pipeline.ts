import type { MiddlewareFn } from "grammy";
import { describeError } from "#bot/lib/logger";
import type { KnownPeople } from "#bot/teams/track";
import { profileSignature } from "#bot/teams/track";
import type { BotContext, Services } from "#bot/telegram/context";
import { orderingKey } from "#bot/telegram/updates";
import { type Chatter, chatterOf } from "./chatter.ts";
import { type IngestMemory, ingestChatter, type Learned, type Outcome } from "./core.ts";

export interface IngestOptions {
  /** The most updates one batch takes; more wait for the next. */
  maxBatch: number;
  /**
   * Batches written at once, each for its own share of the chats (a chat always in the same
   * one, so its chatter stays in order).
   */
  shards: number;
}

const settle = (promise: Promise<unknown>): Promise<void> =>
  promise.then(
    () => undefined,
    () => undefined,
  );

interface Lane {
  /** Everything up to and including the chat's last interactive update. */
  barrier: Promise<void>;
  /** Chatter of the chat since then, not yet stored. */
  pending: Set<Promise<void>>;
  /** Chatter handed back to the interactive path, run one after another. */
  handedBack: Promise<void>;
  users: number;
}

/**
 * Per-chat order in this process, knowing chatter from interactive updates. Chatter joins
 * the next batch as soon as the chat's earlier interactive updates are done, without
 * waiting for other chatter; an interactive update waits for all of its chat's earlier
 * updates, chatter included (so a /task in reply to a message sees it stored).
 */
export class ChatLanes {
  private readonly lanes = new Map<string, Lane>();

  chatter(key: string, ingest: () => Promise<Outcome>, handBack: () => Promise<void>) {
    const lane = this.enter(key);
    const done = lane.barrier.then(ingest).then((outcome) => {
      if (outcome !== "diverted") return;
      // Outcomes resolve in the batch's order, so handed-back chatter keeps its order.
      const run = settle(lane.handedBack).then(handBack);
      lane.handedBack = settle(run);
      return run;
    });
    const tracked = settle(done);
    lane.pending.add(tracked);
    void tracked.then(() => lane.pending.delete(tracked));
    return this.leave(key, lane, done);
  }

  interactive(key: string, run: () => Promise<void>) {
    const lane = this.enter(key);
    const done = Promise.all([lane.barrier, ...lane.pending]).then(run);
    lane.barrier = settle(done);
    lane.pending = new Set();
    return this.leave(key, lane, done);
  }

  private enter(key: string): Lane {
    let lane = this.lanes.get(key);
    if (!lane) {
      lane = {
        barrier: Promise.resolve(),
        pending: new Set(),
        handedBack: Promise.resolve(),
        users: 0,
      };
      this.lanes.set(key, lane);
    }
    lane.users += 1;
    return lane;
  }

  private async leave<T>(key: string, lane: Lane, done: Promise<T>): Promise<T> {
    try {
      return await done;
    } finally {
      lane.users -= 1;
      if (lane.users === 0 && this.lanes.get(key) === lane) this.lanes.delete(key);
    }
  }
}

interface Waiting {
  chatter: Chatter;
  resolve(outcome: Outcome): void;
}

/**
 * Collects chatter into micro-batches: one batch is written at a time, and whatever arrives
 * meanwhile (up to maxBatch) forms the next, so batches grow with the load and a lone update
 * waits for no timer. A batch that fails hands its updates back to the per-update path,
 * which knows how to report a failure and retry.
 */
export class ChatterBatcher {
  private queue: Waiting[] = [];
  private writing = false;
  private scheduled = false;

  constructor(
    private readonly services: Services,
    private readonly known: KnownPeople,
    private readonly options: IngestOptions,
  ) {}

  add(chatter: Chatter): Promise<Outcome> {
    return new Promise((resolve) => {
      this.queue.push({ chatter, resolve });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.writing || this.scheduled) return;
    this.scheduled = true;
    // Updates read from the same socket burst join the same batch.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.writing || this.queue.length === 0) return;
    this.writing = true;
    const taken = this.queue.splice(0, this.options.maxBatch);
    try {
      await this.write(taken);
    } finally {
      this.writing = false;
      if (this.queue.length > 0) this.schedule();
    }
  }

  private async write(taken: Waiting[]): Promise<void> {
    // A duplicate inside the batch waits for its original's fate and is then dropped.
    const firsts = new Map<number, Waiting>();
    const repeats: Waiting[] = [];
    for (const waiting of taken) {
      if (firsts.has(waiting.chatter.updateId)) repeats.push(waiting);
      else firsts.set(waiting.chatter.updateId, waiting);
    }
    const batch = [...firsts.values()];
    const { services } = this;
    const readAt = this.known.profiles.readAt();
    try {
      const { outcomes, learned } = await ingestChatter(
        services,
        this.memory(),
        batch.map((waiting) => waiting.chatter),
        services.clock.now(),
      );
      this.remember(learned, readAt);
      services.log.debug(
        {
          updates: taken.length,
          stored: outcomes.filter((o) => o === "stored").length,
          duplicates: outcomes.filter((o) => o === "duplicate").length + repeats.length,
          handedBack: outcomes.filter((o) => o === "diverted").length,
        },
        "chatter batch written",
      );
      batch.forEach((waiting, index) => {
        waiting.resolve(outcomes[index] ?? "diverted");
      });
      for (const waiting of repeats) waiting.resolve("duplicate");
    } catch (error) {
      services.log.warn(
        { updates: batch.length, err: describeError(error) },
        "chatter batch failed; its updates go one by one",
      );
      for (const waiting of taken) waiting.resolve("diverted");
    }
  }

  private memory(): IngestMemory {
    const { profiles, members, teams } = this.known;
    return {
      standing: (profile) => {
        const known = profiles.get(profile.id);
        if (known?.signature !== profileSignature(profile)) return undefined;
        const { viewer } = known;
        return {
          timezone: viewer.timeZone,
          consentVersion: viewer.consentVersion,
          consentPromptedVersion: viewer.consentPromptedVersion,
        };
      },
      teamTitle: (teamId) => teams.get(teamId),
      isMember: (teamId, userId) => members.get(userId)?.has(teamId) ?? false,
    };
  }

  /** What a committed batch taught goes into the caches, unless the person changed since. */
  private remember(learned: Learned, readAt: number): void {
    const { profiles, members, teams } = this.known;
    for (const { profile, standing } of learned.profiles) {
      const viewer = {
        timeZone: standing.timezone,
        consentVersion: standing.consentVersion,
        consentPromptedVersion: standing.consentPromptedVersion,
      };
      profiles.set(profile.id, { signature: profileSignature(profile), viewer }, readAt);
    }
    for (const team of learned.teams) teams.set(team.id, team.title);
    for (const { teamId, userId } of learned.left) members.get(userId)?.delete(teamId);
    for (const { teamId, userId } of learned.joined) {
      const known = new Set(members.get(userId));
      members.set(userId, known.add(teamId), readAt);
    }
  }
}

/**
 * Where chatter leaves the per-update pipeline: it goes into a batch, and the update is
 * answered once its batch has committed. Everything else, and chatter a form may be waiting
 * for, goes on to `next` in its chat's order (this is the pipeline's per-chat order).
 */
export function ingestChatterInBatches(
  services: Services,
  known: KnownPeople,
  options: IngestOptions,
): { middleware: MiddlewareFn<BotContext>; batchers: ChatterBatcher[] } {
  const lanes = new ChatLanes();
  const batchers = Array.from(
    { length: Math.max(1, options.shards) },
    () => new ChatterBatcher(services, known, options),
  );
  const batcherOf = (chatId: number) =>
    batchers[Math.abs(chatId) % batchers.length] ?? (batchers[0] as ChatterBatcher);
  const middleware: MiddlewareFn<BotContext> = (ctx, next) => {
    const key = orderingKey(ctx);
    if (key === undefined) return next();
    const chatter = chatterOf(ctx.update);
    if (!chatter) return lanes.interactive(String(key), next);
    return lanes.chatter(
      String(key),
      async () => {
        const outcome = await batcherOf(chatter.team.id).add(chatter);
        if (outcome !== "diverted") ctx.outcome = outcome === "stored" ? "batched" : "duplicate";
        return outcome;
      },
      () => next(),
    );
  };
  return { middleware, batchers };
}
