import { beforeEach, describe, expect, it } from "vitest";
import { apiClient } from "#test/helpers/api";
import { giveConsent, useBotHarness } from "#test/helpers/bot";
import { alice, bob, carol, type TestUser, team } from "#test/helpers/updates";

const h = useBotHarness();
const call = apiClient(h);
const HOUR = 60 * 60 * 1000;

type Page = { messages: Array<{ text: string }>; nextCursor: string | null };
const textsFor = async (user: TestUser, query = "") => {
  const response = await call(user, "GET", `/api/teams/${team.id}/messages${query}`);
  expect(response.status).toBe(200);
  return response.body as Page;
};
const say = async (user: TestUser, text: string) => {
  await h.bot.send(h.updates.groupText(team, user, text));
  h.bot.clock.advance(HOUR);
};

beforeEach(async () => {
  await giveConsent(h, alice);
  await giveConsent(h, bob);
  await giveConsent(h, carol);
});

describe("GET /api/teams/:id/messages for someone who joined later", () => {
  it("shows only what was written from the moment they joined the group", async () => {
    await say(alice, "before Carol came");
    await say(bob, "also before");
    await h.bot.send(h.updates.memberJoined(team, carol));
    h.bot.clock.advance(HOUR);
    await say(bob, "welcome Carol");
    await say(carol, "thanks");

    expect((await textsFor(carol)).messages.map((m) => m.text)).toEqual([
      "thanks",
      "welcome Carol",
    ]);
    // Those who were there see it all.
    expect((await textsFor(alice)).messages.map((m) => m.text)).toEqual([
      "thanks",
      "welcome Carol",
      "also before",
      "before Carol came",
    ]);
  });

  it("keeps the limit through pages: the next page stops at the join as well", async () => {
    await say(alice, "old 1");
    await say(alice, "old 2");
    await h.bot.send(h.updates.memberJoined(team, carol));
    h.bot.clock.advance(HOUR);
    await say(alice, "new 1");
    await say(alice, "new 2");
    const first = await textsFor(carol, "?limit=1");
    expect(first.messages.map((m) => m.text)).toEqual(["new 2"]);
    const rest = await textsFor(carol, `?limit=1&cursor=${first.nextCursor}`);
    expect(rest).toEqual({
      messages: [expect.objectContaining({ text: "new 1" })],
      nextCursor: null,
    });
  });

  it("shows a member their own first message, stamped a moment before the bot saw them join", async () => {
    await say(alice, "before Carol wrote");
    // Telegram dates a message in whole seconds; the join is noted when it arrives.
    h.bot.clock.advance(500);
    await say(carol, "hi all");
    expect((await textsFor(carol)).messages.map((m) => m.text)).toEqual(["hi all"]);
  });

  it("counts from the latest join after someone left and came back", async () => {
    await h.bot.send(h.updates.memberJoined(team, carol));
    await say(alice, "while Carol was in");
    await h.bot.send(h.updates.memberLeft(team, carol));
    await say(alice, "while Carol was away");
    await h.bot.send(h.updates.memberJoined(team, carol));
    h.bot.clock.advance(HOUR);
    await say(alice, "after Carol came back");
    expect((await textsFor(carol)).messages.map((m) => m.text)).toEqual(["after Carol came back"]);
  });
});
