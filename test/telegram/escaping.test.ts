import { describe, expect, it } from "vitest";
import { useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { visibleText } from "#test/helpers/fake-telegram";
import type { TestChat, TestUser } from "#test/helpers/updates";

/**
 * Every field people write that reaches a message, full of the three characters HTML
 * gives a meaning to. Telegram refuses a message whose HTML does not parse, so escaping
 * that slips shows as a lost message, and the reader must see exactly what was written.
 */
const ADMIN: TestUser = { id: 9009, first_name: "Root" };
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });

const maker: TestUser = { id: 2001, first_name: "Mal <b>& co", username: "mallory" };
const doer: TestUser = { id: 2002, first_name: "Eve <i>&amp;</i> >", username: "eve_doer" };
const group: TestChat = { id: -1001777000222, title: "R&D <team> & </b>", type: "supergroup" };
const TITLE = "Fix <div> & </b> tags &amp; stuff > now";
const MESSAGE = `Customer wrote: <script>alert("&")</script> ${"and more words ".repeat(20)}`;

/** What people read in a chat: every text the fake accepted, entities resolved. */
const seenIn = (chatId: number) =>
  h.telegram
    .sent()
    .filter((c) => c.payload.chat_id === chatId && c.method !== "answerCallbackQuery")
    .map(visibleText);

describe("text people wrote", () => {
  it("reaches every message literally: titles, descriptions, names and group titles", async () => {
    for (const user of [maker, doer]) await h.bot.send(h.updates.privateText(user, "/start"));
    for (const user of [maker, doer, ADMIN]) {
      await h.bot.send(h.updates.groupText(group, user, "hello"));
    }
    // A card in the group, and the assignee's notice naming who assigned it.
    await h.bot.send(
      h.updates.groupText(group, maker, `/newtask ${TITLE} @${doer.username} today 16:00`),
    );
    // A task from a message: its description preview on the card.
    const source = h.updates.groupText(group, doer, MESSAGE);
    await h.bot.send(source);
    await h.bot.send(
      h.updates.groupText(group, maker, "/task", { replyTo: h.updates.lastMessage(source) }),
    );
    // The private list names the group; the group's list is headed by its title.
    await h.bot.send(h.updates.privateText(maker, "/tasks"));
    await h.bot.send(h.updates.groupText(group, maker, "/tasks"));
    // The digest names the assignee; the retention report names the group.
    await h.bot.send(h.updates.groupText(group, ADMIN, "/digest 09:00"));
    await h.bot.send(h.updates.groupText(group, ADMIN, "/retention 200"));
    await h.bot.send(h.updates.privateText(ADMIN, "/retention"));
    h.bot.clock.set("2026-11-28T09:00:00Z");
    expect(await h.bot.app.deliverDigests()).toBe(1);

    const refused = h.telegram.calls.filter((c) => c.response && !c.response.ok);
    expect(refused.map((c) => `${c.method}: ${JSON.stringify(c.response)}`)).toEqual([]);

    const inGroup = seenIn(group.id);
    const card = inGroup.find((text) => text.includes(TITLE));
    expect(card).toContain(`@${doer.username}`);
    expect(
      inGroup.some((text) => text.includes('Customer wrote: <script>alert("&")</script>')),
    ).toBe(true);
    expect(inGroup.some((text) => text.startsWith(`Open tasks · ${group.title}`))).toBe(true);
    const digest = inGroup.find((text) => text.startsWith("📋"));
    expect(digest).toContain(`${doer.first_name}:`);
    expect(digest).toContain(TITLE);

    const notice = seenIn(doer.id).find((text) => text.includes("assigned you a task"));
    expect(notice).toContain(`${maker.first_name} assigned you a task:`);
    expect(notice).toContain(TITLE);
    expect(notice).toContain(`👥 ${group.title}`);

    const list = seenIn(maker.id).find((text) => text.startsWith("Open tasks · yours"));
    expect(list).toContain(TITLE);
    expect(list).toContain(`👥 ${group.title}`);

    const report = seenIn(ADMIN.id).find((text) => text.startsWith("Message retention"));
    expect(report).toContain(`• ${group.title} (${group.id}): 200 days`);
  });

  it("reaches the /newtask form's summary and card literally", async () => {
    await h.bot.send(h.updates.privateText(maker, "/start"));
    await h.bot.send(h.updates.privateText(maker, "/newtask"));
    for (const answer of [TITLE, MESSAGE, "/skip", "/skip", "normal"]) {
      await h.bot.send(h.updates.privateText(maker, answer));
    }
    const summary = seenIn(maker.id).at(-1);
    expect(summary).toContain("Create this task?");
    expect(summary).toContain(TITLE);
    expect(summary).toContain('Customer wrote: <script>alert("&")</script>');
    await h.bot.send(pressOn(h.telegram, h.updates, maker, maker.id, "Create"));

    const refused = h.telegram.calls.filter((c) => c.response && !c.response.ok);
    expect(refused.map((c) => `${c.method}: ${JSON.stringify(c.response)}`)).toEqual([]);
    const card = seenIn(maker.id).at(-1);
    expect(card).toMatch(/^#\d+ Fix <div> & <\/b> tags &amp; stuff > now/);
    expect(card).toContain('Customer wrote: <script>alert("&")</script>');
  });
});
