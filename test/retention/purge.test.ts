import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { beforeEach, describe, expect, it } from "vitest";
import { purgeExpired } from "#bot/retention/core/purge";
import { purgeJob } from "#bot/retention/purge";
import { FakeClock } from "#test/helpers/clock";
import { emptyTables, useTestDatabase } from "#test/helpers/db";
import { captureLogs } from "#test/helpers/logs";
import {
  DAY,
  purgeDeps,
  storedMessageIds,
  storeMessagesAged,
  TEST_RETENTION,
} from "#test/helpers/retention";
import { nextTaskId, sealedTaskText, storedTasks } from "#test/helpers/tasks";

const db = useTestDatabase();
const NOW = "2026-11-28T12:00:00Z";

beforeEach(async () => {
  await emptyTables(db.sql);
});

const admin = { trigger: "admin", actor: "h:admin" } as const;

describe("the purge", () => {
  it("removes exactly the expired messages, in batches, with team periods winning over the global one", async () => {
    const clock = new FakeClock(NOW);
    const now = clock.now();
    await db.sql`insert into settings (name, value, updated_at) values ('retention.days', '30', now())`;
    // Global period 30 days: 7 of these are older.
    const globalTeam = await storeMessagesAged(
      db.sql,
      { id: -1001 },
      1,
      now,
      [100, 90, 60, 45, 40, 31, 30.5, 29, 10, 1],
    );
    // Its own period of 365 days: only the two-year-old one goes.
    const longTeam = await storeMessagesAged(db.sql, { id: -1002 }, 2, now, [730, 200, 60, 5]);
    // Its own period of 7 days: four go.
    const shortTeam = await storeMessagesAged(db.sql, { id: -1003 }, 3, now, [50, 20, 9, 8, 6, 1]);
    await db.sql`update teams set retention_days = 365 where id = -1002`;
    await db.sql`update teams set retention_days = 7 where id = -1003`;

    const progress: number[] = [];
    const outcome = await purgeExpired(purgeDeps(db.sql, clock), {
      ...admin,
      onProgress: async (deleted) => {
        progress.push(deleted);
      },
    });

    const kept = [...globalTeam.slice(7), ...longTeam.slice(1), ...shortTeam.slice(4)];
    expect(await storedMessageIds(db.sql)).toEqual(kept.sort((a, b) => a - b));
    expect(outcome).toMatchObject({ ran: true, counts: { messages: 12 } });
    // Batches of 3: the 7-day team (3, 1), the 365-day team (1), the global ones (3, 3, 1).
    expect(progress).toEqual([3, 4, 5, 8, 11, 12]);
  });

  it("follows the bounds: a period set before the bounds were tightened is clamped", async () => {
    const clock = new FakeClock(NOW);
    const ids = await storeMessagesAged(db.sql, { id: -1001 }, 1, clock.now(), [400, 200, 20]);
    await db.sql`update teams set retention_days = 1000 where id = -1001`;

    await purgeExpired(
      purgeDeps(db.sql, clock, {
        ...TEST_RETENTION,
        rules: { defaultDays: 90, minDays: 1, maxDays: 180 },
      }),
      admin,
    );

    expect(await storedMessageIds(db.sql)).toEqual([ids[2]]);
  });

  it("touches nothing when nothing has expired, and says so", async () => {
    const clock = new FakeClock(NOW);
    const ids = await storeMessagesAged(db.sql, { id: -1001 }, 1, clock.now(), [89, 10, 0]);

    const outcome = await purgeExpired(purgeDeps(db.sql, clock), admin);

    expect(outcome).toEqual({
      ran: true,
      counts: {
        messages: 0,
        sourceLinks: 0,
        updateIds: 0,
        forms: 0,
        confirmations: 0,
        auditEntries: 0,
      },
    });
    expect(await storedMessageIds(db.sql)).toEqual(ids);
  });

  it("does nothing on an empty database but record that it ran", async () => {
    const clock = new FakeClock(NOW);
    const outcome = await purgeExpired(purgeDeps(db.sql, clock), {
      trigger: "schedule",
      actor: null,
    });
    expect(outcome).toMatchObject({ ran: true, counts: { messages: 0 } });
    const audit = await db.sql`select action, actor, target, counts from audit_log`;
    expect(audit).toEqual([
      {
        action: "retention.purged",
        actor: null,
        target: "schedule",
        counts: {
          messages: 0,
          source_links: 0,
          update_ids: 0,
          forms: 0,
          confirmations: 0,
          audit_entries: 0,
        },
      },
    ]);
  });

  it("keeps tasks whose source message expired but drops the link to it", async () => {
    const clock = new FakeClock(NOW);
    const now = clock.now();
    await storeMessagesAged(db.sql, { id: -1001 }, 1, now, [100]);
    const [old, fresh] = [await nextTaskId(db.sql), await nextTaskId(db.sql)];
    await db.sql`
      insert into tasks (id, team_id, title, creator_id, source_chat_id, source_message_id,
                         source_date, created_at, updated_at)
      values (${old}, -1001, ${sealedTaskText(old, "title", "Old source")}, 1, -1001, 1,
              ${new Date(now.getTime() - 100 * DAY)}, ${now}, ${now}),
             (${fresh}, -1001, ${sealedTaskText(fresh, "title", "Fresh source")}, 1, -1001, 2,
              ${new Date(now.getTime() - 10 * DAY)}, ${now}, ${now})`;

    const outcome = await purgeExpired(purgeDeps(db.sql, clock), admin);

    expect(outcome).toMatchObject({ ran: true, counts: { messages: 1, sourceLinks: 1 } });
    const tasks = (await storedTasks(db.sql)).map((t) => ({
      title: t.title,
      sourceChatId: t.sourceChatId,
      sourceMessageId: t.sourceMessageId,
      dated: t.sourceDate !== null,
    }));
    expect(tasks).toEqual([
      { title: "Old source", sourceChatId: null, sourceMessageId: null, dated: true },
      { title: "Fresh source", sourceChatId: -1001, sourceMessageId: 2, dated: true },
    ]);
  });

  it("also forgets update ids after a day, forms after a week, used-up confirmations and old audit entries", async () => {
    const clock = new FakeClock(NOW);
    await db.sql`
      insert into processed_updates (update_id, processed_at) values
        (1, '2026-11-27T11:59:00Z'), (2, '2026-11-27T12:01:00Z')`;
    await db.sql`
      insert into conversations (chat_id, user_id, state, updated_at) values
        (1, 1, '\\x00', '2026-11-21T11:00:00Z'), (1, 2, '\\x00', '2026-11-21T13:00:00Z')`;
    await db.sql`
      insert into confirmations (token, user_id, action, expires_at) values
        ('expired', 1, 'erase', '2026-11-28T11:59:00Z'), ('valid', 1, 'erase', '2026-11-28T12:04:00Z')`;
    await db.sql`
      insert into audit_log (at, action, counts) values
        ('2025-11-28T11:00:00Z', 'export.made', '{}'), ('2025-11-28T13:00:00Z', 'export.made', '{}')`;

    const outcome = await purgeExpired(purgeDeps(db.sql, clock), admin);

    expect(outcome).toMatchObject({
      ran: true,
      counts: { updateIds: 1, forms: 1, confirmations: 1, auditEntries: 1 },
    });
    expect(await db.sql`select update_id from processed_updates`).toEqual([{ updateId: 2 }]);
    expect(await db.sql`select user_id from conversations`).toEqual([{ userId: 2 }]);
    expect(await db.sql`select token from confirmations`).toEqual([{ token: "valid" }]);
    const audit = await db.sql`select at from audit_log where action = 'export.made'`;
    expect(audit).toEqual([{ at: new Date("2025-11-28T13:00:00Z") }]);
  });

  it("runs once when two instances start it together: the second skips while the first holds the lock", async () => {
    const clock = new FakeClock(NOW);
    const ids = await storeMessagesAged(
      db.sql,
      { id: -1001 },
      1,
      clock.now(),
      [100, 100, 100, 100, 100, 100, 100, 1],
    );
    let firstBatchDone: () => void = () => {};
    const firstPaused = new Promise<void>((resolve) => {
      firstBatchDone = resolve;
    });
    let resume: () => void = () => {};
    const resumed = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const first = purgeExpired(
      {
        ...purgeDeps(db.sql, clock),
        pause: async () => {
          firstBatchDone();
          await resumed;
        },
      },
      admin,
    );
    await firstPaused;

    const second = await purgeExpired(purgeDeps(db.sql, clock), admin);
    resume();

    expect(second).toEqual({ ran: false });
    expect(await first).toMatchObject({ ran: true, counts: { messages: 7 } });
    expect(await storedMessageIds(db.sql)).toEqual([ids[7]]);
    const runs =
      await db.sql`select count(*)::int as runs from audit_log where action = 'retention.purged'`;
    expect(runs).toEqual([{ runs: 1 }]);
  });

  it("finishes the job after a process killed in the middle of a purge, losing nothing else", async () => {
    const clock = new FakeClock(NOW);
    const ids = await storeMessagesAged(
      db.sql,
      { id: -1001 },
      1,
      clock.now(),
      [100, 99, 98, 97, 96, 95, 94, 93, 30, 1],
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", new URL("./purge-child.ts", import.meta.url).pathname],
      {
        env: { ...process.env, DATABASE_URL: db.url, PURGE_NOW: NOW },
        stdio: ["ignore", "pipe", "inherit"],
      },
    );
    const exited = once(child, "exit");
    const lines = createInterface({ input: child.stdout });
    for await (const line of lines) if (line === "batch") break;

    child.kill("SIGKILL");
    await exited;
    // The first batch committed; the lock dies with the killed process's connection.
    expect(await storedMessageIds(db.sql)).toEqual(ids.slice(3));
    await lockReleased();

    const outcome = await purgeExpired(purgeDeps(db.sql, clock), admin);

    expect(outcome).toMatchObject({ ran: true, counts: { messages: 5 } });
    expect(await storedMessageIds(db.sql)).toEqual(ids.slice(8));
  });
});

