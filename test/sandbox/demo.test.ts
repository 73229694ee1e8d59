import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { beforeEach, describe, expect, it } from "vitest";
import { createIdHasher } from "#bot/lib/logger";
import { DemoRefused, type DemoSeeded, seedDemo } from "#bot/sandbox/demo";
import { SANDBOX_GROUP, SANDBOX_PEOPLE } from "#bot/sandbox/people";
import { createVault } from "#db/vault";
import { apiClient } from "#test/helpers/api";
import { useBotHarness } from "#test/helpers/bot";
import { emptyTables } from "#test/helpers/db";
import { TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { base64, TEST_SECRETS } from "#test/helpers/secrets";
import type { TestUser } from "#test/helpers/updates";

// Saturday 28 November 2026, 10:00 UTC: the demo's week is Saturday 21st to Friday 27th.
const NOW = "2026-11-28T10:00:00Z";
const TODAY = "2026-11-28T00:00:00.000Z";

const h = useBotHarness();
const call = apiClient(h);
const [alice, bob, carol] = SANDBOX_PEOPLE.map(
  (person): TestUser => ({
    id: person.id,
    first_name: person.firstName,
    username: person.username,
  }),
) as [TestUser, TestUser, TestUser];

const seed = () =>
  seedDemo({
    sql: h.sql,
    vault: createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret),
    hashId: createIdHasher(TEST_SECRETS.hashSecret),
    retention: { rules: { defaultDays: 90, minDays: 1, maxDays: 3650 } },
    now: h.bot.clock.now(),
  });

interface ListedTask {
  id: number;
  title: string;
  description: string | null;
  status: "open" | "done";
  priority: string;
  assigneeId: number | null;
  dueAt: string | null;
  dueHasTime: boolean;
  doneAt: string | null;
  reminders: number[];
  repeat: unknown;
  nextId: number | null;
  sourceMessage: { chatId: number; messageId: number; text: string | null } | null;
}

async function teamTasks(status: "open" | "done", as: TestUser = alice): Promise<ListedTask[]> {
  const response = await call(as, "GET", `/api/tasks?teamId=${SANDBOX_GROUP.id}&status=${status}`);
  expect(response.status).toBe(200);
  return (response.body as { tasks: ListedTask[] }).tasks;
}

const titled = (tasks: readonly ListedTask[], title: string) => {
  const task = tasks.find((t) => t.title === title);
  if (!task) throw new Error(`no task "${title}" in the list`);
  return task;
};

let seeded: DemoSeeded;
beforeEach(async () => {
  h.bot.clock.set(NOW);
  seeded = await seed();
});

