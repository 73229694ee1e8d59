import { beforeEach, describe, expect, it } from "vitest";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { buttonsOf, pressOn } from "#test/helpers/buttons";
import { FakeClock } from "#test/helpers/clock";
import { lastExport } from "#test/helpers/exports";
import { DAY, storedMessageIds, storeMessagesAged } from "#test/helpers/retention";
import {
  alice,
  bob,
  carol,
  makeUpdates,
  type TestChat,
  type TestUser,
} from "#test/helpers/updates";

const ADMIN = carol;
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id), PURGE_BATCH_SIZE: "3" } });

const teamA: TestChat = { id: -1001000000001, title: "Alpha", type: "supergroup" };
const teamB: TestChat = { id: -1001000000002, title: "Beta", type: "supergroup" };

// Updates dated by the bot's clock, so messages can be sent "100 days ago".
let u = makeUpdates();
beforeEach(() => {
  u = makeUpdates({ now: () => h.bot.clock.now() });
});

const say = (user: TestUser, text: string) => h.bot.send(u.privateText(user, text));
const sayIn = (chat: TestChat, user: TestUser, text: string) =>
  h.bot.send(u.groupText(chat, user, text));
const press = (user: TestUser, chatId: number, label: string) =>
  h.bot.send(pressOn(h.telegram, u, user, chatId, label));
const lastTextTo = (chatId: number) => h.telegram.lastMessageTo(chatId).text ?? "";

async function consent(user: TestUser) {
  await say(user, "/consent");
  await press(user, user.id, "Record my messages");
}

/** Alice's messages in a group, sent the given numbers of days before now. */
async function aliceWrote(chat: TestChat, ages: number[]) {
  const now = h.bot.clock.now();
  for (const age of ages) {
    h.bot.clock.set(new Date(now.getTime() - age * DAY));
    await sayIn(chat, alice, `${age} days ago in ${chat.title}`);
  }
  h.bot.clock.set(now);
}

async function settings() {
  return h.sql`select name, value from settings where name = 'retention.days'`;
}

async function auditOf(action: string) {
  return h.sql`select actor, target, counts from audit_log where action = ${action} order by id`;
}

async function exportedTexts(user: TestUser): Promise<string[]> {
  h.bot.clock.advance(11 * 60 * 1000);
  await say(user, "/export");
  return lastExport(h.telegram).messages.map((m) => String(m.text));
}

describe("/retention for people who are not admins", () => {
  it("answers admins only and changes nothing", async () => {
    await sayIn(teamA, bob, "hello");
    await say(alice, "/retention 30");
    expect(lastTextTo(alice.id)).toBe("Admins only.");
    await sayIn(teamA, bob, "/retention 1");
    expect(lastTextTo(teamA.id)).toBe("Admins only.");
    await say(alice, "/purge");
    expect(lastTextTo(alice.id)).toBe("Admins only.");

    expect(await settings()).toEqual([]);
    expect(await h.sql`select retention_days from teams`).toEqual([{ retentionDays: null }]);
    expect(await h.sql`select action from audit_log`).toEqual([]);
  });
});

describe("/retention bounds", () => {
  it("refuses periods outside the bounds, both ways, and malformed ones, saying the range", async () => {
    await say(ADMIN, "/retention 0");
    expect(lastTextTo(ADMIN.id)).toBe(
      "0 days is outside the allowed range: 1 to 3650 days. Nothing changed.",
    );
    await say(ADMIN, "/retention 3651");
    expect(lastTextTo(ADMIN.id)).toBe(
      "3651 days is outside the allowed range: 1 to 3650 days. Nothing changed.",
    );
    await say(ADMIN, "/retention soon");
    expect(lastTextTo(ADMIN.id)).toContain("I did not understand that.");
    expect(lastTextTo(ADMIN.id)).toContain("Periods are whole days from 1 to 3650.");
    await say(ADMIN, "/retention team 123 30");
    expect(lastTextTo(ADMIN.id)).toContain("I did not understand that.");

    expect(await settings()).toEqual([]);
    expect(await h.sql`select action from audit_log`).toEqual([]);
  });

  it("uses the bounds from the environment", async () => {
    const bot = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      env: { ADMIN_IDS: String(ADMIN.id), RETENTION_MIN_DAYS: "30", RETENTION_MAX_DAYS: "400" },
    });
    await bot.send(u.privateText(ADMIN, "/retention 29"));
    expect(lastTextTo(ADMIN.id)).toBe(
      "29 days is outside the allowed range: 30 to 400 days. Nothing changed.",
    );
    await bot.send(u.privateText(ADMIN, "/retention 401"));
    expect(lastTextTo(ADMIN.id)).toBe(
      "401 days is outside the allowed range: 30 to 400 days. Nothing changed.",
    );
    await bot.send(u.privateText(ADMIN, "/retention 400"));
    expect(lastTextTo(ADMIN.id)).toBe(
      "Done: the global retention period is now 400 days, was 90 days.",
    );
  });
});

