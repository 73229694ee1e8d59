import type { Update } from "grammy/types";
import { describe, expect, it, vi } from "vitest";
import { ChatLanes } from "#bot/ingest/pipeline";
import { messageIdentity } from "#db/messages";
import { CHAT_LOCK_NAMESPACE } from "#db/updates";
import { createVault } from "#db/vault";
import { giveConsent, useBotHarness } from "#test/helpers/bot";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { alice, bob, carol, otherTeam, team } from "#test/helpers/updates";

const h = useBotHarness();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);

/** Delivers updates the way concurrent webhook requests do: all at once. */
const sendTogether = (...updates: Update[]) => Promise.all(updates.map((u) => h.bot.send(u)));

/** The batches the bot wrote, as its debug log counts them. */
const batches = () =>
  h.bot.logs
    .lines()
    .filter((line) => line.msg === "chatter batch written")
    .map(({ updates, stored, duplicates, handedBack }) => ({
      updates,
      stored,
      duplicates,
      handedBack,
    }));

async function storedTexts(): Promise<Array<{ authorId: number; text: string; sealed: Buffer }>> {
  const rows = await h.sql<{ chatId: number; messageId: number; authorId: number; text: Buffer }[]>`
    select chat_id, message_id, author_id, text from messages order by id`;
  return rows.map((row) => ({
    authorId: row.authorId,
    sealed: row.text,
    text: vault.open(row.text, messageIdentity(row.chatId, row.messageId)),
  }));
}

const processed = async (updateId: number) =>
  (await h.sql`select 1 from processed_updates where update_id = ${updateId}`).length;

describe("batched ingest of group chatter", () => {
  it("processes a duplicate inside one batch and in a later batch once", async () => {
    await giveConsent(h, alice);
    const message = h.updates.groupText(team, alice, "standup moved to 10:30");

    await sendTogether(message, message);
    await h.bot.send(message);

    expect(await storedTexts()).toEqual([
      expect.objectContaining({ authorId: alice.id, text: "standup moved to 10:30" }),
    ]);
    expect(await processed(message.update_id)).toBe(1);
    const [together, later] = batches();
    expect(together).toEqual({ updates: 2, stored: 1, duplicates: 1, handedBack: 0 });
    expect(later).toEqual({ updates: 1, stored: 0, duplicates: 1, handedBack: 0 });
  });

  it("makes a task from a message that a /task in reply follows in the same batch window", async () => {
    await giveConsent(h, bob);
    const source = h.updates.groupText(team, bob, "Someone should renew the TLS certificate");
    const command = h.updates.groupText(team, alice, "/task", {
      replyTo: h.updates.lastMessage(source),
    });

    await sendTogether(source, command);

    const [task] = await h.sql<{ id: number; sourceMessageId: number; sourceAuthorId: number }[]>`
      select id, source_message_id, source_author_id from tasks`;
    expect(task).toMatchObject({
      sourceMessageId: h.updates.lastMessage(source).message_id,
      sourceAuthorId: bob.id,
    });
    expect(h.telegram.lastMessageTo(team.id).text).toContain("Someone should renew the TLS");
    expect(await storedTexts()).toEqual([
      expect.objectContaining({
        authorId: bob.id,
        text: "Someone should renew the TLS certificate",
      }),
    ]);
  });

  it("stores a consenting member's chatter sealed and a non-consenting member's not at all", async () => {
    await giveConsent(h, alice);
    await sendTogether(
      h.updates.groupText(team, alice, "the deploy is green"),
      h.updates.groupText(team, bob, "lunch?"),
      h.updates.groupText(team, carol, "who has the staging keys?"),
    );

    const rows = await storedTexts();
    expect(rows.map(({ authorId, text }) => ({ authorId, text }))).toEqual([
      { authorId: alice.id, text: "the deploy is green" },
    ]);
    expect(rows[0]?.sealed.includes(Buffer.from("deploy"))).toBe(false);
    // Everyone who wrote is known as a member of the group, consenting or not.
    const members = await h.sql<{ userId: number }[]>`
      select user_id from team_members where team_id = ${team.id} order by user_id`;
    expect(members.map((m) => m.userId)).toEqual([alice.id, bob.id, carol.id]);
    expect(batches().at(-1)).toEqual({ updates: 3, stored: 3, duplicates: 0, handedBack: 0 });
  });

  it("hands a form's answer in a group back to the form instead of batching it", async () => {
    await h.bot.send(h.updates.groupText(team, alice, "/newtask"));
    const before = batches().length;

    await sendTogether(
      h.updates.groupText(team, alice, "Fix the login page"),
      h.updates.groupText(team, bob, "brb"),
    );

    expect(h.telegram.lastMessageTo(team.id).text).not.toContain("What should the task be called");
    const [handed] = batches().slice(before);
    expect(handed).toEqual({ updates: 2, stored: 0, duplicates: 0, handedBack: 2 });
    await h.bot.send(h.updates.groupText(team, alice, "/cancel"));
    expect(await h.sql`select 1 from tasks`).toHaveLength(0);
    expect(await h.sql`select 1 from conversations`).toHaveLength(0);
  });
});

