import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { initDataFor } from "#test/helpers/api";
import { createTestBot, giveConsent, type TestBot, useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { useCountedSql } from "#test/helpers/counted-sql";
import { alice, bob, carol, type TestUser, team } from "#test/helpers/updates";

/**
 * The API's task lists are kept in memory while nothing they show changes
 * (bot/lib/list-cache.ts): `kept` is an instance of the service on a pool that counts its
 * statements; changes are made on the harness's own instance (`h.bot`), as another instance
 * or a script would make them, and must reach `kept`'s lists.
 */
const ADMIN = carol;
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });
const counted = useCountedSql(() => h.url);
const DAY = 24 * 60 * 60 * 1000;
let kept: TestBot;

beforeEach(async () => {
  kept = createTestBot({
    sql: counted.sql,
    telegram: h.telegram,
    clock: h.bot.clock,
    outboxSql: h.sql,
  });
  await kept.app.people.listen();
  await kept.app.taskLists.listen();
  await say(alice, "hello");
  await say(bob, "hi");
});

afterEach(async () => {
  await kept.app.taskLists.stop();
  await kept.app.people.stop();
});

const say = (user: TestUser, text: string) => h.bot.send(h.updates.groupText(team, user, text));

interface Answer {
  status: number;
  etag: string | null;
  text: string;
  /** Statements the request itself sent. */
  statements: number;
}

async function request(
  on: TestBot,
  user: TestUser,
  method: string,
  path: string,
  options: { json?: unknown; ifNoneMatch?: string } = {},
): Promise<Answer> {
  const authDate = new Date(h.bot.clock.now().getTime() - 60_000);
  const before = counted.count();
  const response = await on.app.http.request(path, {
    method,
    headers: {
      authorization: `tma ${initDataFor(user, authDate)}`,
      ...(options.json === undefined ? {} : { "content-type": "application/json" }),
      ...(options.ifNoneMatch ? { "if-none-match": options.ifNoneMatch } : {}),
    },
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
  });
  const text = await response.text();
  return {
    status: response.status,
    etag: response.headers.get("etag"),
    text,
    statements: counted.count() - before,
  };
}

/** `kept`'s answer once every change committed so far has reached it. */
async function keptList(user: TestUser, query = `teamId=${team.id}`): Promise<Answer> {
  await kept.app.taskLists.caughtUp();
  return request(kept, user, "GET", `/api/tasks?${query}`);
}

interface ListedTask {
  id: number;
  title: string;
  status: string;
  reminders: number[];
  sourceMessage: { text: string } | null;
}

const tasksIn = (answer: Answer): ListedTask[] => {
  expect(answer.status).toBe(200);
  return (JSON.parse(answer.text) as { tasks: ListedTask[] }).tasks;
};
const titles = (answer: Answer) => tasksIn(answer).map((t) => t.title);

/** A task made on the harness's instance through the API; returns its id. */
async function createdElsewhere(user: TestUser, json: Record<string, unknown>): Promise<number> {
  const answer = await request(h.bot, user, "POST", "/api/tasks", { json });
  expect(answer.status).toBe(201);
  return (JSON.parse(answer.text) as { id: number }).id;
}

/** A task made in the group by replying /task to a message of Bob's sent `age` days ago. */
async function taskFromBobsMessage(text: string, ageDays = 0): Promise<number> {
  await giveConsent(h, bob);
  const now = h.bot.clock.now();
  h.bot.clock.set(new Date(now.getTime() - ageDays * DAY));
  const source = h.updates.groupText(team, bob, text);
  await h.bot.send(source);
  h.bot.clock.set(now);
  if (!source.message) throw new Error("no message");
  await h.bot.send(h.updates.groupText(team, bob, "/task", { replyTo: source.message }));
  return source.message.message_id;
}