describe("npm run demo's data", () => {
  it("lists the team's open tasks with titles, some due today and some overdue", async () => {
    const open = await teamTasks("open");
    expect(open.map((t) => t.title).sort()).toEqual([
      "Daily standup",
      "Fix the blank login page on Safari",
      "Order laptops for the new interns",
      "Plan the team lunch",
      "Prepare the customer call",
      "Prepare the quarterly report",
      "Update the onboarding doc with the new VPN steps",
      "Weekly planning",
      "Write the retro notes",
    ]);
    const dueToday = open.filter((t) => t.dueAt === TODAY && !t.dueHasTime).map((t) => t.title);
    expect(dueToday.sort()).toEqual([
      "Update the onboarding doc with the new VPN steps",
      "Write the retro notes",
    ]);
    const overdue = open.filter((t) => t.dueAt !== null && t.dueAt < TODAY).map((t) => t.title);
    expect(overdue).toEqual(["Fix the blank login page on Safari"]);
    expect(titled(open, "Fix the blank login page on Safari")).toMatchObject({
      priority: "high",
      assigneeId: bob.id,
      description: "Customers on Safari 17 see an empty page; Chrome and Firefox are fine.",
    });
    // Everyone in the team sees the same list.
    expect((await teamTasks("open", carol)).map((t) => t.id)).toEqual(open.map((t) => t.id));
  });

  it("has tasks done during the week, among them the past standups and planning", async () => {
    const done = await teamTasks("done");
    const titles = done.map((t) => t.title);
    expect(titles.filter((t) => t === "Daily standup")).toHaveLength(5);
    expect(titles.filter((t) => t === "Weekly planning")).toHaveLength(1);
    expect(titles.filter((t) => !["Daily standup", "Weekly planning"].includes(t)).sort()).toEqual([
      "Clean up old builds on staging",
      "Renew the TLS certificate",
      "Review the invoice export PR",
    ]);
    expect(titled(done, "Review the invoice export PR").doneAt).toBe("2026-11-23T17:00:00.000Z");
    expect(seeded.tasks).toEqual({ open: 10, done: 9 });
  });

  it("gives the recurring tasks their next occurrence after the last one done", async () => {
    const open = await teamTasks("open");
    const done = await teamTasks("done");
    const planning = titled(open, "Weekly planning");
    expect(planning).toMatchObject({
      dueAt: "2026-11-30T10:00:00.000Z",
      repeat: { every: "week", weekdays: [1] },
      assigneeId: alice.id,
    });
    expect(titled(done, "Weekly planning")).toMatchObject({
      dueAt: "2026-11-23T10:00:00.000Z",
      nextId: planning.id,
    });
    const standup = titled(open, "Daily standup");
    expect(standup).toMatchObject({
      dueAt: "2026-11-30T09:30:00.000Z",
      repeat: { every: "weekday" },
    });
    const lastStandup = done.find((t) => t.title === "Daily standup" && t.nextId === standup.id);
    expect(lastStandup?.dueAt).toBe("2026-11-27T09:30:00.000Z");
  });

  it("leaves reminders pending at their moments, none in the past", async () => {
    const pending = await h.sql<{ taskId: number; remindAt: Date }[]>`
      select r.task_id, r.remind_at from reminders r join tasks t on t.id = r.task_id
      where r.state = 'pending' and t.status = 'open' order by r.remind_at, r.task_id`;
    const mine = await call(alice, "GET", "/api/tasks");
    const visible = [...(await teamTasks("open")), ...(mine.body as { tasks: ListedTask[] }).tasks];
    const titles = new Map(visible.map((t) => [t.id, t.title]));
    expect(pending.map((r) => [titles.get(r.taskId), r.remindAt.toISOString()])).toEqual([
      ["Prepare my 1:1 notes", "2026-11-29T10:00:00.000Z"],
      ["Prepare the quarterly report", "2026-11-29T12:00:00.000Z"],
      ["Prepare the customer call", "2026-11-29T14:45:00.000Z"],
      ["Daily standup", "2026-11-30T09:30:00.000Z"],
      ["Weekly planning", "2026-11-30T10:00:00.000Z"],
      ["Prepare the quarterly report", "2026-11-30T11:00:00.000Z"],
    ]);
    expect(titled(visible, "Prepare the quarterly report").reminders).toEqual([60, 1440]);
  });

  it("stores only messages of people who consented when they wrote, sealed", async () => {
    expect(seeded.messages).toHaveLength(12);
    const before = seeded.messages.filter((m) => !m.stored);
    expect(before.map((m) => [m.authorId, m.text])).toEqual([
      [carol.id, "Could someone review my invoice export PR today?"],
      [carol.id, "The client wants the quarterly report early next week."],
    ]);
    const stored = await h.sql<{ messageId: number; authorId: number; text: Buffer }[]>`
      select message_id, author_id, text from messages
      where team_id = ${SANDBOX_GROUP.id} order by message_id`;
    expect(stored.map((m) => m.messageId)).toEqual(
      seeded.messages.filter((m) => m.stored).map((m) => m.messageId),
    );
    for (const row of stored) {
      const text = seeded.messages.find((m) => m.messageId === row.messageId)?.text ?? "";
      expect(row.text.includes(Buffer.from(text))).toBe(false);
      expect(row.text.includes(Buffer.from(text.slice(0, 12)))).toBe(false);
    }
    // What Bob sees in the Mini App: the week's consented messages, newest first.
    const response = await call(bob, "GET", `/api/teams/${SANDBOX_GROUP.id}/messages`);
    const listed = (response.body as { messages: Array<{ text: string }> }).messages;
    expect(listed.map((m) => m.text)).toEqual(
      seeded.messages
        .filter((m) => m.stored)
        .reverse()
        .map((m) => m.text),
    );
  });

  it("links tasks made with /task to the message they replied to", async () => {
    const open = await teamTasks("open");
    expect(titled(open, "Fix the blank login page on Safari").sourceMessage).toEqual({
      chatId: SANDBOX_GROUP.id,
      messageId: expect.any(Number),
      text: "The login page shows a blank screen on Safari 17 for some customers.",
    });
  });

  it("records the consents in the audit trail and the group's digest", async () => {
    const consents = await h.sql<{ action: string; at: Date }[]>`
      select action, at from audit_log where action = 'consent.given' order by at`;
    expect(consents.map((c) => c.at.toISOString())).toEqual([
      "2026-11-21T08:05:00.000Z",
      "2026-11-21T08:05:00.000Z",
      "2026-11-25T08:00:00.000Z",
    ]);
    const digests = await h.sql`select chat_id, kind, at_minute from digests`;
    expect(digests).toEqual([{ chatId: SANDBOX_GROUP.id, kind: "team", atMinute: 540 }]);
  });

  it("refuses a second run, naming the team, and adds nothing", async () => {
    const count = async () => {
      const [row] = await h.sql<[{ tasks: number; messages: number }]>`
        select (select count(*)::int from tasks) as tasks,
               (select count(*)::int from messages) as messages`;
      return row;
    };
    const before = await count();
    h.bot.clock.advance(60_000);
    const again = seed();
    await expect(again).rejects.toBeInstanceOf(DemoRefused);
    await expect(again).rejects.toThrow(
      "Core team already has tasks or messages, so no demo data was added.",
    );
    expect(await count()).toEqual(before);
  });

  it.each([
    ["a Monday just after midnight", "2026-11-30T00:05:00Z"],
    ["a Wednesday during the standup", "2026-12-02T09:45:00Z"],
    ["a Friday just before midnight", "2026-12-04T23:55:00Z"],
    ["a Sunday at noon", "2026-12-06T12:00:00Z"],
  ])("tells the same story on %s, with every open reminder still to come", async (_, at) => {
    await emptyTables(h.sql);
    h.bot.clock.set(at);
    await seed();
    const open = await teamTasks("open");
    expect(open).toHaveLength(9);
    expect(open.filter((t) => t.title === "Daily standup")).toHaveLength(1);
    const [{ late }] = await h.sql<[{ late: number }]>`
      select count(*)::int as late from reminders r join tasks t on t.id = r.task_id
      where r.state = 'pending' and t.status = 'open' and r.remind_at <= ${new Date(at)}`;
    expect(late).toBe(0);
    const [{ future }] = await h.sql<[{ future: number }]>`
      select count(*)::int as future from tasks where done_at > ${new Date(at)}
        or created_at > ${new Date(at)}`;
    expect(future).toBe(0);
  });

  const counts = async () => {
    const [row] = await h.sql<[{ tasks: number; messages: number }]>`
      select (select count(*)::int from tasks) as tasks,
             (select count(*)::int from messages) as messages`;
    return row;
  };

  it("fills the team once when pressed twice at once", async () => {
    await emptyTables(h.sql);
    const [first, second] = await Promise.allSettled([seed(), seed()]);
    expect(first.status).toBe("fulfilled");
    expect(second).toMatchObject({ status: "rejected", reason: expect.any(DemoRefused) });
    expect(await counts()).toEqual({ tasks: 19, messages: 10 });
  });

  it("fills a team again once it was deleted, though the earlier run's updates were seen", async () => {
    await h.sql`delete from tasks`;
    await h.sql`delete from teams`;
    expect(await h.sql`select 1 from processed_updates limit 1`).toHaveLength(1);
    const again = await seed();
    // Carol consented in the first run: this time all she wrote is kept.
    expect(await counts()).toEqual({ tasks: 19, messages: 12 });
    expect(again.messages.every((message) => message.stored)).toBe(true);
  });
});

