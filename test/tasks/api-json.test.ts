import { beforeEach, describe, expect, it } from "vitest";
import { apiClient, initDataFor, taskCreator } from "#test/helpers/api";
import { createTestBot, giveConsent, useBotHarness } from "#test/helpers/bot";
import { useCountedSql } from "#test/helpers/counted-sql";
import { alice, bob, carol, type TestUser, team } from "#test/helpers/updates";
import { createApi } from "../../miniapp/src/api.ts";

/**
 * GET /api/tasks is written by PostgreSQL (db/task-list-json.ts): its bytes must stay what
 * the object-built single-task answer (GET /api/tasks/:id, JSON.stringify of taskJson) says
 * about each task. Lists and single tasks answer conditionally (ETag, 304).
 */
const h = useBotHarness();
const call = apiClient(h);
const created = taskCreator(call);
const otherTeam = { ...team, id: team.id - 1, title: "Other team" };

beforeEach(async () => {
  await h.bot.send(h.updates.groupText(team, alice, "hello"));
  await h.bot.send(h.updates.groupText(team, bob, "hi"));
  await h.bot.send(h.updates.groupText(otherTeam, carol, "elsewhere"));
});

/** The list as the object-built route would have written it: each task's own answer, joined. */
async function objectBuiltList(user: TestUser, ids: number[], nextCursor: string | null) {
  const texts: string[] = [];
  for (const id of ids) {
    const one = await call(user, "GET", `/api/tasks/${id}`);
    expect(one.status).toBe(200);
    texts.push(one.text);
  }
  return `{"tasks":[${texts.join(",")}],"nextCursor":${JSON.stringify(nextCursor)}}`;
}

describe("GET /api/tasks, written by PostgreSQL", () => {
  it("is byte for byte the object-built JSON, for tasks with every field set and with none", async () => {
    await giveConsent(h, bob);
    const source = h.updates.groupText(
      team,
      bob,
      'Fix <b>&amp;</b> "the" printer\n☕ naïve \u2028 \\ 😀',
    );
    await h.bot.send(source);
    if (!source.message) throw new Error("no message");
    await h.bot.send(h.updates.groupText(team, alice, "/task", { replyTo: source.message }));
    const [fromMessage] = await h.sql<{ id: number }[]>`select id from tasks`;
    const weekly = await created(alice, {
      title: `<script>alert("x")</script> & 'quotes' \u0007 \u{1F680} ĳ`,
      description: "line one\nline two\t</tasks>\u0000 ünïcödé",
      teamId: team.id,
      assigneeId: bob.id,
      dueAt: "2026-12-01T15:00:00+02:00",
      priority: "high",
      reminders: [0, 15, 60, 1440],
      repeat: { every: "week", weekdays: [1, 3, 5] },
    });
    const interval = await created(alice, {
      title: "Every 7 days after done",
      teamId: team.id,
      dueAt: "2026-11-30T09:00:00Z",
      repeat: { every: "days", days: 7, from: "done" },
    });
    const done = await call(bob, "PATCH", `/api/tasks/${interval.id}`, {
      json: { status: "done" },
    });
    expect(done.status).toBe(200);
    const bare = await created(alice, { title: "x", teamId: team.id, priority: "low" });
    // Times PostgreSQL keeps to the microsecond; the API shows milliseconds, as Date does.
    await h.sql`update tasks set updated_at = '2026-11-28T10:00:00.123999Z' where id = ${bare.id}`;

    const list = await call(alice, "GET", `/api/tasks?teamId=${team.id}&status=all`);
    expect(list.status).toBe(200);
    expect(list.headers.get("content-type")).toMatch(/^application\/json/);
    const ids = (list.body as { tasks: Array<{ id: number }> }).tasks.map((t) => t.id);
    expect(ids).toHaveLength(5);
    expect(ids).toContain(fromMessage?.id);
    expect(ids).toContain(weekly.id);
    expect(list.text).toBe(await objectBuiltList(alice, ids, null));
    expect(list.text).toContain('"updatedAt":"2026-11-28T10:00:00.123Z"');
    expect(list.text).toContain('"text":"Fix <b>&amp;</b> \\"the\\" printer\\n☕');
  });

  it("writes the next page's cursor as the object-built route did, and my private list too", async () => {
    const first = await created(alice, { title: "First" });
    const second = await created(alice, { title: "Second", assigneeId: alice.id });
    await created(bob, { title: "For Alice", teamId: team.id, assigneeId: alice.id });
    const page = await call(alice, "GET", "/api/tasks?limit=2");
    const body = page.body as { tasks: Array<{ id: number }>; nextCursor: string };
    expect(body.tasks.map((t) => t.id)).toHaveLength(2);
    expect(page.text).toBe(
      await objectBuiltList(
        alice,
        body.tasks.map((t) => t.id),
        Buffer.from(JSON.stringify({ id: body.tasks[1]?.id })).toString("base64url"),
      ),
    );
    const rest = await call(alice, "GET", `/api/tasks?limit=2&cursor=${body.nextCursor}`);
    expect(rest.text).toBe(await objectBuiltList(alice, [first.id], null));
    expect(second.id).toBe(body.tasks[1]?.id);
  });

  it("is empty, not absent, for a team without tasks, and 404 for a team I am not in", async () => {
    const empty = await call(alice, "GET", `/api/tasks?teamId=${team.id}`);
    expect(empty.text).toBe('{"tasks":[],"nextCursor":null}');
    const outsider = await call(alice, "GET", `/api/tasks?teamId=${otherTeam.id}`);
    expect(outsider.status).toBe(404);
  });
});

