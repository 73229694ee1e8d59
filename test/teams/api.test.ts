import { beforeEach, describe, expect, it } from "vitest";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { apiClient } from "#test/helpers/api";
import { giveConsent, useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { alice, bob, carol, type TestUser, team } from "#test/helpers/updates";

const ADMIN: TestUser = { id: 9009, first_name: "Root" };
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });
const call = apiClient(h);
const stranger: TestUser = { id: 7007, first_name: "Stranger" };
const DAY = 24 * 60 * 60 * 1000;

type Json = Record<string, unknown>;

beforeEach(async () => {
  await h.bot.send(h.updates.groupText(team, alice, "hello"));
  await h.bot.send(h.updates.groupText(team, bob, "hi"));
});

describe("GET /api/teams/:id/members", () => {
  it("lists the members to members, and is 404 for others", async () => {
    const response = await call(bob, "GET", `/api/teams/${team.id}/members`);
    expect(response.body).toEqual({
      members: [
        { id: alice.id, firstName: alice.first_name, username: alice.username ?? null },
        { id: bob.id, firstName: bob.first_name, username: bob.username ?? null },
      ],
    });
    for (const user of [carol, stranger, ADMIN]) {
      expect((await call(user, "GET", `/api/teams/${team.id}/members`)).status).toBe(404);
    }
    expect((await call(alice, "GET", "/api/teams/12/members")).status).toBe(400);
  });
});

describe("GET /api/teams/:id/messages", () => {
  it("shows recent stored messages newest first, never expired ones or those without consent", async () => {
    await giveConsent(h, alice);
    await giveConsent(h, bob);
    const now = h.bot.clock.now().getTime();
    const sent: Array<[TestUser, string, number]> = [
      [alice, "too old", 100],
      [alice, "three days ago", 3],
      [bob, "two days ago", 2],
      [alice, "yesterday", 1],
    ];
    for (const [user, text] of sent) await h.bot.send(h.updates.groupText(team, user, text));
    // The update factory dates messages by the real clock: give them the ages meant here.
    const ids = await h.sql<{ id: number }[]>`select id from messages order by id`;
    for (const [index, [, , daysAgo]] of sent.entries()) {
      await h.sql`update messages set date = ${new Date(now - daysAgo * DAY)} where id = ${ids[index]?.id ?? 0}`;
    }
    // Members for longer than that: a newcomer sees only what came after they joined.
    await h.sql`update team_members set joined_at = ${new Date(now - 200 * DAY)}`;

    const first = await call(carol, "GET", `/api/teams/${team.id}/messages`);
    expect(first.status).toBe(404);

    const page = await call(bob, "GET", `/api/teams/${team.id}/messages?limit=2`);
    const body = page.body as { messages: Json[]; nextCursor: string | null };
    expect(body.messages).toEqual([
      {
        chatId: team.id,
        messageId: expect.any(Number),
        authorId: alice.id,
        text: "yesterday",
        date: new Date(now - DAY).toISOString(),
      },
      expect.objectContaining({ authorId: bob.id, text: "two days ago" }),
    ]);
    const rest = await call(
      bob,
      "GET",
      `/api/teams/${team.id}/messages?limit=2&cursor=${body.nextCursor}`,
    );
    expect(rest.body).toEqual({
      messages: [expect.objectContaining({ text: "three days ago" })],
      nextCursor: null,
    });

    // Bob withdraws: his stored message is no longer shown, even before it is deleted.
    await h.bot.send(h.updates.privateText(bob, "/consent"));
    await h.bot.send(pressOn(h.telegram, h.updates, bob, bob.id, "Withdraw"));
    const after = await call(alice, "GET", `/api/teams/${team.id}/messages`);
    expect((after.body as { messages: Json[] }).messages.map((m) => m.text)).toEqual([
      "yesterday",
      "three days ago",
    ]);
  });
});