describe("changing the global period", () => {
  it("applies a longer period at once, audits it and tells each group once", async () => {
    await sayIn(teamA, bob, "hello");
    await sayIn(teamB, bob, "hello");
    h.telegram.clear();

    await say(ADMIN, "/retention 120");

    expect(lastTextTo(ADMIN.id)).toBe(
      "Done: the global retention period is now 120 days, was 90 days. I am telling 2 groups it applies to.",
    );
    for (const chat of [teamA, teamB]) {
      const told = h.telegram.textsTo(chat.id);
      expect(told).toHaveLength(1);
      expect(told[0]).toContain(
        "Stored messages in this group are now deleted 120 days after they were sent (until now: 90 days).",
      );
    }
    expect(await settings()).toEqual([{ name: "retention.days", value: 120 }]);
    expect(await auditOf("retention.changed")).toEqual([
      {
        actor: expect.stringMatching(/^[\w-]{16,}$/),
        target: "global",
        counts: { old_days: 90, new_days: 120 },
      },
    ]);
  });

  it("confirms a shorter period first, with the number of messages it deletes", async () => {
    await consent(alice);
    await aliceWrote(teamA, [100, 40, 10]);
    h.telegram.clear();

    await say(ADMIN, "/retention 30");
    const offer = h.telegram.lastMessageTo(ADMIN.id);
    expect(offer.text).toContain("Shorten the global retention period from 90 days to 30 days?");
    expect(offer.text).toContain("2 stored messages will be deleted");
    expect(buttonsOf(offer).map((b) => b.text)).toEqual(["🗑 Shorten, delete 2 messages", "Cancel"]);
    expect(await settings()).toEqual([]);
    expect(h.telegram.textsTo(teamA.id)).toEqual([]);

    await press(ADMIN, ADMIN.id, "Cancel");
    expect(lastTextTo(ADMIN.id)).toBe("Nothing changed.");
    expect(await settings()).toEqual([]);

    await say(ADMIN, "/retention 30");
    await press(ADMIN, ADMIN.id, "Shorten");
    expect(lastTextTo(ADMIN.id)).toContain("Done: the global retention period is now 30 days");
    expect(await settings()).toEqual([{ name: "retention.days", value: 30 }]);
    expect(h.telegram.textsTo(teamA.id)).toHaveLength(1);
    // Expired at once: the export leaves them out before any purge ran.
    expect(await exportedTexts(alice)).toEqual(["10 days ago in Alpha"]);
    expect(await h.sql`select count(*)::int as stored from messages`).toEqual([{ stored: 3 }]);
  });

  it("does not let another user press the admin's button", async () => {
    await say(ADMIN, "/retention 30");
    await press(bob, ADMIN.id, "Shorten");
    expect(h.telegram.callsOf("answerCallbackQuery").at(-1)?.payload.text).toBe("Admins only.");
    expect(await settings()).toEqual([]);
  });
});

