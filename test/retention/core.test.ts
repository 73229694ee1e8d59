import { beforeEach, describe, expect, it } from "vitest";
import { DomainError } from "#bot/lib/errors";
import type { Actor } from "#bot/lib/operation";
import {
  groupRetention,
  periodInForce,
  retentionPolicy,
  retentionReport,
  setPeriod,
  teamRetention,
} from "#bot/retention/core/period";
import { purgeNow, purgePreview } from "#bot/retention/core/purge";
import type { RetentionChange, RetentionDeps, RetentionOperation } from "#bot/retention/core/types";
import { FakeClock } from "#test/helpers/clock";
import { emptyTables, useTestDatabase } from "#test/helpers/db";
import {
  purgeDeps,
  storedMessageIds,
  storeMessagesAged,
  TEST_RETENTION,
} from "#test/helpers/retention";

/**
 * The retention core's rules against the real database, without Telegram or HTTP: admins
 * only, the bounds, confirming a shorter period, the audit rows, which groups are told.
 */

const db = useTestDatabase();
const clock = new FakeClock("2026-11-28T12:00:00Z");
const hashId = (id: number) => `h:${id}`;
const deps: RetentionDeps = { hashId, retention: TEST_RETENTION };

const ADMIN: Actor = { userId: 701, isAdmin: true };
const MEMBER: Actor = { userId: 702, isAdmin: false };
const ON_GLOBAL = { id: -100701 };
const ALSO_ON_GLOBAL = { id: -100702 };
const OWN_PERIOD = { id: -100703 };

/** The groups each operation asked to tell, with the new and old period. */
let told: Array<{ teamIds: number[]; days: number; before: number }> = [];

function operation(actor: Actor, tx: RetentionOperation["db"]): RetentionOperation {
  return {
    db: tx,
    now: clock.now(),
    actor,
    effects: {
      periodChanged: (teamIds, days, before) => told.push({ teamIds: [...teamIds], days, before }),
    },
  };
}

const inUnit = <T>(actor: Actor, work: (op: RetentionOperation) => Promise<T>) =>
  db.sql.begin((tx) => work(operation(actor, tx))) as Promise<T>;

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) =>
      error instanceof DomainError ? { kind: error.kind, message: error.message } : error,
  );

const change = (actor: Actor, wanted: RetentionChange, confirmed = false, here?: number) =>
  inUnit(actor, (op) => setPeriod(op, deps, { change: wanted, confirmed, here: here ?? null }));

const auditRows = () =>
  db.sql<{ action: string; actor: string | null; target: string | null; counts: object }[]>`
    select action, actor, target, counts from audit_log order by id`;

const settings = () => db.sql`select name, value from settings order by name`;

beforeEach(async () => {
  await emptyTables(db.sql);
  told = [];
  const now = clock.now();
  await storeMessagesAged(db.sql, ON_GLOBAL, 1, now, [100, 50, 10]);
  await storeMessagesAged(db.sql, ALSO_ON_GLOBAL, 1, now, [5]);
  await storeMessagesAged(db.sql, OWN_PERIOD, 1, now, [300]);
  await db.sql`update teams set retention_days = 365 where id = ${OWN_PERIOD.id}`;
});

describe("who may change the period", () => {
  it("refuses anyone but an admin, whatever the operation, and changes nothing", async () => {
    const refused = { kind: "forbidden", message: "Admins only." };
    expect(await rejection(change(MEMBER, { scope: "global", days: 30 }, true))).toEqual(refused);
    expect(
      await rejection(change(MEMBER, { scope: "team", teamId: OWN_PERIOD.id, days: null }, true)),
    ).toEqual(refused);
    expect(await rejection(inUnit(MEMBER, (op) => retentionPolicy(op, deps)))).toEqual(refused);
    expect(await rejection(inUnit(MEMBER, (op) => retentionReport(op, deps)))).toEqual(refused);
    expect(await rejection(inUnit(MEMBER, (op) => groupRetention(op, deps, ON_GLOBAL.id)))).toEqual(
      refused,
    );
    expect(await rejection(inUnit(MEMBER, (op) => teamRetention(op, deps, ON_GLOBAL.id)))).toEqual(
      refused,
    );
    expect(await rejection(inUnit(MEMBER, (op) => purgePreview(op, deps)))).toEqual(refused);
    const purging = purgeNow(
      operation(MEMBER, db.sql),
      { ...purgeDeps(db.sql, clock), hashId },
      {},
    );
    expect(await rejection(purging)).toEqual(refused);
    expect(await settings()).toEqual([]);
    expect(await auditRows()).toEqual([]);
    expect(await storedMessageIds(db.sql)).toHaveLength(5);
    expect(told).toEqual([]);
  });
});

