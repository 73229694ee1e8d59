import { beforeEach, describe, expect, it } from "vitest";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { recentAudit, writeAudit } from "#db/audit";
import { teamMessages } from "#db/messages";
import { listMembers } from "#db/teams";
import { createVault } from "#db/vault";
import { apiClient } from "#test/helpers/api";
import { giveConsent, useBotHarness } from "#test/helpers/bot";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { alice, bob, carol, type TestUser, team } from "#test/helpers/updates";

/**
 * The teams' lists and the audit trail are written by PostgreSQL (db/members-json.ts,
 * db/messages-json.ts, db/audit.ts): their bytes must stay what the object-built routes
 * wrote (the query modules' rows mapped and passed to JSON.stringify, as the routes did).
 */
const ADMIN: TestUser = { id: 9009, first_name: "Root" };
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });
const call = apiClient(h);
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
const reading = () => ({
  rules: { defaultDays: 90, minDays: 1, maxDays: 3650 },
  now: h.bot.clock.now(),
  policyVersion: PRIVACY_POLICY_VERSION,
});
/** Names and texts with what JSON and HTML escape, and what they do not. */
const zoe: TestUser = { id: 1004, first_name: 'Zoë "<b>&amp;</b>" \\ 😀', username: "zoe_x" };
const ann: TestUser = { id: 1005, first_name: "ann" };

beforeEach(async () => {
  for (const user of [alice, bob, zoe, ann]) {
    await giveConsent(h, user);
    await h.bot.send(h.updates.groupText(team, user, `hello from ${user.first_name}`));
  }
  await h.bot.send(h.updates.privateText(carol, "/start"));
});

describe("GET /api/teams/:id/members, written by PostgreSQL", () => {
  it("is byte for byte the object-built JSON, ordered by first name, and answers 304 until a name changes", async () => {
    const members = await listMembers(h.sql, vault, team.id);
    const expected = JSON.stringify({
      members: members.map((m) => ({ id: m.id, firstName: m.firstName, username: m.username })),
    });
    const response = await call(bob, "GET", `/api/teams/${team.id}/members`);
    expect(response.status).toBe(200);
    expect(response.text).toBe(expected);
    expect((response.body as { members: Array<{ id: number }> }).members.map((m) => m.id)).toEqual([
      alice.id,
      ann.id,
      bob.id,
      zoe.id,
    ]);

    const etag = String(response.headers.get("etag"));
    const again = await call(bob, "GET", `/api/teams/${team.id}/members`, {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    expect(again.text).toBe("");
    await h.bot.send(h.updates.groupText(team, { ...ann, first_name: "Anne" }, "renamed"));
    const renamed = await call(bob, "GET", `/api/teams/${team.id}/members`, {
      headers: { "if-none-match": etag },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.text).toContain('"firstName":"Anne"');
    expect((await call(carol, "GET", `/api/teams/${team.id}/members`)).status).toBe(404);
  });
});

describe("GET /api/teams/:id/messages, written by PostgreSQL", () => {
  it("is byte for byte the object-built JSON, with its cursor, and 304 until someone writes", async () => {
    h.bot.clock.advance(60_000);
    await h.bot.send(
      h.updates.groupText(team, zoe, 'Fix <b>&amp;</b> "the" printer\n☕ \u2028 \\ 😀'),
    );
    const page = await teamMessages(h.sql, vault, reading(), team.id, bob.id, {
      limit: 2,
      before: null,
    });
    const last = page.messages.at(-1);
    const expected = JSON.stringify({
      messages: page.messages.map((m) => ({
        chatId: m.chatId,
        messageId: m.messageId,
        authorId: m.authorId,
        text: m.text,
        date: m.date.toISOString(),
      })),
      nextCursor: Buffer.from(
        JSON.stringify({ date: last?.date.toISOString(), id: last?.id }),
      ).toString("base64url"),
    });
    const response = await call(bob, "GET", `/api/teams/${team.id}/messages?limit=2`);
    expect(response.status).toBe(200);
    expect(response.text).toBe(expected);

    const etag = String(response.headers.get("etag"));
    const again = await call(bob, "GET", `/api/teams/${team.id}/messages?limit=2`, {
      headers: { "if-none-match": etag },
    });
    expect(again.status).toBe(304);
    h.bot.clock.advance(60_000);
    await h.bot.send(h.updates.groupText(team, alice, "something new"));
    const changed = await call(bob, "GET", `/api/teams/${team.id}/messages?limit=2`, {
      headers: { "if-none-match": etag },
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({ messages: [{ text: "something new" }, {}] });
    expect((await call(carol, "GET", `/api/teams/${team.id}/messages`)).status).toBe(404);
  });
});

describe("GET /api/admin/audit, written by PostgreSQL", () => {
  it("is byte for byte the object-built JSON, nulls and counts included", async () => {
    await writeAudit(h.sql, {
      at: new Date("2026-11-28T10:00:00.123Z"),
      action: "retention.purged",
      actor: null,
      target: 'team "-100" \\ ü',
      counts: { messages: 12, expired_days: 90, a: 0 },
    });
    const entries = await recentAudit(h.sql, 50);
    const expected = JSON.stringify({
      entries: entries.map((entry) => ({
        at: entry.at.toISOString(),
        action: entry.action,
        actor: entry.actor,
        target: entry.target,
        counts: entry.counts,
      })),
    });
    const response = await call(ADMIN, "GET", "/api/admin/audit");
    expect(response.status).toBe(200);
    expect(entries.length).toBeGreaterThan(4);
    expect(response.text).toBe(expected);
    const again = await call(ADMIN, "GET", "/api/admin/audit", {
      headers: { "if-none-match": String(response.headers.get("etag")) },
    });
    expect(again.status).toBe(304);
  });
});
