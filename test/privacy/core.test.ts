import { beforeEach, describe, expect, it } from "vitest";
import { DomainError } from "#bot/lib/errors";
import { createIdHasher } from "#bot/lib/logger";
import type { Actor, Unit } from "#bot/lib/operation";
import { peopleChanges } from "#bot/people/changes";
import { auditLog } from "#bot/privacy/core/audit";
import {
  consent,
  consentCounts,
  consentStatus,
  deleteStoredMessages,
  markConsentAsked,
  needsAsking,
} from "#bot/privacy/core/consent";
import { erase, previewErasure } from "#bot/privacy/core/erase";
import { EXPORT_INTERVAL_MS, exportData } from "#bot/privacy/core/export";
import { profile, setTimeZone } from "#bot/privacy/core/me";
import { recordMessage } from "#bot/privacy/core/record";
import type { PrivacyDeps, PrivacyOperation } from "#bot/privacy/core/types";
import { privacyEffects } from "#bot/privacy/effects";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { addMember, upsertTeam } from "#db/teams";
import { upsertUser } from "#db/users";
import { createVault } from "#db/vault";
import { FakeClock } from "../helpers/clock.ts";
import { emptyTables, useTestDatabase } from "../helpers/db.ts";
import { captureLogs } from "../helpers/logs.ts";
import { TEST_SECRETS } from "../helpers/secrets.ts";

/**
 * The privacy core's rules against the real database, without Telegram or HTTP: consent
 * and its versions, export slots, erasure (and forgetting the person on every instance),
 * the admins' audit trail, the profile, recording.
 */

const db = useTestDatabase();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
const hashId = createIdHasher(TEST_SECRETS.hashSecret);
const deps: PrivacyDeps = {
  hashId,
  vault,
  retention: { rules: { defaultDays: 90, minDays: 1, maxDays: 3650 } },
};
const clock = new FakeClock("2026-11-28T10:00:00Z");

const ALICE: Actor = { userId: 601, isAdmin: false };
const ADMIN: Actor = { userId: 602, isAdmin: true };
const TEAM = -100601;

/** Who the operations asked to forget, in order. */
let forgotten: number[] = [];

/** Runs `work` as one unit: a transaction, then its after-commit effects. */
async function inUnit<T>(actor: Actor, work: (op: PrivacyOperation) => Promise<T>): Promise<T> {
  const effects: Array<() => Promise<unknown>> = [];
  const result = await db.sql.begin((tx) => {
    const unit: Unit = { db: tx, now: clock.now(), actor, afterCommit: (e) => effects.push(e) };
    const people = { forget: (userId: number) => forgotten.push(userId) };
    return work({ ...unit, effects: privacyEffects(unit, people) });
  });
  for (const effect of effects) await effect();
  return result as T;
}

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) =>
      error instanceof DomainError ? { kind: error.kind, message: error.message } : error,
  );

async function auditRows() {
  return db.sql<{ action: string; actor: string | null; target: string | null; counts: object }[]>`
    select action, actor, target, counts from audit_log order by id`;
}

async function storeFromAlice(messageId: number, consenting = true) {
  if (consenting) await inUnit(ALICE, (op) => consent(op, deps, { granted: true, source: "bot" }));
  return inUnit(ALICE, (op) =>
    recordMessage(op, deps, {
      chatId: TEAM,
      messageId,
      teamId: TEAM,
      text: `message ${messageId}`,
      date: clock.now(),
      replyToMessageId: null,
      editedAt: null,
    }),
  );
}

beforeEach(async () => {
  await emptyTables(db.sql);
  forgotten = [];
  clock.set("2026-11-28T10:00:00Z");
  for (const actor of [ALICE, ADMIN]) {
    await upsertUser(
      db.sql,
      vault,
      { id: actor.userId, firstName: "Person", lastName: null, username: null, languageCode: null },
      true,
      clock.now(),
    );
  }
  await upsertTeam(db.sql, { id: TEAM, title: "Team" }, clock.now());
  await addMember(db.sql, TEAM, ALICE.userId, clock.now());
});

