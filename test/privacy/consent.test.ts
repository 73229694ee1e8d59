import { describe, expect, it } from "vitest";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { useBotHarness } from "#test/helpers/bot";
import { buttonsOf, pressOn } from "#test/helpers/buttons";
import { chatWith } from "#test/helpers/chat";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();

const { press, toast } = chatWith(h);

async function consents(userId: number) {
  return h.sql<{ granted: boolean; policyVersion: number; source: string; createdAt: Date }[]>`
    select granted, policy_version, source, created_at from consents
    where user_id = ${userId} order by id`;
}

async function storedCount(userId: number): Promise<number> {
  const [row] = await h.sql<{ n: number }[]>`
    select count(*)::int as n from messages where author_id = ${userId}`;
  return row?.n ?? 0;
}

describe("asking on /start", () => {
  it("asks the first time, with a summary, a link to /privacy and two buttons", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));

    const texts = h.telegram.textsTo(alice.id);
    expect(texts).toHaveLength(2);
    expect(texts[0]).toContain("Hi Alice!");
    const question = h.telegram.lastMessageTo(alice.id);
    expect(question.text).toContain("You have not decided yet");
    expect(question.text).toContain("/privacy");
    expect(buttonsOf(question).map((b) => b.text)).toEqual(["✅ Record my messages", "No, thanks"]);
  });

  it("records consent from the button: granted, the policy version, the time and the source", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    await press(alice, "Record my messages");

    expect(await consents(alice.id)).toEqual([
      {
        granted: true,
        policyVersion: PRIVACY_POLICY_VERSION,
        source: "bot",
        createdAt: h.bot.clock.now(),
      },
    ]);
    expect(h.telegram.lastMessageTo(alice.id).text).toContain(
      `Given on 28 Nov 2026 (privacy notice version ${PRIVACY_POLICY_VERSION})`,
    );
    expect(toast()?.text).toBe("Thank you: consent given.");
  });

  it("does not ask again on a later /start once the user has answered", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    await press(alice, "No, thanks");
    h.telegram.clear();

    await h.bot.send(h.updates.privateText(alice, "/start"));

    expect(h.telegram.textsTo(alice.id)).toHaveLength(1);
    expect(await consents(alice.id)).toMatchObject([{ granted: false }]);
  });

  it("a double tap records one consent", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    const tap = pressOn(h.telegram, h.updates, alice, alice.id, "Record my messages");
    await h.bot.send(tap);
    await h.bot.send({ ...tap, update_id: tap.update_id + 1000 });
    expect(await consents(alice.id)).toHaveLength(1);
  });

  it("answers a second tap on the same button quietly, without an error", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    for (const label of ["Record my messages", "Withdraw consent"]) {
      const tap = pressOn(h.telegram, h.updates, alice, alice.id, label);
      await h.bot.send(tap);
      const shown = h.telegram.lastMessageTo(alice.id).text;
      await h.bot.send({ ...tap, update_id: tap.update_id + 1000 });

      expect(toast()).not.toHaveProperty("show_alert", true);
      expect(toast()?.text).toMatch(/^Already done/);
      expect(h.telegram.lastMessageTo(alice.id).text).toBe(shown);
    }
    expect(await consents(alice.id)).toMatchObject([{ granted: true }, { granted: false }]);
    expect(h.bot.logs.lines().filter((line) => line.level === 50)).toEqual([]);
  });
});