describe("conditional requests", () => {
  it("answer 304 without a body for the list's current ETag, and 200 once anyone on the team changes it", async () => {
    const task = await created(alice, { title: "Water the plants", teamId: team.id });
    const first = await call(alice, "GET", `/api/tasks?teamId=${team.id}`);
    const etag = first.headers.get("etag");
    expect(etag).toMatch(/^W\/".+"$/);

    const again = await call(alice, "GET", `/api/tasks?teamId=${team.id}`, {
      headers: { "if-none-match": String(etag) },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    expect(again.headers.get("etag")).toBe(etag);

    // Someone else's change in another team leaves this list's validator alone.
    await created(carol, { title: "Elsewhere", teamId: otherTeam.id });
    const unrelated = await call(alice, "GET", `/api/tasks?teamId=${team.id}`, {
      headers: { "if-none-match": String(etag) },
    });
    expect(unrelated.status).toBe(304);

    // Bob's change makes Alice's copy stale.
    await call(bob, "PATCH", `/api/tasks/${task.id}`, { json: { title: "Water the garden" } });
    const changed = await call(alice, "GET", `/api/tasks?teamId=${team.id}`, {
      headers: { "if-none-match": String(etag) },
    });
    expect(changed.status).toBe(200);
    expect(changed.headers.get("etag")).not.toBe(etag);
    expect(changed.body).toMatchObject({ tasks: [{ title: "Water the garden" }] });
  });

  it("gives a single task an ETag that a change makes stale", async () => {
    const task = await created(alice, { title: "Renew the certificate", teamId: team.id });
    const first = await call(bob, "GET", `/api/tasks/${task.id}`);
    const etag = String(first.headers.get("etag"));
    const again = await call(bob, "GET", `/api/tasks/${task.id}`, {
      headers: { "if-none-match": `"other", ${etag}` },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    await call(alice, "PATCH", `/api/tasks/${task.id}`, { json: { priority: "high" } });
    const changed = await call(bob, "GET", `/api/tasks/${task.id}`, {
      headers: { "if-none-match": etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ priority: "high" });
  });
});

describe("the Mini App's client", () => {
  it("asks again with If-None-Match and shows the remembered list on 304, the new one after a change", async () => {
    const task = await created(alice, { title: "Book the room", teamId: team.id });
    const statuses: number[] = [];
    const initData = initDataFor(alice, new Date(h.bot.clock.now().getTime() - 60_000));
    const api = createApi(initData, async (input, init) => {
      const response = await h.bot.app.http.request(String(input), init);
      statuses.push(response.status);
      return response;
    });
    const first = await api.tasks({ teamId: team.id, status: "open" });
    const returned = await api.tasks({ teamId: team.id, status: "open" });
    expect(statuses).toEqual([200, 304]);
    expect(returned).toEqual(first);
    expect(returned.tasks.map((t) => t.title)).toEqual(["Book the room"]);

    await call(bob, "PATCH", `/api/tasks/${task.id}`, { json: { title: "Book the big room" } });
    const changed = await api.tasks({ teamId: team.id, status: "open" });
    expect(statuses).toEqual([200, 304, 200]);
    expect(changed.tasks.map((t) => t.title)).toEqual(["Book the big room"]);
  });
});

describe("statements per list request", () => {
  const counted = useCountedSql(() => h.url);

  it("an authenticated list with a known profile costs exactly the list query", async () => {
    await created(alice, { title: "Counted", teamId: team.id });
    const service = createTestBot({
      sql: counted.sql,
      telegram: h.telegram,
      clock: h.bot.clock,
      outboxSql: h.sql,
    });
    const authorization = `tma ${initDataFor(alice, new Date(h.bot.clock.now().getTime() - 60_000))}`;
    const list = () =>
      service.app.http.request(`/api/tasks?teamId=${team.id}`, { headers: { authorization } });
    // The first request writes the profile (and the pool reads its types once).
    expect((await list()).status).toBe(200);

    const before = counted.count();
    const response = await list();
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ tasks: [{ title: "Counted" }] });
    expect(counted.count() - before).toBe(1);
  });
});
