import { Api } from "grammy";
import { afterEach, describe, expect, it, vi } from "vitest";
import { createIdHasher } from "#bot/lib/logger";
import { createOutboxSender, type OutboxSender } from "#bot/outbox/sender";
import { createVault } from "#db/vault";
import { useBotHarness } from "#test/helpers/bot";
import { TEST_BOT_TOKEN, tooManyRequests } from "#test/helpers/fake-telegram";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { alice, bob, carol, type TestChat } from "#test/helpers/updates";

const ADMIN = carol;
const h = useBotHarness({ env: { ADMIN_IDS: String(ADMIN.id) } });
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
const team: TestChat = { id: -1001000000001, title: "Alpha", type: "supergroup" };
const groups: TestChat[] = Array.from({ length: 29 }, (_, i) => ({
  id: -1002000000000 - i,
  title: `Group ${i}`,
  type: "supergroup",
}));
const senders: OutboxSender[] = [];

afterEach(async () => {
  await Promise.all(senders.splice(0).map((sender) => sender.stop()));
});

/** Handles an update as the service does, without delivering the outbox afterwards. */
const handle = (update: Parameters<typeof h.bot.send>[0]) => h.bot.app.bot.handleUpdate(update);

async function queued() {
  return h.sql<{ chatId: number; method: string; sealedText: Buffer }[]>`
    select chat_id, method, sealed_text from outbox order by id`;
}

/** The service's sender with Telegram's limits, on the harness's clock. */
async function serviceSender(): Promise<OutboxSender> {
  const sender = createOutboxSender({
    sql: h.sql,
    vault,
    clock: h.bot.clock,
    log: h.bot.logs.log,
    hashId: createIdHasher(TEST_SECRETS.hashSecret),
    api: new Api(TEST_BOT_TOKEN, { apiRoot: h.telegram.apiRoot }),
  });
  senders.push(sender);
  await sender.start();
  return sender;
}

describe("task notices through the outbox", () => {
  it("writes an assignment's notice in the update's transaction; a sender started later delivers it", async () => {
    await h.bot.send(h.updates.privateText(bob, "/start"));
    await h.bot.send(h.updates.groupText(team, alice, "hi"));
    await h.bot.send(h.updates.groupText(team, bob, "hi"));
    h.telegram.clear();

    // Committed, and nobody has sent anything yet (the instance died right after the commit).
    await handle(h.updates.groupText(team, alice, "/newtask Ship the release @bobby"));
    expect(h.telegram.callsOf("sendMessage")).toEqual([]);
    const [notice, card] = await queued();
    expect(notice).toMatchObject({ chatId: bob.id, method: "sendMessage" });
    expect(card).toMatchObject({ chatId: team.id, method: "sendMessage" });
    for (const row of [notice, card]) {
      expect(row?.sealedText.toString("latin1")).not.toContain("Ship the release");
    }

    await h.bot.drain();
    expect(h.telegram.textsTo(bob.id)).toEqual([
      expect.stringMatching(/^Alice assigned you a task:\n\n#\d+ <b>Ship the release<\/b>/),
    ]);
    expect(h.telegram.textsTo(team.id)).toEqual([
      expect.stringMatching(/^#\d+ <b>Ship the release<\/b>/),
    ]);
    expect(await queued()).toEqual([]);
  });
});

describe("retention notices through the outbox", () => {
  it("answers the admin within a second while 29 of 30 groups wait their retry_after, then tells each once", async () => {
    for (const group of groups) await h.bot.send(h.updates.groupText(group, bob, "hello"));
    await h.bot.send(h.updates.privateText(bob, "/start"));
    await h.bot.send(h.updates.groupText(team, alice, "hi"));
    await h.bot.send(h.updates.groupText(team, bob, "hi"));
    h.telegram.clear();
    for (const group of groups) {
      h.telegram.failNext("sendMessage", tooManyRequests(6), { chatId: group.id });
    }
    const sender = await serviceSender();

    await handle(h.updates.privateText(ADMIN, "/retention 120"));
    // 31 chats, 30 messages a second overall: one of them waits a second. A send counts from
    // Telegram's answer, so the clock moves on once the sender has all 30 answers.
    const toldToWait = () =>
      h.bot.logs.lines().filter((line) => line.msg === "outbox: chat told to wait").length;
    await vi.waitFor(async () => expect(toldToWait() + 31 - (await queued()).length).toBe(30), {
      timeout: 5000,
    });
    h.bot.clock.advance(1000);
    sender.wake();
    await h.telegram.waitForCalls(
      (calls) =>
        calls.filter((call) => call.response?.ok === false).length === 29 &&
        h.telegram.textsTo(ADMIN.id).length === 1,
    );
    expect(h.telegram.textsTo(ADMIN.id)).toEqual([
      "Done: the global retention period is now 120 days, was 90 days. I am telling 30 groups it applies to.",
    ]);
    // Someone else is told at once, while the groups wait.
    await handle(h.updates.groupText(team, alice, "/newtask Ship the release @bobby"));
    sender.wake();
    await h.telegram.waitForCalls(() =>
      h.telegram.textsTo(bob.id).some((text) => text.startsWith("Alice assigned you a task")),
    );
    expect(groups.flatMap((group) => h.telegram.textsTo(group.id))).toEqual([]);

    await vi.waitFor(async () => expect(await queued()).toHaveLength(groups.length), {
      timeout: 5000,
    });
    // The group told last was told to wait at the second second: 6 s from then.
    h.bot.clock.advance(6000);
    sender.wake();
    await h.telegram.waitForCalls(() =>
      groups.every((group) => h.telegram.textsTo(group.id).length === 1),
    );
    for (const group of groups) {
      expect(h.telegram.textsTo(group.id)).toEqual([
        expect.stringContaining(
          "Stored messages in this group are now deleted 120 days after they were sent (until now: 90 days).",
        ),
      ]);
    }
  });
});

describe("privacy answers through the outbox", () => {
  it("answers an /export asked again too soon in a group privately, once the update committed", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    await h.bot.send(h.updates.groupText(team, alice, "/export"));
    h.bot.clock.advance(4 * 60_000);

    const sentBefore = h.telegram.callsOf("sendMessage").length;
    await handle(h.updates.groupText(team, alice, "/export"));
    expect(h.telegram.callsOf("sendMessage")).toHaveLength(sentBefore);
    expect((await queued()).map((row) => row.chatId)).toEqual([alice.id, team.id]);
    await h.bot.drain();
    expect(h.telegram.lastMessageTo(team.id).text).toBe("I have answered you in our private chat.");
    expect(h.telegram.textsTo(alice.id).at(-1)).toBe(
      "You can ask for one export every 10 minutes. Try again at 10:10 (in 6 min).",
    );
  });
});

describe("a form through the outbox", () => {
  it("asks each question once its answer has committed; Telegram hears nothing while a step is handled", async () => {
    await handle(h.updates.privateText(alice, "/newtask"));
    expect(h.telegram.calls).toEqual([]);
    expect((await queued()).map((row) => row.chatId)).toEqual([alice.id]);
    await h.bot.drain();
    expect(h.telegram.textsTo(alice.id)).toEqual([
      "What is the task? Send a title (up to 200 characters), or /cancel.",
    ]);

    await handle(h.updates.privateText(alice, "Book the room"));
    expect(h.telegram.textsTo(alice.id)).toHaveLength(1);
    await h.bot.drain();
    expect(h.telegram.textsTo(alice.id).at(-1)).toBe(
      "Add a description (up to 4000 characters), or /skip.",
    );
  });
});
