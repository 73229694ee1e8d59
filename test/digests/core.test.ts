import { beforeEach, describe, expect, it } from "vitest";
import {
  changeDigest,
  type DigestsDeps,
  type DigestsOperation,
  nextDigestDue,
  takeDueDigests,
} from "#bot/digests/core";
import { DomainError } from "#bot/lib/errors";
import type { Actor } from "#bot/lib/operation";
import { createVault } from "#db/vault";
import { FakeClock } from "#test/helpers/clock";
import { emptyTables, useTestDatabase } from "#test/helpers/db";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { nextTaskId, sealedTaskText } from "#test/helpers/tasks";

/**
 * The digests core against the real database, without Telegram: who may change which
 * digest, the bounds of its time, and taking the due ones once a day.
 */

const db = useTestDatabase();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
const clock = new FakeClock("2026-11-28T10:00:00Z");

const BOT_ADMIN: Actor = { userId: 901, isAdmin: true };
const GROUP_ADMIN: Actor = { userId: 902, isAdmin: false };
const MEMBER: Actor = { userId: 903, isAdmin: false };
const TEAM = -100901;

/** The group's admins as Telegram would say, and who was asked about. */
let asked: number[] = [];
const deps: DigestsDeps = {
  async isGroupAdmin(teamId, userId) {
    asked.push(userId);
    return teamId === TEAM && userId === GROUP_ADMIN.userId;
  },
};

const operation = (actor: Actor): DigestsOperation => ({
  db: db.sql,
  now: clock.now(),
  actor,
  effects: {},
});

const rejection = (promise: Promise<unknown>) =>
  promise.then(
    () => null,
    (error: unknown) =>
      error instanceof DomainError ? { kind: error.kind, message: error.message } : error,
  );

const stored = () =>
  db.sql`select chat_id, kind, at_minute, timezone, mention from digests order by kind, chat_id`;

beforeEach(async () => {
  await emptyTables(db.sql);
  asked = [];
  clock.set("2026-11-28T10:00:00Z");
  await db.sql`insert into teams (id, title) values (${TEAM}, 'Team')`;
  for (const actor of [BOT_ADMIN, GROUP_ADMIN, MEMBER]) {
    await db.sql`insert into users (id) values (${actor.userId})`;
  }
});

describe("changing a digest", () => {
  it("lets only bot admins and the group's admins change a team's digest", async () => {
    const team = { kind: "team", teamId: TEAM } as const;
    expect(
      await rejection(
        changeDigest(operation(MEMBER), deps, { target: team, atMinute: 540, timezone: "UTC" }),
      ),
    ).toEqual({ kind: "forbidden", message: "Only the group's admins can change its digest." });
    expect(
      await rejection(
        changeDigest(operation(MEMBER), deps, { target: team, atMinute: null, timezone: "UTC" }),
      ),
    ).toMatchObject({ kind: "forbidden" });
    expect(await stored()).toEqual([]);

    await changeDigest(operation(GROUP_ADMIN), deps, {
      target: team,
      atMinute: 540,
      timezone: "Europe/Kyiv",
      mention: true,
    });
    asked = [];
    const byBotAdmin = await changeDigest(operation(BOT_ADMIN), deps, {
      target: team,
      atMinute: 600,
      timezone: "UTC",
    });
    expect(byBotAdmin).toEqual({
      kind: "set",
      digest: { chatId: TEAM, kind: "team", atMinute: 600, timezone: "UTC", mention: false },
    });
    // A bot admin needs no word from Telegram.
    expect(asked).toEqual([]);
    expect(await stored()).toEqual([
      { chatId: TEAM, kind: "team", atMinute: 600, timezone: "UTC", mention: false },
    ]);
  });

  it("lets anyone set and stop their own, in their own chat, without mentions", async () => {
    const outcome = await changeDigest(operation(MEMBER), deps, {
      target: { kind: "personal" },
      atMinute: 510,
      timezone: "UTC",
      mention: true,
    });
    expect(outcome).toEqual({
      kind: "set",
      digest: {
        chatId: MEMBER.userId,
        kind: "personal",
        atMinute: 510,
        timezone: "UTC",
        mention: false,
      },
    });
    expect(asked).toEqual([]);
    const off = { target: { kind: "personal" }, atMinute: null, timezone: "UTC" } as const;
    expect(await changeDigest(operation(MEMBER), deps, off)).toEqual({
      kind: "stopped",
      target: "personal",
      existed: true,
    });
    expect(await changeDigest(operation(MEMBER), deps, off)).toMatchObject({ existed: false });
    expect(await stored()).toEqual([]);
  });

  it("refuses a time outside the day", async () => {
    for (const atMinute of [-1, 1440, 12.5]) {
      expect(
        await rejection(
          changeDigest(operation(MEMBER), deps, {
            target: { kind: "personal" },
            atMinute,
            timezone: "UTC",
          }),
        ),
      ).toMatchObject({ kind: "invalid" });
    }
    expect(await stored()).toEqual([]);
  });
});

