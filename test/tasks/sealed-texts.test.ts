import { describe, expect, it } from "vitest";
import { sealLegacyTaskTexts } from "#db/task-texts";
import { createVault } from "#db/vault";
import { apiClient } from "#test/helpers/api";
import { createTestBot, giveConsent, useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { lastExport } from "#test/helpers/exports";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { storedTasks } from "#test/helpers/tasks";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();
const call = apiClient(h);

/** Long enough to become a title and the whole text as description. */
const WORDS = `Restart the staging server. ${"It has been down since the deploy on Friday. ".repeat(5).trim()}`;

/** Bob (who never consented) writes in the group; Alice turns it into a task with /task. */
async function taskFromBobsMessage() {
  await h.bot.send(h.updates.groupText(team, alice, "hello"));
  const source = h.updates.groupText(team, bob, WORDS);
  await h.bot.send(source);
  const message = h.updates.lastMessage(source);
  await h.bot.send(h.updates.groupText(team, alice, "/task", { replyTo: message }));
  const [task] = await storedTasks(h.sql);
  if (!task) throw new Error("no task was made");
  return { task, message };
}

describe("task texts at rest", () => {
  it("stores title and description sealed: the raw row holds none of the words", async () => {
    await taskFromBobsMessage();
    const [raw] = await h.sql<
      {
        title: Buffer;
        description: Buffer;
        legacyTitle: string | null;
        legacyDescription: string | null;
      }[]
    >`select title, description, legacy_title, legacy_description from tasks`;
    expect(raw?.legacyTitle).toBeNull();
    expect(raw?.legacyDescription).toBeNull();
    for (const column of [raw?.title, raw?.description]) {
      expect(Buffer.isBuffer(column)).toBe(true);
      const bytes = column?.toString("latin1") ?? "";
      expect(bytes).not.toContain("staging");
      expect(bytes).not.toContain("Friday");
    }
    // …and the service reads them back whole.
    const [task] = await storedTasks(h.sql);
    expect(task?.title).toMatch(/^Restart the staging server\. It has been down/);
    expect(task?.description).toBe(WORDS);
  });

  it("keeps a sealed text bound to its row: copied into another task, it does not open", async () => {
    await taskFromBobsMessage();
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Water the plants"));
    await h.sql`update tasks set title = (select title from tasks order by id limit 1)
                where id = (select max(id) from tasks)`;
    await expect(storedTasks(h.sql)).rejects.toThrow("failed authentication");
  });

  it("seals titles and descriptions an older version stored in plain, and empties the plain columns", async () => {
    await h.bot.send(h.updates.groupText(team, alice, "hello"));
    await h.sql`
      insert into tasks (team_id, legacy_title, legacy_description, creator_id)
      values (${team.id}, 'Pay the invoice', 'Before the 5th', ${alice.id}),
             (${team.id}, 'Book the room', null, ${alice.id})`;
    const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);

    expect(await sealLegacyTaskTexts(h.sql, vault, 1)).toBe(2);

    expect(
      await h.sql`select count(*)::int as n from tasks
                  where legacy_title is not null or legacy_description is not null`,
    ).toEqual([{ n: 0 }]);
    expect((await storedTasks(h.sql)).map((t) => [t.title, t.description])).toEqual([
      ["Pay the invoice", "Before the 5th"],
      ["Book the room", null],
    ]);
    await h.bot.send(h.updates.groupText(team, alice, "/tasks"));
    const list = h.telegram.lastMessageTo(team.id).text;
    expect(list).toContain("Pay the invoice");
    expect(list).toContain("Book the room");
    expect(await sealLegacyTaskTexts(h.sql, vault)).toBe(0);
  });

  it("the service seals them when it starts, before it serves", async () => {
    await h.sql`
      insert into tasks (legacy_title, legacy_description)
      values ('Renew the domain', 'It expires on the 9th')`;
    const { app } = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      clock: h.bot.clock,
      env: {
        BOT_MODE: "webhook",
        PUBLIC_URL: "https://tasks.example.org/",
        WEBHOOK_SECRET: "abc_DEF-123",
        PORT: "0",
      },
    });
    await app.start();
    await app.stop();
    expect(
      await h.sql`select count(*)::int as n from tasks where legacy_title is not null`,
    ).toEqual([{ n: 0 }]);
    expect((await storedTasks(h.sql))[0]).toMatchObject({
      title: "Renew the domain",
      description: "It expires on the 9th",
    });
  });
});