describe("a chat held elsewhere", () => {
  it("does not stall the batch: its chatter waits on the per-update path, other chats go on", async () => {
    await giveConsent(h, alice);
    let release: () => void = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    let held: () => void = () => {};
    const lockHeld = new Promise<void>((resolve) => {
      held = resolve;
    });
    // Another instance's transaction on the group, as an interactive update holds it.
    const otherInstance = h.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${CHAT_LOCK_NAMESPACE}, hashtext(${String(team.id)}))`;
      held();
      await released;
    });
    await lockHeld;

    const busy = h.bot.send(h.updates.groupText(team, alice, "in the busy group"));
    await h.bot.send(h.updates.groupText(otherTeam, alice, "in a quiet group"));
    expect((await storedTexts()).map((row) => row.text)).toEqual(["in a quiet group"]);

    release();
    await otherInstance;
    await busy;
    expect((await storedTexts()).map((row) => row.text)).toEqual([
      "in a quiet group",
      "in the busy group",
    ]);
  });
});

describe("per-chat order around chatter", () => {
  it("runs an interactive update only once its chat's earlier chatter is stored", async () => {
    const lanes = new ChatLanes();
    const events: string[] = [];
    let store: (outcome: "stored") => void = () => {};
    const chatter = lanes.chatter(
      "chat",
      () =>
        new Promise((resolve) => {
          events.push("chatter in batch");
          store = resolve;
        }),
      async () => {},
    );
    const interactive = lanes.interactive("chat", async () => {
      events.push("interactive runs");
    });
    const otherChat = lanes.interactive("other", async () => {
      events.push("other chat runs");
    });

    await otherChat;
    expect(events).toEqual(["chatter in batch", "other chat runs"]);
    events.push("batch committed");
    store("stored");
    await Promise.all([chatter, interactive]);
    expect(events).toEqual([
      "chatter in batch",
      "other chat runs",
      "batch committed",
      "interactive runs",
    ]);
  });

  it("lets chatter after an interactive update wait for it", async () => {
    const lanes = new ChatLanes();
    const events: string[] = [];
    let finish: () => void = () => {};
    const interactive = lanes.interactive(
      "chat",
      () =>
        new Promise<void>((resolve) => {
          events.push("interactive runs");
          finish = resolve;
        }),
    );
    const chatter = lanes.chatter(
      "chat",
      async () => {
        events.push("chatter in batch");
        return "stored";
      },
      async () => {},
    );
    await vi.waitFor(() => expect(events).toEqual(["interactive runs"]));
    finish();
    await Promise.all([interactive, chatter]);
    expect(events).toEqual(["interactive runs", "chatter in batch"]);
  });
});
