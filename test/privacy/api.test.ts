import { describe, expect, it } from "vitest";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { apiClient } from "#test/helpers/api";
import { giveConsent, useBotHarness } from "#test/helpers/bot";
import { alice, bob, type TestUser, team } from "#test/helpers/updates";

const ADMIN: TestUser = { id: 9009, first_name: "Root" };
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });
const call = apiClient(h);

type Json = Record<string, unknown>;

describe("GET /api/me", () => {
  it("shows the profile, consent, admin flag and teams", async () => {
    const withName: TestUser = { ...alice, last_name: "Liddell", language_code: "en" };
    await h.bot.send(h.updates.groupText(team, withName, "hello"));
    await giveConsent(h, withName);
    const response = await call(withName, "GET", "/api/me");
    expect(response.body).toEqual({
      user: {
        id: alice.id,
        firstName: alice.first_name,
        lastName: "Liddell",
        username: alice.username ?? null,
        languageCode: "en",
        timezone: "UTC",
      },
      consent: {
        granted: true,
        policyVersion: PRIVACY_POLICY_VERSION,
        at: "2026-11-28T10:00:00.000Z",
      },
      isAdmin: false,
      teams: [{ id: team.id, title: team.title }],
    });
    expect((await call(ADMIN, "GET", "/api/me")).body).toMatchObject({ isAdmin: true, teams: [] });
  });
});

describe("PATCH /api/me", () => {
  it("sets the time zone that GET shows and the bot reads due dates in", async () => {
    const response = await call(alice, "PATCH", "/api/me", { json: { timezone: "Europe/Kyiv" } });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ user: { id: alice.id, timezone: "Europe/Kyiv" } });
    expect((await call(alice, "GET", "/api/me")).body).toEqual(response.body);

    await h.bot.send(h.updates.privateText(alice, "/newtask Call the bank tomorrow 09:00"));
    const [task] = await h.sql<{ dueAt: Date }[]>`select due_at from tasks`;
    expect(task?.dueAt.toISOString()).toBe("2026-11-29T07:00:00.000Z");
    expect(h.telegram.lastMessageTo(alice.id).text).toContain("due tomorrow 09:00");
  });

  it("spells a zone the way /timezone does", async () => {
    const response = await call(alice, "PATCH", "/api/me", {
      json: { timezone: " america/new_york " },
    });
    expect(response.body).toMatchObject({ user: { timezone: "America/New_York" } });
    expect(await h.sql`select timezone from users where id = ${alice.id}`).toEqual([
      { timezone: "America/New_York" },
    ]);
  });

  it("refuses a zone it does not know, and stores nothing", async () => {
    const unknown = await call(alice, "PATCH", "/api/me", { json: { timezone: "Mars/Olympus" } });
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({
      error: {
        code: "invalid_input",
        message:
          'timezone: unknown time zone "Mars/Olympus": use an IANA name such as Europe/Kyiv or America/New_York',
      },
    });
    for (const json of [
      {},
      { timezone: "" },
      { timezone: 3 },
      { timezone: "+05:00" },
      { timezone: "UTC", extra: 1 },
    ]) {
      const response = await call(alice, "PATCH", "/api/me", { json });
      expect(response.status, JSON.stringify(json)).toBe(400);
    }
    expect((await call(alice, "PATCH", "/api/me", { raw: "Europe/Kyiv" })).status).toBe(415);
    expect(await h.sql`select timezone from users where id = ${alice.id}`).toEqual([
      { timezone: "UTC" },
    ]);
  });

  it("needs the Mini App's init data", async () => {
    const response = await call(null, "PATCH", "/api/me", { json: { timezone: "Europe/Kyiv" } });
    expect(response.status).toBe(401);
    expect(await h.sql`select timezone from users`).toEqual([]);
  });
});