/** `npm run demo` as a developer runs it: a child process configured by its environment. */
async function demoScript(env: Record<string, string> = {}) {
  const result = await promisify(execFile)(
    process.execPath,
    ["--import", "tsx", "scripts/demo.ts"],
    {
      env: {
        PATH: process.env.PATH ?? "",
        // Needed by the configuration until the sandbox makes it optional; the demo never uses it.
        BOT_TOKEN: TEST_BOT_TOKEN,
        DATABASE_URL: h.url,
        ENCRYPTION_KEYS: TEST_SECRETS.encryptionKeys.map(base64).join(","),
        HASH_SECRET: base64(TEST_SECRETS.hashSecret),
        LOG_LEVEL: "silent",
        ...env,
      },
    },
  ).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  return { code: result.code, stdout: result.stdout, stderr: result.stderr };
}

describe("npm run demo", () => {
  // The script runs on the real clock: these tests assert nothing that depends on the date.
  it("fills an empty database and says what it added; a second run refuses", async () => {
    await h.sql`delete from teams`;
    await h.sql`delete from users`;
    const first = await demoScript();
    expect(first).toMatchObject({ code: 0, stderr: "" });
    expect(first.stdout).toMatch(
      /^Demo data added to "Core team" \(-1001000000001\): \d+ open and \d+ done tasks, 12 group messages \(10 stored: /,
    );
    const open = await teamTasks("open");
    expect(open.map((t) => t.title)).toContain("Prepare the quarterly report");

    const second = await demoScript();
    expect(second.code).toBe(1);
    expect(second.stdout).toBe("");
    expect(second.stderr).toBe(
      "Core team already has tasks or messages, so no demo data was added. Demo data goes into an empty team: reset the sandbox (or use a fresh database) first.\n",
    );
  });

  it("does not run in production", async () => {
    await h.sql`delete from teams`;
    const refused = await demoScript({ NODE_ENV: "production" });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("it does not run with NODE_ENV=production");
    expect(await h.sql`select id from teams`).toEqual([]);
  });
});