describe("a group's own period", () => {
  it("wins over the global one, and the group is told in one message", async () => {
    await consent(alice);
    await aliceWrote(teamA, [200, 40]);
    await aliceWrote(teamB, [200, 40]);
    h.telegram.clear();

    await sayIn(teamA, ADMIN, "/retention 365");
    expect(h.telegram.textsTo(teamA.id)).toEqual([
      expect.stringContaining(
        "Stored messages in this group are now deleted 365 days after they were sent (until now: 90 days).",
      ),
    ]);
    await say(ADMIN, "/retention 30");
    await press(ADMIN, ADMIN.id, "Shorten");
    // Only Beta follows the global period, so only Beta hears of it.
    expect(h.telegram.textsTo(teamA.id)).toHaveLength(1);
    expect(h.telegram.textsTo(teamB.id)).toHaveLength(1);

    expect(await exportedTexts(alice)).toEqual(["200 days ago in Alpha", "40 days ago in Alpha"]);
    expect(await h.sql`select id, retention_days from teams order by id desc`).toEqual([
      { id: teamA.id, retentionDays: 365 },
      { id: teamB.id, retentionDays: null },
    ]);
    expect(await auditOf("retention.changed")).toEqual([
      expect.objectContaining({
        target: `team:${teamA.id}`,
        counts: { old_days: 90, new_days: 365 },
      }),
      expect.objectContaining({ target: "global", counts: { old_days: 90, new_days: 30 } }),
    ]);
  });

  it("is set from private chat by id, and removed with default after confirming", async () => {
    await consent(alice);
    await aliceWrote(teamA, [50, 5]);
    h.telegram.clear();

    await say(ADMIN, `/retention team ${teamA.id} 100`);
    expect(lastTextTo(ADMIN.id)).toBe(
      `Done: the retention period of “Alpha” (${teamA.id}) is now 100 days, was 90 days. I am telling 1 group it applies to.`,
    );
    await say(ADMIN, "/retention 20");
    await press(ADMIN, ADMIN.id, "Shorten");

    await say(ADMIN, `/retention team ${teamA.id} default`);
    const offer = lastTextTo(ADMIN.id);
    expect(offer).toContain(
      `Shorten the retention period of “Alpha” (${teamA.id}) from 100 days to 20 days?`,
    );
    expect(offer).toContain("1 stored message will be deleted");
    await press(ADMIN, ADMIN.id, "Shorten");

    expect(await h.sql`select retention_days from teams`).toEqual([{ retentionDays: null }]);
    expect(await exportedTexts(alice)).toEqual(["5 days ago in Alpha"]);
    expect(await auditOf("retention.changed")).toContainEqual(
      expect.objectContaining({
        target: `team:${teamA.id}`,
        counts: { old_days: 100, new_days: 20, follows_default: 1 },
      }),
    );
  });

  it("answers for a group it does not know, and changes nothing", async () => {
    await say(ADMIN, "/retention team -100999 30");
    expect(lastTextTo(ADMIN.id)).toContain("I do not know the group -100999");
    expect(await h.sql`select action from audit_log`).toEqual([]);
  });
});

describe("the /retention report", () => {
  it("shows the periods, the bounds, the counts and the last purge", async () => {
    await consent(alice);
    await aliceWrote(teamA, [100, 95, 10]);
    await aliceWrote(teamB, [100]);
    await sayIn(teamB, ADMIN, "/retention 200");

    await say(ADMIN, "/retention");
    let report = lastTextTo(ADMIN.id);
    expect(report).toContain("Global period: 90 days (the default); allowed 1 to 3650 days.");
    expect(report).toContain(`• Beta (${teamB.id}): 200 days`);
    expect(report).toContain("Stored messages: 4, of which 2 expired and waiting for the purge.");
    expect(report).toContain("No purge has run yet.");
    expect(report).toContain("Automatic purge: every 60 minutes.");

    await say(ADMIN, "/purge");
    await press(ADMIN, ADMIN.id, "Purge");
    await say(ADMIN, "/retention");
    report = lastTextTo(ADMIN.id);
    expect(report).toContain("Stored messages: 2, of which 0 expired");
    expect(report).toMatch(
      /Last purge: .* \(by an admin\), removed 2 expired messages, 0 task source links/,
    );
  });

  it("fits Telegram's 4,096 characters however many groups have their own period", async () => {
    const groups = Array.from(
      { length: 40 },
      (_, n): TestChat => ({
        id: -1001000000100 - n,
        title: `Regional operations, logistics and customer support team number ${n + 1} ${"x".repeat(50)}`,
        type: "supergroup",
      }),
    );
    for (const group of groups) await sayIn(group, ADMIN, "/retention 200");

    await say(ADMIN, "/retention");

    const report = lastTextTo(ADMIN.id);
    expect(report).toMatch(/^<b>Message retention<\/b>/);
    const listed = report.split("\n").filter((line) => line.startsWith("• ")).length;
    expect(listed).toBeGreaterThan(10);
    expect(report).toContain(`…and ${40 - listed} more groups.`);
    expect(report).toContain("Automatic purge: every 60 minutes.");
  });

  it("in a group, shows that group's period and counts", async () => {
    await consent(alice);
    await aliceWrote(teamA, [100, 10]);
    await sayIn(teamA, ADMIN, "/retention");
    expect(lastTextTo(teamA.id)).toContain(
      "Stored messages here are kept 90 days (the global period). Allowed: 1 to 3650 days.",
    );
    expect(lastTextTo(teamA.id)).toContain("Stored here: 2, of which 1 expired");
  });

  it("says when the scheduled purge is off", async () => {
    const bot = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      env: { ADMIN_IDS: String(ADMIN.id), PURGE_INTERVAL_MINUTES: "0" },
    });
    await bot.send(u.privateText(ADMIN, "/retention"));
    expect(lastTextTo(ADMIN.id)).toContain("Automatic purge: off (PURGE_INTERVAL_MINUTES=0).");
  });
});