describe("a task made from someone's message", () => {
  it("keeps its source: chat, message and author, whether or not the author consented", async () => {
    const { task, message } = await taskFromBobsMessage();
    expect(task).toMatchObject({
      sourceChatId: team.id,
      sourceMessageId: message.message_id,
      sourceAuthorId: bob.id,
      creatorId: alice.id,
    });
  });

  it("from the Mini App's “From a message”, keeps the stored message's source and author", async () => {
    await h.bot.send(h.updates.groupText(team, alice, "hello"));
    await giveConsent(h, bob);
    const source = h.updates.groupText(team, bob, "Order more coffee");
    await h.bot.send(source);
    const message = h.updates.lastMessage(source);

    const created = await call(alice, "POST", "/api/tasks", {
      json: {
        title: "Order more coffee",
        teamId: team.id,
        sourceMessage: { chatId: team.id, messageId: message.message_id },
      },
    });

    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      title: "Order more coffee",
      sourceMessage: { chatId: team.id, messageId: message.message_id, text: "Order more coffee" },
    });
    expect((await storedTasks(h.sql))[0]).toMatchObject({
      sourceChatId: team.id,
      sourceMessageId: message.message_id,
      sourceAuthorId: bob.id,
    });
  });

  it("refuses a source message that is not a stored message of that group", async () => {
    await h.bot.send(h.updates.groupText(team, alice, "hello"));
    const response = await call(alice, "POST", "/api/tasks", {
      json: { title: "Guess", teamId: team.id, sourceMessage: { chatId: team.id, messageId: 999 } },
    });
    expect(response.status).toBe(400);
    expect(response.text).toContain("sourceMessage");
    expect(await storedTasks(h.sql)).toEqual([]);
  });

  it("is listed in the author's export, with the words it copied", async () => {
    const { task, message } = await taskFromBobsMessage();
    await h.bot.send(h.updates.privateText(bob, "/export"));
    expect(lastExport(h.telegram).tasks_from_my_messages).toEqual([
      {
        id: task.id,
        team_id: team.id,
        title: task.title,
        description: WORDS,
        status: "open",
        source_chat_id: team.id,
        source_message_id: message.message_id,
        source_date: expect.any(String),
        created_at: expect.any(String),
      },
    ]);
    // Alice made it, but the words are not hers.
    await h.bot.send(h.updates.privateText(alice, "/export"));
    expect(lastExport(h.telegram).tasks_from_my_messages).toEqual([]);
  });

  it("stays with the team after the author's /delete, without the link to them", async () => {
    const { task } = await taskFromBobsMessage();
    await h.bot.send(h.updates.privateText(bob, "/delete"));
    expect(h.telegram.lastMessageTo(bob.id).text).toContain(
      "Also kept: 1 task made from your messages stay with their team, with the words they copied, but no longer say who wrote them or link to your message.",
    );
    await h.bot.send(pressOn(h.telegram, h.updates, bob, bob.id, "Delete everything"));

    expect(h.telegram.lastMessageTo(bob.id).text).toContain(
      "1 task made from your messages no longer link to you.",
    );
    expect((await storedTasks(h.sql))[0]).toMatchObject({
      id: task.id,
      title: task.title,
      sourceAuthorId: null,
      sourceChatId: null,
      sourceMessageId: null,
      creatorId: alice.id,
    });
    await h.bot.send(h.updates.groupText(team, alice, "/tasks"));
    expect(h.telegram.lastMessageTo(team.id).text).toContain("Restart the staging server");
  });
});
