import type { Context, MiddlewareHandler, Next } from "hono";
import type { Sql } from "postgres";
import type { Clock } from "#bot/lib/clock";
import type { TaskListCache } from "#bot/lib/list-cache";
import { describeError, type Logger } from "#bot/lib/logger";
import type { Unit } from "#bot/lib/operation";
import type { ApiEnv } from "./route-helpers.ts";

/**
 * Runs the rest of the request in one transaction; false when the handler failed and its
 * writes were undone (Hono has already turned its error into the answer).
 */
async function inTransaction(
  sql: Sql,
  c: Context<ApiEnv>,
  next: Next,
  unitFor: (db: Unit["db"]) => Unit,
): Promise<boolean> {
  try {
    await sql.begin(async (tx) => {
      c.set("unit", unitFor(tx));
      await next();
      if (c.error) throw new RolledBack();
    });
    return true;
  } catch (error) {
    if (error instanceof RolledBack) return false;
    throw error;
  }
}

/**
 * For a GET that changes something (the export takes its slot and writes its audit row):
 * its unit becomes one transaction too, committed before the answer streams. Its
 * after-commit effects join the request's.
 */
export function changesState(sql: Sql): MiddlewareHandler<ApiEnv> {
  return async (c, next) => {
    const outer = c.get("unit");
    await inTransaction(sql, c, next, (tx) => ({ ...outer, db: tx }));
  };
}

/** Thrown inside the transaction to roll it back after the handler's error became a response. */
class RolledBack extends Error {}

const READS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * The API's twin of the bot's exactly-once wrapper: every authenticated request is one
 * unit (`c.get("unit")`). A change runs in one transaction that commits only when the
 * handler succeeded, and its after-commit effects run once it has, in the background (the
 * answer does not wait on Telegram). A read uses the pool and has nothing to commit.
 */
export function unitPerRequest(services: {
  sql: Sql;
  clock: Clock;
  log: Logger;
  taskLists: Pick<TaskListCache, "keeping" | "caughtUp">;
}): MiddlewareHandler<ApiEnv> {
  const { sql, clock, log, taskLists } = services;
  return async (c, next) => {
    const caller = c.get("caller");
    const effects: Array<() => Promise<unknown>> = [];
    const unit = (db: Unit["db"]): Unit => ({
      db,
      now: clock.now(),
      actor: { userId: caller.id, isAdmin: caller.isAdmin },
      afterCommit: (effect) => {
        effects.push(effect);
      },
    });
    if (READS.has(c.req.method)) {
      c.set("unit", unit(sql));
      await next();
    } else if (!(await inTransaction(sql, c, next, unit))) {
      return;
    } else if (taskLists.keeping()) {
      // The caller's next read must show what it just changed: the lists kept here hear of
      // the change by notification, so the answer waits until it has arrived.
      await taskLists.caughtUp();
    }
    if (effects.length === 0) return;
    const requestId = c.get("requestId");
    void (async () => {
      for (const effect of effects) {
        await effect().catch((error: unknown) => {
          log.warn({ requestId, err: describeError(error) }, "after-commit effect failed");
        });
      }
    })();
  };
}
