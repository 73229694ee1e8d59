import { beforeEach, describe, expect, it } from "vitest";
import { DomainError } from "#bot/lib/errors";
import type { Actor } from "#bot/lib/operation";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import {
  botMembership,
  joinedTeam,
  learnPerson,
  learnTeam,
  leftTeam,
  memberAdded,
  type TeamsDeps,
  type TeamsOperation,
  teamMembers,
  teamMoved,
  teamStoredMessages,
} from "#bot/teams/core";
import { storeMessage } from "#db/messages";
import { createVault } from "#db/vault";
import { FakeClock } from "#test/helpers/clock";
import { emptyTables, useTestDatabase } from "#test/helpers/db";
import { TEST_SECRETS } from "#test/helpers/secrets";

/**
 * The teams core against the real database, without Telegram or HTTP: what tracking
 * learns, and the API's reads, which exist only for the team's current members.
 */

const db = useTestDatabase();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
const deps: TeamsDeps = {
  vault,
  retention: { rules: { defaultDays: 90, minDays: 1, maxDays: 3650 } },
};
const clock = new FakeClock("2026-11-28T12:00:00Z");

const ALICE: Actor = { userId: 801, isAdmin: false };
const BOB: Actor = { userId: 802, isAdmin: false };
const OUTSIDER: Actor = { userId: 803, isAdmin: true };
const TEAM = -100801;

const operation = (actor: Actor): TeamsOperation => ({
  db: db.sql,
  now: clock.now(),
  actor,
  effects: {},
});

const profileOf = (actor: Actor, firstName: string) => ({
  id: actor.userId,
  firstName,
  lastName: null,
  username: firstName.toLowerCase(),
  languageCode: null,
});

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) =>
      error instanceof DomainError ? { kind: error.kind, message: error.message } : error,
  );

beforeEach(async () => {
  await emptyTables(db.sql);
  clock.set("2026-11-28T12:00:00Z");
  const op = operation(ALICE);
  await learnTeam(op, { id: TEAM, title: "Team" });
  for (const [actor, name] of [
    [ALICE, "Alice"],
    [BOB, "Bob"],
    [OUTSIDER, "Olga"],
  ] as const) {
    await learnPerson(operation(actor), deps, {
      profile: profileOf(actor, name),
      wrotePrivately: false,
    });
  }
  await joinedTeam(op, { teamId: TEAM, userId: ALICE.userId });
  await memberAdded(op, deps, { teamId: TEAM, profile: profileOf(BOB, "Bob") });
});

describe("membership tracking", () => {
  it("learns who is in which group, who left, and where an upgraded group went", async () => {
    expect(await teamMembers(operation(ALICE), deps, TEAM)).toEqual([
      { id: ALICE.userId, firstName: "Alice", username: "alice" },
      { id: BOB.userId, firstName: "Bob", username: "bob" },
    ]);
    await leftTeam(operation(BOB), { teamId: TEAM, userId: BOB.userId });
    expect((await teamMembers(operation(ALICE), deps, TEAM)).map((m) => m.id)).toEqual([
      ALICE.userId,
    ]);

    await botMembership(operation(ALICE), { teamId: TEAM, present: false });
    expect(await db.sql`select bot_removed_at from teams where id = ${TEAM}`).toEqual([
      { botRemovedAt: clock.now() },
    ]);
    await botMembership(operation(ALICE), { teamId: TEAM, present: true });
    expect(await db.sql`select bot_removed_at from teams where id = ${TEAM}`).toEqual([
      { botRemovedAt: null },
    ]);

    const SUPERGROUP = -1001008010;
    await teamMoved(operation(ALICE), { fromId: TEAM, toId: SUPERGROUP });
    expect((await teamMembers(operation(ALICE), deps, SUPERGROUP)).map((m) => m.id)).toEqual([
      ALICE.userId,
    ]);
  });

  it("returns the person's standing, and marks a private writer as reachable", async () => {
    const standing = await learnPerson(operation(ALICE), deps, {
      profile: profileOf(ALICE, "Alice"),
      wrotePrivately: true,
    });
    expect(standing).toEqual({
      timezone: "UTC",
      consentVersion: null,
      consentPromptedVersion: null,
    });
    expect(await db.sql`select started_at from users where id = ${ALICE.userId}`).toEqual([
      { startedAt: clock.now() },
    ]);
  });
});

describe("the team's reads", () => {
  it("answer a non-member, even a bot admin, as if the team did not exist", async () => {
    const missing = { kind: "not_found", message: "No such team." };
    expect(await rejection(teamMembers(operation(OUTSIDER), deps, TEAM))).toEqual(missing);
    expect(
      await rejection(
        teamStoredMessages(operation(OUTSIDER), deps, { teamId: TEAM, limit: 10, before: null }),
      ),
    ).toEqual(missing);
    expect(await rejection(teamMembers(operation(ALICE), deps, -100899))).toEqual(missing);
  });

  it("page a member through the consenting authors' stored messages, newest first", async () => {
    await db.sql`update users set consent_version = ${PRIVACY_POLICY_VERSION}
                 where id = ${BOB.userId}`;
    for (const messageId of [1, 2, 3]) {
      await storeMessage(
        db.sql,
        vault,
        {
          chatId: TEAM,
          messageId,
          teamId: TEAM,
          authorId: BOB.userId,
          text: `note ${messageId}`,
          date: new Date(clock.now().getTime() + messageId * 1000),
          replyToMessageId: null,
          editedAt: null,
        },
        PRIVACY_POLICY_VERSION,
      );
    }
    clock.advance(60_000);
    const first = await teamStoredMessages(operation(ALICE), deps, {
      teamId: TEAM,
      limit: 2,
      before: null,
    });
    expect(first.messages.map((m) => m.text)).toEqual(["note 3", "note 2"]);
    expect(first.next).not.toBeNull();
    const second = await teamStoredMessages(operation(ALICE), deps, {
      teamId: TEAM,
      limit: 2,
      before: first.next,
    });
    expect(second.messages.map((m) => m.text)).toEqual(["note 1"]);
    expect(second.next).toBeNull();

    // Once Bob withdraws, his words are no longer shown.
    await db.sql`update users set consent_version = null where id = ${BOB.userId}`;
    const after = await teamStoredMessages(operation(ALICE), deps, {
      teamId: TEAM,
      limit: 10,
      before: null,
    });
    expect(after.messages).toEqual([]);
  });
});