describe("PUT /api/me/consent", () => {
  it("gives and withdraws consent with the same records as /consent", async () => {
    const given = await call(alice, "PUT", "/api/me/consent", { json: { granted: true } });
    expect(given.status).toBe(200);
    expect(given.body).toEqual({
      granted: true,
      policyVersion: PRIVACY_POLICY_VERSION,
      at: "2026-11-28T10:00:00.000Z",
    });
    // Recording starts at once.
    await h.bot.send(h.updates.groupText(team, alice, "recorded"));
    expect(await h.sql`select count(*)::int as stored from messages`).toEqual([{ stored: 1 }]);

    h.bot.clock.advance(1000);
    const withdrawn = await call(alice, "PUT", "/api/me/consent", { json: { granted: false } });
    expect(withdrawn.body).toEqual({
      granted: false,
      policyVersion: PRIVACY_POLICY_VERSION,
      at: "2026-11-28T10:00:01.000Z",
    });
    await h.bot.send(h.updates.groupText(team, alice, "not recorded"));
    expect(await h.sql`select count(*)::int as stored from messages`).toEqual([{ stored: 1 }]);

    expect(await h.sql`select granted, source from consents order by id`).toEqual([
      { granted: true, source: "miniapp" },
      { granted: false, source: "miniapp" },
    ]);
    const audit = await h.sql`select action from audit_log order by id`;
    expect(audit.map((row) => row.action)).toEqual(["consent.given", "consent.withdrawn"]);
  });

  it("rejects anything but a boolean", async () => {
    for (const json of [{}, { granted: "yes" }, { granted: true, extra: 1 }]) {
      expect((await call(alice, "PUT", "/api/me/consent", { json })).status).toBe(400);
    }
    expect(await h.sql`select id from consents`).toEqual([]);
  });
});

describe("GET /api/me/export", () => {
  it("is the same JSON as /export, as an attachment, and shares its limit with the bot", async () => {
    await giveConsent(h, alice);
    await h.bot.send(h.updates.groupText(team, alice, "my words"));
    const response = await call(alice, "GET", "/api/me/export");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toBe(
      `attachment; filename="task-tracker-export-${alice.id}-2026-11-28.json"`,
    );
    const data = response.body as Json & { messages: Json[]; user: Json; consents: Json[] };
    expect(data.format_version).toBe(1);
    expect(data.user).toMatchObject({ id: alice.id, first_name: alice.first_name });
    expect(data.messages.map((m) => m.text)).toEqual(["my words"]);
    expect(data.consents).toHaveLength(1);

    const again = await call(alice, "GET", "/api/me/export");
    expect(again.status).toBe(429);
    expect(again.headers.get("retry-after")).toBe("600");
    await h.bot.send(h.updates.privateText(alice, "/export"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain("one export every 10 minutes");
    const audit = await h.sql`select counts from audit_log where action = 'export.made'`;
    expect(audit).toEqual([{ counts: { messages: 1 } }]);
  });
});

describe("DELETE /api/me", () => {
  it('needs the body {"confirm":"DELETE"}: anything else is 400 and nothing goes', async () => {
    await giveConsent(h, alice);
    for (const json of [
      {},
      { confirm: "yes" },
      { confirm: "delete" },
      { confirm: "DELETE", also: 1 },
    ]) {
      const response = await call(alice, "DELETE", "/api/me", { json });
      expect(response.status, JSON.stringify(json)).toBe(400);
      expect(response.body).toEqual({
        error: {
          code: "confirmation_required",
          message: 'Send {"confirm":"DELETE"} to erase your data.',
        },
      });
    }
    expect((await call(alice, "DELETE", "/api/me")).status).toBe(415);
    expect(await h.sql`select id from users where id = ${alice.id}`).toHaveLength(1);
  });

  it("erases like /delete, and afterwards the caller is a stranger with an empty export", async () => {
    await h.bot.send(h.updates.groupText(team, alice, "hello"));
    await giveConsent(h, alice);
    await h.bot.send(h.updates.groupText(team, alice, "stored"));
    await call(alice, "POST", "/api/tasks", { json: { title: "Private" } });
    await call(alice, "POST", "/api/tasks", {
      json: { title: "Team", teamId: team.id, assigneeId: alice.id },
    });
    await h.bot.send(h.updates.groupText(team, bob, "hi"));

    const response = await call(alice, "DELETE", "/api/me", { json: { confirm: "DELETE" } });
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      deleted: {
        messages: 1,
        consents: 1,
        privateTasks: 1,
        teamTasksUnlinked: 1,
        tasksFromMessagesUnlinked: 0,
        memberships: 1,
        formStates: 0,
      },
    });
    expect(await h.sql`select action from audit_log`).toEqual([{ action: "erasure.done" }]);

    const me = await call(alice, "GET", "/api/me");
    expect(me.body).toMatchObject({
      consent: { granted: false, policyVersion: null, at: null },
      teams: [],
    });
    const exported = await call(alice, "GET", "/api/me/export");
    expect(exported.status).toBe(200);
    expect(exported.body).toMatchObject({
      consents: [],
      teams: [],
      tasks_created: [],
      tasks_assigned: [],
      messages: [],
    });
  });
});