describe("a list that did not change", () => {
  it("is answered again, in full or 304, without a statement", async () => {
    await createdElsewhere(alice, { title: "Book the room", teamId: team.id });
    const first = await keptList(alice);
    expect(titles(first)).toEqual(["Book the room"]);
    expect(first.statements).toBeGreaterThan(0);

    const again = await request(kept, alice, "GET", `/api/tasks?teamId=${team.id}`);
    expect(again).toMatchObject({ status: 200, text: first.text, etag: first.etag, statements: 0 });
    // Another member's list of the team is the same answer: once their membership is known
    // (their first request checks it), it costs them no statement either.
    const bobs = await request(kept, bob, "GET", `/api/tasks?teamId=${team.id}`);
    expect(bobs).toMatchObject({ status: 200, text: first.text });
    const bobsAgain = await request(kept, bob, "GET", `/api/tasks?teamId=${team.id}`);
    expect(bobsAgain).toMatchObject({ status: 200, text: first.text, statements: 0 });
    const conditional = await request(kept, alice, "GET", `/api/tasks?teamId=${team.id}`, {
      ifNoneMatch: first.etag ?? "",
    });
    expect(conditional).toMatchObject({ status: 304, text: "", statements: 0 });
  });

  it("is read every time while the instance does not hear of changes", async () => {
    await createdElsewhere(alice, { title: "Book the room", teamId: team.id });
    await kept.app.taskLists.stop();
    for (let i = 0; i < 2; i++) {
      const answer = await request(kept, alice, "GET", `/api/tasks?teamId=${team.id}`);
      expect(titles(answer)).toEqual(["Book the room"]);
      expect(answer.statements).toBeGreaterThan(0);
    }
  });

  it("is still refused to someone outside the team, without a statement the second time", async () => {
    const outsider = { ...carol, id: carol.id + 100, firstName: "Dora" };
    expect((await keptList(outsider)).status).toBe(404);
    const again = await request(kept, outsider, "GET", `/api/tasks?teamId=${team.id}`);
    expect(again).toMatchObject({ status: 404, statements: 0 });
  });
});