describe("/purge", () => {
  it("confirms with the count, then deletes the expired messages and reports what it removed", async () => {
    const now = h.bot.clock.now();
    const ids = await storeMessagesAged(h.sql, teamA, alice.id, now, [120, 110, 100, 91, 5]);

    await say(ADMIN, "/purge");
    const offer = h.telegram.lastMessageTo(ADMIN.id);
    expect(offer.text).toContain("4 expired messages (of 5 stored) will be deleted");
    expect(await storedMessageIds(h.sql)).toEqual(ids);

    await press(ADMIN, ADMIN.id, "Purge 4 messages");
    expect(lastTextTo(ADMIN.id)).toBe(
      "Purge done. Removed 4 expired messages, 0 task source links, 0 old update ids, 0 abandoned forms, 0 expired confirmations, 0 old audit entries.",
    );
    expect(await storedMessageIds(h.sql)).toEqual([ids[4]]);
    expect(await auditOf("retention.purged")).toEqual([
      {
        actor: expect.stringMatching(/^[\w-]{16,}$/),
        target: "admin",
        counts: expect.objectContaining({ messages: 4 }),
      },
    ]);
  });

  it("edits the same message with its progress on long runs", async () => {
    // Every reading of this clock is a second later, so each batch is worth a progress edit.
    class TickingClock extends FakeClock {
      override now(): Date {
        this.advance(1000);
        return super.now();
      }
    }
    const clock = new TickingClock();
    const bot = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      clock,
      env: { ADMIN_IDS: String(ADMIN.id), PURGE_BATCH_SIZE: "3" },
    });
    await storeMessagesAged(
      h.sql,
      teamA,
      alice.id,
      clock.now(),
      Array.from({ length: 10 }, (_, i) => 100 + i),
    );
    const ticking = makeUpdates({ now: () => clock.now() });
    await bot.send(ticking.privateText(ADMIN, "/purge"));
    const offer = h.telegram.lastMessageTo(ADMIN.id);

    await bot.send(pressOn(h.telegram, ticking, ADMIN, ADMIN.id, "Purge"));

    const edits = h.telegram
      .callsOf("editMessageText")
      .filter((call) => call.payload.message_id === offer.message_id)
      .map((call) => String(call.payload.text));
    expect(edits[0]).toBe("Purging… 0 of about 10 expired messages deleted.");
    expect(edits).toContain("Purging… 6 of about 10 expired messages deleted.");
    expect(edits.at(-1)).toMatch(/^Purge done\. Removed 10 expired messages/);
    expect(await storedMessageIds(h.sql)).toEqual([]);
  });

  it("is only run from private chat", async () => {
    await sayIn(teamA, ADMIN, "/purge");
    expect(lastTextTo(teamA.id)).toBe("Ask me for /purge in our private chat.");
  });
});