describe("admin routes", () => {
  it("are 403 for everyone but admins", async () => {
    for (const [method, path, json] of [
      ["GET", "/api/admin/retention", undefined],
      ["PUT", "/api/admin/retention", { days: 30 }],
      ["GET", `/api/admin/teams/${team.id}/retention`, undefined],
      ["PUT", `/api/admin/teams/${team.id}/retention`, { days: 30 }],
      ["GET", "/api/admin/audit", undefined],
    ] as const) {
      const response = await call(alice, method, path, json ? { json } : {});
      expect(response.status, path).toBe(403);
      expect(response.body).toEqual({ error: { code: "forbidden", message: "Admins only." } });
    }
    expect(await h.sql`select name from settings`).toEqual([]);
  });

  it("show and set the global period within the bounds, telling the groups", async () => {
    expect((await call(ADMIN, "GET", "/api/admin/retention")).body).toEqual({
      days: 90,
      minDays: 1,
      maxDays: 3650,
      teams: [],
    });
    h.telegram.clear();
    const set = await call(ADMIN, "PUT", "/api/admin/retention", { json: { days: 30 } });
    expect(set.body).toEqual({ days: 30, minDays: 1, maxDays: 3650, teams: [] });
    for (const days of [0, 3651, 1.5]) {
      const refused = await call(ADMIN, "PUT", "/api/admin/retention", { json: { days } });
      expect(refused.status).toBe(400);
      expect(refused.body).toEqual({
        error: { code: "invalid_input", message: "days: must be a whole number from 1 to 3650." },
      });
    }
    expect(
      (await call(ADMIN, "PUT", "/api/admin/retention", { json: { days: "30" } })).status,
    ).toBe(400);
    expect((await call(ADMIN, "GET", "/api/admin/retention")).body).toMatchObject({ days: 30 });
    await expect
      .poll(() => h.telegram.textsTo(team.id))
      .toEqual([
        expect.stringContaining("now deleted 30 days after they were sent (until now: 90 days)"),
      ]);
  });

  it("show, set and remove a team's own period", async () => {
    const path = `/api/admin/teams/${team.id}/retention`;
    expect((await call(ADMIN, "GET", path)).body).toEqual({ teamId: team.id, days: null });
    expect((await call(ADMIN, "PUT", path, { json: { days: 400 } })).body).toEqual({
      teamId: team.id,
      days: 400,
    });
    expect((await call(ADMIN, "GET", "/api/admin/retention")).body).toMatchObject({
      teams: [{ teamId: team.id, days: 400 }],
    });
    expect((await call(ADMIN, "PUT", path, { json: { days: 0 } })).status).toBe(400);
    expect((await call(ADMIN, "PUT", path, { json: { days: null } })).body).toEqual({
      teamId: team.id,
      days: null,
    });
    expect((await call(ADMIN, "GET", "/api/admin/teams/-100999/retention")).status).toBe(404);
    expect(
      (await call(ADMIN, "PUT", "/api/admin/teams/-100999/retention", { json: { days: 5 } }))
        .status,
    ).toBe(404);
  });

  it("show the latest audit entries", async () => {
    await call(ADMIN, "PUT", "/api/admin/retention", { json: { days: 60 } });
    await giveConsent(h, alice);
    const response = await call(ADMIN, "GET", "/api/admin/audit?limit=1");
    expect(response.body).toEqual({
      entries: [
        {
          at: "2026-11-28T10:00:00.000Z",
          action: "consent.given",
          actor: expect.any(String),
          target: null,
          counts: { policy_version: PRIVACY_POLICY_VERSION },
        },
      ],
    });
    const all = await call(ADMIN, "GET", "/api/admin/audit");
    expect((all.body as { entries: Json[] }).entries.map((e) => e.action)).toEqual([
      "consent.given",
      "retention.changed",
    ]);
    expect((await call(ADMIN, "GET", "/api/admin/audit?limit=500")).status).toBe(400);
  });
});