describe("consent", () => {
  it("records a grant once, with its audit row, and forgets the person everywhere", async () => {
    const given = await inUnit(ALICE, (op) => consent(op, deps, { granted: true, source: "bot" }));
    expect(given).toMatchObject({
      changed: true,
      state: { kind: "given", policyVersion: PRIVACY_POLICY_VERSION, current: true },
    });
    const again = await inUnit(ALICE, (op) =>
      consent(op, deps, { granted: true, source: "miniapp" }),
    );
    expect(again.changed).toBe(false);
    expect(await db.sql`select granted, policy_version, source from consents`).toEqual([
      { granted: true, policyVersion: PRIVACY_POLICY_VERSION, source: "bot" },
    ]);
    expect(await db.sql`select consent_version from users where id = ${ALICE.userId}`).toEqual([
      { consentVersion: PRIVACY_POLICY_VERSION },
    ]);
    expect(await auditRows()).toEqual([
      {
        action: "consent.given",
        actor: hashId(ALICE.userId),
        target: null,
        counts: { policy_version: PRIVACY_POLICY_VERSION },
      },
    ]);
    expect(forgotten).toEqual([ALICE.userId, ALICE.userId]);
  });

  it("withdraws, says how many stored messages remain, and deletes them on request", async () => {
    expect(await storeFromAlice(1)).toBe(true);
    await storeFromAlice(2);
    const withdrawn = await inUnit(ALICE, (op) =>
      consent(op, deps, { granted: false, source: "miniapp" }),
    );
    expect(withdrawn).toMatchObject({
      changed: true,
      storedMessages: 2,
      state: { kind: "withdrawn" },
    });
    expect(await storeFromAlice(3, false)).toBe(false);
    const deleted = await inUnit(ALICE, (op) => deleteStoredMessages(op, deps));
    expect(deleted).toMatchObject({ deleted: 2, state: { kind: "withdrawn" } });
    expect(await db.sql`select id from messages`).toEqual([]);
    expect((await auditRows()).map((row) => [row.action, row.counts])).toEqual([
      ["consent.given", { policy_version: PRIVACY_POLICY_VERSION }],
      ["consent.withdrawn", { policy_version: PRIVACY_POLICY_VERSION }],
      ["messages.deleted", { messages: 2 }],
    ]);
  });

  it("does not count consent to an older notice, asks once, and records the new grant", async () => {
    const older = PRIVACY_POLICY_VERSION - 1;
    await db.sql`insert into consents (user_id, granted, policy_version, source, created_at)
                 values (${ALICE.userId}, true, ${older}, 'bot', ${clock.now()})`;
    await db.sql`update users set consent_version = ${older}, consent_prompted_version = ${older}
                 where id = ${ALICE.userId}`;
    const status = await inUnit(ALICE, (op) => consentStatus(op));
    expect(status.state).toMatchObject({ kind: "given", policyVersion: older, current: false });
    expect(consentCounts(status.record)).toBe(false);
    expect(needsAsking({ consentVersion: older, consentPromptedVersion: older })).toBe(true);

    expect(await inUnit(ALICE, (op) => markConsentAsked(op))).toBe(PRIVACY_POLICY_VERSION);
    const [user] = await db.sql<{ consentVersion: number; consentPromptedVersion: number }[]>`
      select consent_version, consent_prompted_version from users where id = ${ALICE.userId}`;
    expect(needsAsking(user ?? { consentVersion: null, consentPromptedVersion: null })).toBe(false);
    // Not recording until they agree again.
    expect(await storeFromAlice(1, false)).toBe(false);

    const again = await inUnit(ALICE, (op) => consent(op, deps, { granted: true, source: "bot" }));
    expect(again.changed).toBe(true);
    expect(consentCounts(again.record)).toBe(true);
    expect(await db.sql`select policy_version from consents order by id`).toEqual([
      { policyVersion: older },
      { policyVersion: PRIVACY_POLICY_VERSION },
    ]);
  });
});

describe("export", () => {
  it("claims one slot per interval with an audit row, and gives it back on failure", async () => {
    await storeFromAlice(1);
    const first = await inUnit(ALICE, (op) => exportData(op, { ...deps, sql: db.sql }));
    if (!first.ok) throw new Error("the first export must be allowed");
    expect(first.fileName).toBe(`task-tracker-export-${ALICE.userId}-2026-11-28.json`);
    const chunks: string[] = [];
    const decoder = new TextDecoder();
    for await (const chunk of first.document()) chunks.push(decoder.decode(chunk));
    const document = JSON.parse(chunks.join(""));
    expect(document.user.id).toBe(ALICE.userId);
    expect(document.messages.map((m: { text: string }) => m.text)).toEqual(["message 1"]);

    clock.advance(EXPORT_INTERVAL_MS - 1000);
    const tooSoon = await inUnit(ALICE, (op) => exportData(op, { ...deps, sql: db.sql }));
    expect(tooSoon).toEqual({
      ok: false,
      retryAt: new Date(Date.parse("2026-11-28T10:00:00Z") + EXPORT_INTERVAL_MS),
    });

    await first.release();
    const afterRelease = await inUnit(ALICE, (op) => exportData(op, { ...deps, sql: db.sql }));
    expect(afterRelease.ok).toBe(true);
    const exports = (await auditRows()).filter((row) => row.action === "export.made");
    expect(exports).toEqual([
      {
        action: "export.made",
        actor: hashId(ALICE.userId),
        target: hashId(ALICE.userId),
        counts: { messages: 1 },
      },
      {
        action: "export.made",
        actor: hashId(ALICE.userId),
        target: hashId(ALICE.userId),
        counts: { messages: 1 },
      },
    ]);
  });
});