describe("the due digests", () => {
  it("are taken once a day, with their tasks, and never for a group the bot left", async () => {
    const id = await nextTaskId(db.sql);
    await db.sql`
      insert into tasks (id, team_id, title, creator_id, assignee_id, due_at, created_at, updated_at)
      values (${id}, ${TEAM}, ${sealedTaskText(id, "title", "Ship it")}, ${MEMBER.userId},
              ${MEMBER.userId}, ${new Date("2026-11-28T15:00:00Z")}, ${clock.now()}, ${clock.now()})`;
    await changeDigest(operation(BOT_ADMIN), deps, {
      target: { kind: "team", teamId: TEAM },
      atMinute: 9 * 60,
      timezone: "UTC",
    });
    await changeDigest(operation(MEMBER), deps, {
      target: { kind: "personal" },
      atMinute: 11 * 60,
      timezone: "UTC",
    });

    const take = () =>
      db.sql.begin((tx) => takeDueDigests({ db: tx, now: clock.now() }, { vault }));
    const due = await take();
    // 10:00: the team's (09:00) is due, the personal one (11:00) not yet.
    expect(due.map((digest) => [digest.kind, digest.chatId])).toEqual([["team", TEAM]]);
    expect(due[0]?.tasks.map((task) => task.title)).toEqual(["Ship it"]);
    expect(await take()).toEqual([]);

    clock.set("2026-11-28T11:30:00Z");
    const personal = await take();
    expect(personal.map((digest) => [digest.kind, digest.chatId])).toEqual([
      ["personal", MEMBER.userId],
    ]);
    expect(personal[0]?.tasks.map((task) => task.id)).toEqual([id]);

    // The next day, but the bot was removed from the group: only the personal one.
    await db.sql`update teams set bot_removed_at = ${clock.now()} where id = ${TEAM}`;
    clock.set("2026-11-29T12:00:00Z");
    expect((await take()).map((digest) => digest.kind)).toEqual(["personal"]);
  });
});

describe("the next digest moment", () => {
  it("is now while one is due, else the next local time in its zone, across a DST change", async () => {
    const next = () => nextDigestDue(db.sql, clock.now());
    expect(await next()).toBeNull();
    // 09:00 in Kyiv: UTC+2 in winter, UTC+3 from the night to 2027-03-28.
    clock.set("2027-03-27T05:00:00Z");
    await changeDigest(operation(MEMBER), deps, {
      target: { kind: "personal" },
      atMinute: 9 * 60,
      timezone: "Europe/Kyiv",
    });
    expect(await next()).toEqual(new Date("2027-03-27T07:00:00Z"));

    clock.set("2027-03-27T07:00:30Z");
    expect(await next()).toEqual(clock.now());
    await db.sql.begin((tx) => takeDueDigests({ db: tx, now: clock.now() }, { vault }));
    expect(await next()).toEqual(new Date("2027-03-28T06:00:00Z"));

    // A group the bot left has none to wait for.
    await changeDigest(operation(BOT_ADMIN), deps, {
      target: { kind: "team", teamId: TEAM },
      atMinute: 7 * 60,
      timezone: "UTC",
    });
    expect(await next()).toEqual(clock.now());
    await db.sql`update teams set bot_removed_at = ${clock.now()} where id = ${TEAM}`;
    expect(await next()).toEqual(new Date("2027-03-28T06:00:00Z"));
  });
});
