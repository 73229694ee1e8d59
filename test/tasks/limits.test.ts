import { describe, expect, it } from "vitest";
import { useBotHarness } from "#test/helpers/bot";
import { visibleText } from "#test/helpers/fake-telegram";
import { alice, type TestChat, type TestUser } from "#test/helpers/updates";

const h = useBotHarness();

/** The last text the bot managed to send to the chat, as the person reads it. */
function lastSeenBy(chatId: number): string {
  const call = h.telegram
    .sent()
    .filter((c) => c.payload.chat_id === chatId && c.method !== "answerCallbackQuery")
    .at(-1);
  return call ? visibleText(call) : "";
}

const failures = () =>
  h.bot.logs.lines().filter((line) => line.msg === "update handler failed" || line.level === 50);

// Telegram's longest: a group title of 128 characters and a username of 32.
const longGroup: TestChat = {
  id: -1001555000111,
  title: `The product, design, engineering and operations group of ${"x".repeat(71)}`,
  type: "supergroup",
};
const longName: TestUser = {
  id: 1077,
  first_name: "Maximilian",
  username: "maximilian_alexander_von_longest",
};

describe("a private /tasks page", () => {
  it("fits ten tasks with the longest titles, usernames and group titles in one message", async () => {
    expect(longGroup.title).toHaveLength(128);
    await h.bot.send(h.updates.groupText(longGroup, longName, "hello"));
    // 200 characters (Telegram counts each emoji twice), as long as a title may be.
    const title = (n: number) =>
      `${"Prepare the quarterly numbers and ".repeat(6).slice(0, 186)} ${"🚀".repeat(10)} ${n + 10}`;
    for (let n = 1; n <= 10; n++) {
      await h.bot.send(
        h.updates.groupText(
          longGroup,
          alice,
          `/newtask ${title(n)} @${longName.username} !high tomorrow 09:00`,
        ),
      );
    }
    const ids = await h.sql<{ id: number }[]>`select id from tasks order by id`;
    expect(ids).toHaveLength(10);
    // Overdue tasks carry the longest due label.
    h.bot.clock.advance(3 * 24 * 60 * 60 * 1000);

    await h.bot.send(h.updates.privateText(alice, "/tasks"));

    const page = lastSeenBy(alice.id);
    expect(page).toMatch(/^Open tasks · yours \(10\)/);
    expect(page.length).toBeLessThanOrEqual(4096);
    for (const { id } of ids) expect(page).toContain(`#${id} `);
    expect(failures()).toEqual([]);
  });
});

describe("a card's description preview", () => {
  it("is cut between characters, never inside an emoji", async () => {
    const text = `${"x".repeat(599)}🚀 and then the rest of a very long message`;
    const source = h.updates.groupText(longGroup, alice, text);
    await h.bot.send(source);
    await h.bot.send(
      h.updates.groupText(longGroup, alice, "/task", { replyTo: h.updates.lastMessage(source) }),
    );

    const card = lastSeenBy(longGroup.id);
    expect(card).toContain(`${"x".repeat(599)}🚀…`);
    expect(failures()).toEqual([]);
  });
});
