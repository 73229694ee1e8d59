import { describe, expect, it } from "vitest";
import { messageIdentity } from "#db/messages";
import { createVault } from "#db/vault";
import { giveConsent, useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);

const consent = (user: typeof alice) => giveConsent(h, user);

async function withdraw(user: typeof alice) {
  await h.bot.send(h.updates.privateText(user, "/consent"));
  await h.bot.send(pressOn(h.telegram, h.updates, user, user.id, "Withdraw consent"));
}

interface Row {
  chatId: number;
  messageId: number;
  teamId: number;
  authorId: number;
  text: Buffer;
  date: Date;
  replyToMessageId: number | null;
  editedAt: Date | null;
}

async function stored(): Promise<Array<Omit<Row, "text"> & { text: string; sealed: Buffer }>> {
  const rows = await h.sql<Row[]>`
    select chat_id, message_id, team_id, author_id, text, date, reply_to_message_id, edited_at
    from messages order by id`;
  return rows.map((row) => ({
    ...row,
    sealed: row.text,
    text: vault.open(row.text, messageIdentity(row.chatId, row.messageId)),
  }));
}

describe("recording group messages", () => {
  it("keeps a consenting member's message, sealed, with its author, date and reply", async () => {
    await consent(alice);
    const first = h.updates.groupText(team, bob, "Who owns the release notes?");
    await h.bot.send(first);
    const answer = h.updates.groupText(team, alice, "I do, draft by Friday", {
      replyTo: h.updates.lastMessage(first),
    });
    await h.bot.send(answer);

    const [row, ...rest] = await stored();
    expect(rest).toEqual([]);
    expect(row).toMatchObject({
      chatId: team.id,
      teamId: team.id,
      messageId: h.updates.lastMessage(answer).message_id,
      authorId: alice.id,
      text: "I do, draft by Friday",
      date: new Date(h.updates.lastMessage(answer).date * 1000),
      replyToMessageId: h.updates.lastMessage(first).message_id,
      editedAt: null,
    });
    expect(row?.sealed.includes(Buffer.from("Friday"))).toBe(false);
  });

  it("stores nothing from members who have not consented, only that they are members", async () => {
    await h.bot.send(h.updates.groupText(team, bob, "Bob never agreed"));
    expect(await stored()).toEqual([]);
    const members = await h.sql`select user_id from team_members where team_id = ${team.id}`;
    expect(members).toEqual([{ userId: bob.id }]);
  });

  it("stores nothing from a member who said no", async () => {
    await h.bot.send(h.updates.privateText(alice, "/consent"));
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "No, thanks"));
    await h.bot.send(h.updates.groupText(team, alice, "Alice said no"));
    expect(await stored()).toEqual([]);
  });

  it("updates the stored copy when the message is edited", async () => {
    await consent(alice);
    const original = h.updates.groupText(team, alice, "Meeting at 10");
    await h.bot.send(original);
    const messageId = h.updates.lastMessage(original).message_id;
    h.bot.clock.advance(60_000);
    await h.bot.send(h.updates.editedGroupText(team, alice, messageId, "Meeting at 11"));

    const [row, ...rest] = await stored();
    expect(rest).toEqual([]);
    expect(row?.text).toBe("Meeting at 11");
    expect(row?.editedAt).toBeInstanceOf(Date);
  });

  it("removes the stored copy when the message is edited after consent was withdrawn", async () => {
    await consent(alice);
    const original = h.updates.groupText(team, alice, "My phone is 555-0100");
    await h.bot.send(original);
    await withdraw(alice);
    await h.bot.send(
      h.updates.editedGroupText(
        team,
        alice,
        h.updates.lastMessage(original).message_id,
        "(removed)",
      ),
    );
    expect(await stored()).toEqual([]);
  });

  it("does not store commands, service messages or messages of bots", async () => {
    await consent(alice);
    await h.bot.send(h.updates.groupText(team, alice, "/tasks"));
    await h.bot.send(h.updates.leftChatMessage(team, bob));
    const fromBot = h.updates.groupText(team, alice, "I am a bot");
    const message = h.updates.lastMessage(fromBot);
    message.from = { id: 777, is_bot: true, first_name: "OtherBot" };
    await h.bot.send(fromBot);
    await h.bot.send(h.updates.membersAdded(team, alice, [TEST_BOT_INFO]));
    expect(await stored()).toEqual([]);
  });

  it("stops at once when consent is withdrawn, although the process remembers the member", async () => {
    await consent(alice);
    await h.bot.send(h.updates.groupText(team, alice, "one"));
    await withdraw(alice);
    await h.bot.send(h.updates.groupText(team, alice, "two"));
    expect((await stored()).map((m) => m.text)).toEqual(["one"]);
  });

  it("stops at once when another instance records the withdrawal", async () => {
    await consent(alice);
    await h.bot.send(h.updates.groupText(team, alice, "one"));
    // The withdrawal lands through another instance (or the Mini App); this process still
    // remembers Alice as consenting.
    await h.sql`update users set consent_version = null where id = ${alice.id}`;
    await h.bot.send(h.updates.groupText(team, alice, "two"));
    expect((await stored()).map((m) => m.text)).toEqual(["one"]);
  });
});

describe("personal fields at rest", () => {
  it("seals names and usernames; the bot still finds @username and shows names", async () => {
    await h.bot.send(h.updates.groupText(team, bob, "hello"));
    const [row] = await h.sql<{ firstName: Buffer; username: Buffer }[]>`
      select first_name, username from users where id = ${bob.id}`;
    expect(row?.firstName.includes(Buffer.from("Bob"))).toBe(false);
    expect(row?.username.includes(Buffer.from("bobby"))).toBe(false);

    await h.bot.send(h.updates.groupText(team, alice, "/newtask Ship it @BOBBY"));
    expect(h.telegram.lastMessageTo(team.id).text).toContain("@bobby");
  });
});