describe("/consent", () => {
  it("shows 'never asked' and lets the user give consent", async () => {
    await h.bot.send(h.updates.privateText(alice, "/consent"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain("You have not decided yet");
    await press(alice, "Record my messages");
    expect(await consents(alice.id)).toMatchObject([{ granted: true }]);
  });

  it("withdrawing stops recording at once and offers to delete what is stored, in the same message", async () => {
    await h.bot.send(h.updates.privateText(alice, "/consent"));
    await press(alice, "Record my messages");
    await h.bot.send(h.updates.groupText(team, alice, "The deploy key is in the vault"));
    await h.bot.send(h.updates.groupText(team, alice, "Ping me after lunch"));
    expect(await storedCount(alice.id)).toBe(2);

    const screen = h.telegram.lastMessageTo(alice.id);
    await press(alice, "Withdraw consent");
    await h.bot.send(h.updates.groupText(team, alice, "This one must not be kept"));

    expect(await storedCount(alice.id)).toBe(2);
    const after = h.telegram.lastMessageTo(alice.id);
    expect(after.message_id).toBe(screen.message_id);
    expect(after.text).toContain("Withdrawn on 28 Nov 2026");
    expect(after.text).toContain("I still hold 2 messages you wrote while you consented");
    expect(buttonsOf(after).map((b) => b.text)).toContain("🗑 Delete 2 messages");
    expect((await consents(alice.id)).map((c) => c.granted)).toEqual([true, false]);

    await press(alice, "Delete 2 messages");
    expect(await storedCount(alice.id)).toBe(0);
    expect(h.telegram.lastMessageTo(alice.id).text).toContain("Deleted 2 stored messages");
  });

  it("keeps stored messages when the user chooses to", async () => {
    await h.bot.send(h.updates.privateText(alice, "/consent"));
    await press(alice, "Record my messages");
    await h.bot.send(h.updates.groupText(team, alice, "Keep me"));
    await press(alice, "Withdraw consent");
    await press(alice, "Keep them");
    expect(await storedCount(alice.id)).toBe(1);
    expect(buttonsOf(h.telegram.lastMessageTo(alice.id)).map((b) => b.text)).toEqual([
      "✅ Record my messages",
    ]);
  });

  it("writes an audit record per change, naming the user only by a keyed hash", async () => {
    await h.bot.send(h.updates.privateText(alice, "/consent"));
    await press(alice, "Record my messages");
    await press(alice, "Withdraw consent");

    const rows = await h.sql<{ action: string; actor: string; counts: unknown }[]>`
      select action, actor, counts from audit_log order by id`;
    expect(rows.map((r) => r.action)).toEqual(["consent.given", "consent.withdrawn"]);
    expect(rows[0]?.actor).toMatch(/^[\w-]{16}$/);
    expect(rows[0]?.actor).toBe(rows[1]?.actor);
    expect(JSON.stringify(rows)).not.toContain(String(alice.id));
    expect(rows[0]?.counts).toEqual({ policy_version: PRIVACY_POLICY_VERSION });
  });

  it("refuses a button pressed by someone else (a forwarded message) and changes nothing", async () => {
    await h.bot.send(h.updates.privateText(alice, "/consent"));
    const message = h.telegram.lastMessageTo(alice.id);
    const [give] = buttonsOf(message);
    await h.bot.send(
      h.updates.callback(bob, give?.data ?? "", {
        chat: { id: bob.id, type: "private" },
        message_id: 5,
      }),
    );
    expect(toast()).toMatchObject({ text: "This button is not for you.", show_alert: true });
    expect(await consents(alice.id)).toEqual([]);
    expect(await consents(bob.id)).toEqual([]);
  });

  it("refuses a button older than a day and shows the current choice instead", async () => {
    await h.bot.send(h.updates.privateText(alice, "/consent"));
    h.bot.clock.advance(25 * 60 * 60 * 1000);
    await press(alice, "Record my messages");
    expect(toast()).toMatchObject({
      text: "That button has expired. Here is your current choice.",
      show_alert: true,
    });
    expect(await consents(alice.id)).toEqual([]);
    const fresh = buttonsOf(h.telegram.lastMessageTo(alice.id));
    expect(fresh.map((b) => b.text)).toEqual(["✅ Record my messages", "No, thanks"]);
  });

  it("refuses a button from an older version of the notice and records nothing", async () => {
    await h.bot.send(h.updates.privateText(alice, "/consent"));
    const message = h.telegram.lastMessageTo(alice.id);
    const [give] = buttonsOf(message);
    const [op, user, version, issued] = (give?.data ?? "").split(":").slice(1);
    expect(Number(version)).toBe(PRIVACY_POLICY_VERSION);
    // The same button, as the previous notice's screen carried it, pressed within the day.
    const older = ["cs", op, user, String(PRIVACY_POLICY_VERSION - 1), issued].join(":");
    await h.bot.send(
      h.updates.callback(alice, older, {
        chat: { id: alice.id, type: "private" },
        message_id: message.message_id,
      }),
    );
    expect(toast()).toMatchObject({
      text: "That button has expired. Here is your current choice.",
      show_alert: true,
    });
    expect(await consents(alice.id)).toEqual([]);
  });

  it("in a group points to the private chat and says nothing about the person", async () => {
    await h.bot.send(h.updates.privateText(alice, "/consent"));
    await press(alice, "Record my messages");
    await h.bot.send(h.updates.groupText(team, alice, "/consent"));
    const reply = h.telegram.lastMessageTo(team.id);
    expect(reply.text).toBe("That is between you and me: let's continue in our private chat.");
    expect(buttonsOf(reply)).toEqual([
      { text: "Open private chat", data: "https://t.me/task_tracker_test_bot?start=consent" },
    ]);
  });

  it("the deep link opens the consent screen", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start consent"));
    expect(h.telegram.textsTo(alice.id)).toHaveLength(1);
    expect(h.telegram.lastMessageTo(alice.id).text).toContain("Recording your group messages");
  });
});

describe("a new policy version", () => {
  /** Alice agreed to the previous version of the notice. */
  async function agreedToOlderVersion() {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    await press(alice, "Record my messages");
    const older = PRIVACY_POLICY_VERSION - 1;
    await h.sql`update consents set policy_version = ${older} where user_id = ${alice.id}`;
    await h.sql`update users set consent_version = ${older}, consent_prompted_version = ${older}
                where id = ${alice.id}`;
    h.telegram.clear();
  }

  it("asks again, once, the next time the user talks to the bot", async () => {
    await agreedToOlderVersion();

    await h.bot.send(h.updates.privateText(alice, "/tasks"));
    const texts = h.telegram.textsTo(alice.id);
    expect(texts).toHaveLength(2);
    expect(texts[1]).toContain(
      `Our privacy notice has changed (now version ${PRIVACY_POLICY_VERSION})`,
    );

    await h.bot.send(h.updates.privateText(alice, "/tasks"));
    expect(h.telegram.textsTo(alice.id)).toHaveLength(3);
  });

  it("treats the user as not consenting until they answer", async () => {
    await agreedToOlderVersion();
    await h.bot.send(h.updates.groupText(team, alice, "Not yet, please"));
    expect(await storedCount(alice.id)).toBe(0);

    await h.bot.send(h.updates.privateText(alice, "/consent"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain(
      `You agreed to version ${PRIVACY_POLICY_VERSION - 1}`,
    );
    await press(alice, "Record my messages");
    await h.bot.send(h.updates.groupText(team, alice, "Now it is fine"));
    expect(await storedCount(alice.id)).toBe(1);
  });
});