describe("setting the period", () => {
  it("keeps within the bounds and refuses an unknown group", async () => {
    for (const days of [0, 3651, 2.5, -3]) {
      expect(await rejection(change(ADMIN, { scope: "global", days }, true))).toEqual({
        kind: "invalid",
        message: "days: must be a whole number from 1 to 3650.",
      });
    }
    expect(
      await rejection(change(ADMIN, { scope: "team", teamId: -100799, days: 30 }, true)),
    ).toEqual({ kind: "not_found", message: "No such team." });
    expect(await settings()).toEqual([]);
    expect(await auditRows()).toEqual([]);
  });

  it("makes a longer global period at once, audits it, and tells the groups that follow it", async () => {
    const outcome = await change(ADMIN, { scope: "global", days: 120 }, false, ON_GLOBAL.id);
    expect(outcome).toEqual({
      kind: "changed",
      before: 90,
      after: 120,
      title: null,
      affected: [ALSO_ON_GLOBAL.id, ON_GLOBAL.id].sort((a, b) => a - b),
    });
    // The group the admin asked in hears it in the answer, not twice.
    expect(told).toEqual([{ teamIds: [ALSO_ON_GLOBAL.id], days: 120, before: 90 }]);
    expect(await auditRows()).toEqual([
      {
        action: "retention.changed",
        actor: hashId(ADMIN.userId),
        target: "global",
        counts: { old_days: 90, new_days: 120 },
      },
    ]);
    expect(await change(ADMIN, { scope: "global", days: 120 })).toEqual({
      kind: "unchanged",
      days: 120,
      title: null,
    });
    expect(await auditRows()).toHaveLength(1);
  });

  it("asks for confirmation before a shorter period, with what it would delete", async () => {
    const asked = await change(ADMIN, { scope: "global", days: 30 });
    expect(asked).toEqual({
      kind: "needs_confirmation",
      before: 90,
      after: 30,
      title: null,
      expired: 2,
    });
    expect(await settings()).toEqual([]);
    expect(await auditRows()).toEqual([]);
    expect(told).toEqual([]);

    const done = await change(ADMIN, { scope: "global", days: 30 }, true);
    expect(done).toMatchObject({ kind: "changed", before: 90, after: 30 });
    expect(await inUnit(ADMIN, (op) => retentionPolicy(op, deps))).toEqual({
      global: { days: 30, setDays: 30 },
      teams: [{ teamId: OWN_PERIOD.id, title: `Team ${OWN_PERIOD.id}`, setDays: 365, days: 365 }],
      minDays: 1,
      maxDays: 3650,
    });
  });

  it("returns a group to the global period, noting that it follows the default", async () => {
    const outcome = await change(ADMIN, { scope: "team", teamId: OWN_PERIOD.id, days: null }, true);
    expect(outcome).toMatchObject({ kind: "changed", before: 365, after: 90 });
    expect(told).toEqual([{ teamIds: [OWN_PERIOD.id], days: 90, before: 365 }]);
    expect(await auditRows()).toEqual([
      {
        action: "retention.changed",
        actor: hashId(ADMIN.userId),
        target: `team:${OWN_PERIOD.id}`,
        counts: { old_days: 365, new_days: 90, follows_default: 1 },
      },
    ]);
    expect(await inUnit(ADMIN, (op) => teamRetention(op, deps, OWN_PERIOD.id))).toMatchObject({
      teamId: OWN_PERIOD.id,
      days: 90,
      setDays: null,
    });
  });
});

describe("reading the period", () => {
  it("tells anyone the period in force for a group or the service, and admins the details", async () => {
    expect(await periodInForce({ db: db.sql }, TEST_RETENTION.rules, OWN_PERIOD.id)).toBe(365);
    expect(await periodInForce({ db: db.sql }, TEST_RETENTION.rules, ON_GLOBAL.id)).toBe(90);
    expect(await periodInForce({ db: db.sql }, TEST_RETENTION.rules, null)).toBe(90);
    expect(await inUnit(ADMIN, (op) => groupRetention(op, deps, ON_GLOBAL.id))).toEqual({
      days: 90,
      own: false,
      globalDays: 90,
      minDays: 1,
      maxDays: 3650,
      counts: { stored: 3, expired: 1 },
    });
    const report = await inUnit(ADMIN, (op) => retentionReport(op, deps));
    expect(report).toMatchObject({
      counts: { stored: 5, expired: 1 },
      lastPurge: null,
      purgeIntervalMinutes: 60,
      auditRetentionDays: 365,
    });
  });
});

describe("an admin's purge", () => {
  it("previews the count, then deletes the expired messages with an audit row naming the admin", async () => {
    expect(await inUnit(ADMIN, (op) => purgePreview(op, deps))).toEqual({ stored: 5, expired: 1 });
    const outcome = await purgeNow(
      operation(ADMIN, db.sql),
      { ...purgeDeps(db.sql, clock), hashId },
      {},
    );
    expect(outcome).toMatchObject({ ran: true, counts: { messages: 1 } });
    expect(await storedMessageIds(db.sql)).toHaveLength(4);
    const [row] = await auditRows();
    expect(row).toMatchObject({
      action: "retention.purged",
      actor: hashId(ADMIN.userId),
      target: "admin",
    });
  });
});