describe("the scheduled purge on several instances", () => {
  it("runs once per interval across the instances: a timer that finds a purge within half an interval skips", async () => {
    const clock = new FakeClock(NOW);
    await storeMessagesAged(db.sql, { id: -100_777 }, 77, clock.now(), [200, 150]);
    const logsOf = [captureLogs(), captureLogs()];
    // Two instances' timers, as two processes build them: same database, own logs.
    const [first, second] = logsOf.map(({ log }) => purgeJob({ ...purgeDeps(db.sql, clock), log }));
    const said = (i: number) =>
      logsOf[i]
        ?.lines()
        .map((line) => String(line.msg))
        .filter((msg) => msg.includes("purge"));
    const scheduledRuns = async () => {
      const [row] = await db.sql<{ runs: number }[]>`
        select count(*)::int as runs from audit_log
        where action = 'retention.purged' and target = 'schedule'`;
      return row?.runs;
    };

    await first?.run();
    expect(await storedMessageIds(db.sql)).toEqual([]);
    clock.advance(20 * 60 * 1000);
    await second?.run();
    expect(said(1)).toEqual([
      "scheduled purge skipped: another run purged less than half an interval ago",
    ]);
    expect(await scheduledRuns()).toBe(1);

    // The first timer's next tick, an interval later: the cluster's purge is due again.
    clock.advance(40 * 60 * 1000);
    await first?.run();
    clock.advance(20 * 60 * 1000);
    await second?.run();
    expect(said(0)).toEqual(["scheduled purge done", "scheduled purge done"]);
    expect(said(1)).toHaveLength(2);
    expect(await scheduledRuns()).toBe(2);
  });
});

/** Waits until PostgreSQL has noticed a killed client and let go of its advisory lock. */
async function lockReleased(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const [row] = await db.sql<{ held: number }[]>`
      select count(*)::int as held from pg_locks
      where locktype = 'advisory'
        and database = (select oid from pg_database where datname = current_database())`;
    if (row?.held === 0) return;
  }
  throw new Error("the killed purge's lock was never released");
}