describe("erasure", () => {
  it("removes everything about the person and leaves one audit row naming no one else", async () => {
    await storeFromAlice(1);
    expect(await inUnit(ALICE, (op) => previewErasure(op))).toEqual({
      messages: 1,
      privateTasks: 0,
      teamTasksUnlinked: 0,
      tasksFromMessagesUnlinked: 0,
      memberships: 1,
    });
    forgotten = [];
    const counts = await inUnit(ALICE, (op) => erase(op, deps));
    expect(counts).toMatchObject({ messages: 1, consents: 1, memberships: 1 });
    expect(await db.sql`select id from users where id = ${ALICE.userId}`).toEqual([]);
    expect(await db.sql`select id from consents`).toEqual([]);
    expect(await auditRows()).toEqual([
      {
        action: "erasure.done",
        actor: hashId(ALICE.userId),
        target: hashId(ALICE.userId),
        counts: {
          messages: 1,
          consents: 1,
          private_tasks: 0,
          team_tasks_unlinked: 0,
          tasks_from_messages_unlinked: 0,
          memberships: 1,
          form_states: 0,
        },
      },
    ]);
    expect(forgotten).toEqual([ALICE.userId]);
  });

  it("forgets the person in this process at once and on another instance through the database", async () => {
    const { log } = captureLogs();
    const here = peopleChanges(db.sql, log);
    const elsewhere = peopleChanges(db.sql, log);
    await elsewhere.listen();
    try {
      const cachedHere = here.cache<string>(10);
      const cachedElsewhere = elsewhere.cache<string>(10);
      cachedHere.set(ALICE.userId, "Alice's standing", cachedHere.readAt());
      cachedElsewhere.set(ALICE.userId, "Alice's standing", cachedElsewhere.readAt());

      // `here` does not listen: only the core's effect can make it forget.
      const effects: Array<() => Promise<unknown>> = [];
      await db.sql.begin((tx) => {
        const unit: Unit = {
          db: tx,
          now: clock.now(),
          actor: ALICE,
          afterCommit: (e) => effects.push(e),
        };
        return erase({ ...unit, effects: privacyEffects(unit, here) }, deps);
      });
      expect(cachedHere.get(ALICE.userId)).toBe("Alice's standing");
      for (const effect of effects) await effect();
      expect(cachedHere.get(ALICE.userId)).toBeUndefined();

      await elsewhere.caughtUp();
      expect(cachedElsewhere.get(ALICE.userId)).toBeUndefined();
    } finally {
      await elsewhere.stop();
    }
  });

  it("leaves the person whole, and forgets nothing before a commit, when the erasure rolls back", async () => {
    await expect(
      db.sql.begin(async (tx) => {
        const unit: Unit = { db: tx, now: clock.now(), actor: ALICE, afterCommit: () => {} };
        const people = { forget: (userId: number) => forgotten.push(userId) };
        await erase({ ...unit, effects: privacyEffects(unit, people) }, deps);
        throw new Error("rolled back");
      }),
    ).rejects.toThrow("rolled back");
    expect(forgotten).toEqual([]);
    expect(await db.sql`select id from users where id = ${ALICE.userId}`).toHaveLength(1);
  });
});

describe("the audit trail", () => {
  it("is for admins only, newest first, within the limit's bounds", async () => {
    await inUnit(ALICE, (op) => consent(op, deps, { granted: true, source: "bot" }));
    clock.advance(60_000);
    await inUnit(ALICE, (op) => consent(op, deps, { granted: false, source: "bot" }));
    expect(await rejection(inUnit(ALICE, (op) => auditLog(op, { limit: 10 })))).toEqual({
      kind: "forbidden",
      message: "Admins only.",
    });
    const entries = await inUnit(ADMIN, (op) => auditLog(op, { limit: 10 }));
    expect(entries.map((entry) => entry.action)).toEqual(["consent.withdrawn", "consent.given"]);
    expect(await inUnit(ADMIN, (op) => auditLog(op, { limit: 1 }))).toHaveLength(1);
    for (const limit of [0, 101, 1.5]) {
      expect(await rejection(inUnit(ADMIN, (op) => auditLog(op, { limit })))).toEqual({
        kind: "invalid",
        message: "limit: must be a whole number from 1 to 100",
      });
    }
  });
});

describe("the profile", () => {
  it("sets a time zone with its usual spelling, refuses an unknown one, and forgets the person", async () => {
    const me = await inUnit(ALICE, (op) => setTimeZone(op, deps, { timezone: "america/new_york" }));
    expect(me.user.timezone).toBe("America/New_York");
    expect(me.teams).toEqual([{ id: TEAM, title: "Team" }]);
    expect(forgotten).toEqual([ALICE.userId]);
    expect(
      await rejection(inUnit(ALICE, (op) => setTimeZone(op, deps, { timezone: "Mars/Olympus" }))),
    ).toEqual({
      kind: "invalid",
      message:
        'timezone: unknown time zone "Mars/Olympus": use an IANA name such as Europe/Kyiv or America/New_York',
    });
    expect(await db.sql`select timezone from users where id = ${ALICE.userId}`).toEqual([
      { timezone: "America/New_York" },
    ]);
  });

  it("does not exist for someone the service does not know", async () => {
    const stranger: Actor = { userId: 699, isAdmin: false };
    expect(await rejection(inUnit(stranger, (op) => profile(op, deps)))).toMatchObject({
      kind: "not_found",
    });
  });
});