describe("a change made anywhere reaches the kept list", () => {
  it("a task created in the chat", async () => {
    expect(titles(await keptList(alice))).toEqual([]);
    await say(alice, "/newtask Order the cake");
    expect(titles(await keptList(alice))).toEqual(["Order the cake"]);
  });

  it("a task completed, and its reminders changed, on another instance", async () => {
    const done = await createdElsewhere(alice, { title: "Send invoices", teamId: team.id });
    const reminded = await createdElsewhere(alice, { title: "Call the bank", teamId: team.id });
    expect(titles(await keptList(alice))).toEqual(["Call the bank", "Send invoices"]);

    const completed = await request(h.bot, alice, "PATCH", `/api/tasks/${done}`, {
      json: { status: "done" },
    });
    expect(completed.status).toBe(200);
    const patched = await request(h.bot, alice, "PATCH", `/api/tasks/${reminded}`, {
      json: { reminders: [60], dueAt: "2027-01-10T09:00:00Z" },
    });
    expect(patched.status).toBe(200);
    const after = tasksIn(await keptList(alice));
    expect(after.map((t) => [t.title, t.reminders])).toEqual([["Call the bank", [60]]]);
  });

  it("changes written by a script, outside the service: a task and a reminder", async () => {
    const id = await createdElsewhere(alice, {
      title: "Old title",
      teamId: team.id,
      dueAt: "2027-01-10T09:00:00Z",
    });
    expect(titles(await keptList(alice))).toEqual(["Old title"]);
    await h.sql`update tasks set priority = 'high' where id = ${id}`;
    expect(tasksIn(await keptList(alice))).toMatchObject([{ priority: "high", reminders: [0] }]);
    await h.sql`
      insert into reminders (task_id, offset_minutes, remind_at)
      values (${id}, 60, '2027-01-10T08:00:00Z')`;
    expect(tasksIn(await keptList(alice))).toMatchObject([{ reminders: [0, 60] }]);
  });

  it("the source message edited, and gone when its author withdraws consent", async () => {
    const messageId = await taskFromBobsMessage("Fix the printer");
    expect(tasksIn(await keptList(alice))).toMatchObject([
      { sourceMessage: { text: "Fix the printer" } },
    ]);

    await h.bot.send(h.updates.editedGroupText(team, bob, messageId, "Fix the big printer"));
    expect(tasksIn(await keptList(alice))).toMatchObject([
      { sourceMessage: { text: "Fix the big printer" } },
    ]);

    const withdrawn = await request(h.bot, bob, "PUT", "/api/me/consent", {
      json: { granted: false },
    });
    expect(withdrawn.status).toBe(200);
    expect(tasksIn(await keptList(alice))).toMatchObject([{ sourceMessage: null }]);
  });

  it("the group's period shortened past the source message, in the team's and Bob's lists", async () => {
    await taskFromBobsMessage("Order more coffee beans", 40);
    const [task] = await h.sql<{ id: number }[]>`select id from tasks`;
    const assigned = await request(h.bot, bob, "PATCH", `/api/tasks/${task?.id}`, {
      json: { assigneeId: bob.id },
    });
    expect(assigned.status).toBe(200);
    const source = { sourceMessage: { text: "Order more coffee beans" } };
    expect(tasksIn(await keptList(alice))).toMatchObject([source]);
    expect(tasksIn(await keptList(bob, "assignee=me"))).toMatchObject([source]);

    await say(ADMIN, "/retention 30");
    await h.bot.send(pressOn(h.telegram, h.updates, ADMIN, team.id, "Shorten"));
    expect(tasksIn(await keptList(alice))).toMatchObject([{ sourceMessage: null }]);
    expect(tasksIn(await keptList(bob, "assignee=me"))).toMatchObject([{ sourceMessage: null }]);
  });

  it("the group's period lengthened over a source message not purged yet", async () => {
    await say(ADMIN, "morning"); // already a member when the period changes
    await taskFromBobsMessage("Order more coffee beans", 100);
    expect(tasksIn(await keptList(alice))).toMatchObject([{ sourceMessage: null }]);
    await say(ADMIN, "/retention 365");
    expect(await h.sql`select retention_days from teams`).toEqual([{ retentionDays: 365 }]);
    expect(tasksIn(await keptList(alice))).toMatchObject([
      { sourceMessage: { text: "Order more coffee beans" } },
    ]);
  });

  it("someone leaving the team, and joining again", async () => {
    await createdElsewhere(alice, { title: "Team task", teamId: team.id });
    await createdElsewhere(alice, { title: "Bob's", teamId: team.id, assigneeId: bob.id });
    expect(titles(await keptList(bob))).toEqual(["Bob's", "Team task"]);
    expect(titles(await keptList(bob, "assignee=me"))).toEqual(["Bob's"]);

    await h.bot.send(h.updates.memberLeft(team, bob));
    expect((await keptList(bob)).status).toBe(404);
    expect(titles(await keptList(bob, "assignee=me"))).toEqual([]);

    await h.bot.send(h.updates.memberJoined(team, bob));
    expect(titles(await keptList(bob))).toEqual(["Bob's", "Team task"]);
  });
});

describe("what no notification announces", () => {
  it("a source message leaves the list the moment its period ends, without a purge", async () => {
    // Sent 90 days (the period) less 20 seconds ago: it has 20 seconds left.
    await taskFromBobsMessage("Order more coffee beans", 90 - 20_000 / DAY);
    expect(tasksIn(await keptList(alice))).toMatchObject([
      { sourceMessage: { text: "Order more coffee beans" } },
    ]);
    h.bot.clock.advance(19_000);
    expect(tasksIn(await keptList(alice))).toMatchObject([
      { sourceMessage: { text: "Order more coffee beans" } },
    ]);
    h.bot.clock.advance(2_000);
    const expired = await keptList(alice);
    expect(tasksIn(expired)).toMatchObject([
      { title: "Order more coffee beans", sourceMessage: null },
    ]);
    expect(expired.statements).toBeGreaterThan(0);
  });
});

describe("the caller's own change", () => {
  it("shows in their next list at once, with nothing awaited in between", async () => {
    const id = await createdElsewhere(alice, { title: "Draft", teamId: team.id });
    expect(titles(await keptList(alice))).toEqual(["Draft"]);
    const renamed = await request(kept, alice, "PATCH", `/api/tasks/${id}`, {
      json: { title: "Final" },
    });
    expect(renamed.status).toBe(200);
    const next = await request(kept, alice, "GET", `/api/tasks?teamId=${team.id}`);
    expect(titles(next)).toEqual(["Final"]);
  });
});
