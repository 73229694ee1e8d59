import { describe, expect, it } from "vitest";
import { formAnswers } from "#bot/privacy/core/export";
import { PRIVACY_POLICY_VERSION } from "#bot/privacy/policy";
import { createTestBot, giveConsent, useBotHarness } from "#test/helpers/bot";
import { buttonsOf } from "#test/helpers/buttons";
import { deliveredFiles, EXPORT_SECTIONS, lastExport } from "#test/helpers/exports";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { alice, bob, carol, team } from "#test/helpers/updates";

const h = useBotHarness();

const consent = (user: typeof alice) => giveConsent(h, user);

/** Another instance whose key ring lacks the key the harness bot sealed with. */
const botWithoutTheOldKey = () =>
  createTestBot({
    sql: h.sql,
    telegram: h.telegram,
    clock: h.bot.clock,
    secrets: { ...TEST_SECRETS, encryptionKeys: [Buffer.alloc(32, 42)] },
  });

const uploads = () => deliveredFiles(h.telegram);
const exported = () => lastExport(h.telegram);

describe("/export", () => {
  it("sends a JSON file with everything about the user, other people by id only", async () => {
    await consent(alice);
    await h.bot.send(h.updates.groupText(team, bob, "Bob's words are his own"));
    await h.bot.send(h.updates.groupText(team, alice, "Alice wrote this"));
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Fix the login page @bobby"));
    await h.bot.send(h.updates.groupText(team, bob, "/newtask Review the budget @alice"));
    await h.bot.send(h.updates.privateText(alice, "/newtask Private errand every monday"));
    h.telegram.clear();

    await h.bot.send(h.updates.privateText(alice, "/export"));

    expect(h.telegram.textsTo(alice.id)[0]).toBe("Preparing your data export…");
    expect(h.telegram.callsOf("sendChatAction")[0]?.payload).toMatchObject({
      chat_id: alice.id,
      action: "upload_document",
    });
    const [upload, ...more] = uploads();
    expect(more).toEqual([]);
    expect(upload?.chatId).toBe(alice.id);
    expect(upload?.file.filename).toBe("task-tracker-export-1001-2026-11-28.json");

    const data = exported();
    expect(Object.keys(data)).toEqual(EXPORT_SECTIONS);
    expect(data.format_version).toBe(1);
    expect(data.exported_at).toBe("2026-11-28T10:00:00.000Z");
    expect(data.user).toMatchObject({
      id: alice.id,
      first_name: "Alice",
      last_name: null,
      username: "alice",
      language_code: "en",
      timezone: "UTC",
    });
    expect(data.consents).toEqual([
      {
        granted: true,
        policy_version: PRIVACY_POLICY_VERSION,
        source: "bot",
        at: "2026-11-28T10:00:00.000Z",
      },
    ]);
    expect(data.teams).toEqual([
      { id: team.id, title: "Core team", joined_at: "2026-11-28T10:00:00.000Z" },
    ]);
    const titles = (key: string) => (data[key] as Array<{ title: string }>).map((t) => t.title);
    expect(titles("tasks_created")).toEqual(["Fix the login page", "Private errand"]);
    expect(titles("tasks_assigned")).toEqual(["Review the budget"]);
    expect(data.tasks_created).toContainEqual(
      expect.objectContaining({
        title: "Fix the login page",
        assignee_id: bob.id,
        team_id: team.id,
        repeat: null,
      }),
    );
    expect(data.tasks_created).toContainEqual(
      expect.objectContaining({
        title: "Private errand",
        repeat: { every: "week", weekdays: [1] },
        series_id: expect.any(Number),
      }),
    );
    expect(data.messages.map((m) => m.text)).toEqual(["Alice wrote this"]);
    expect(data.messages[0]).toMatchObject({ chat_id: team.id, reply_to_message_id: null });
    expect(data.audit).toEqual([
      {
        at: "2026-11-28T10:00:00.000Z",
        action: "consent.given",
        by_you: true,
        counts: { policy_version: PRIVACY_POLICY_VERSION },
      },
      {
        at: "2026-11-28T10:00:00.000Z",
        action: "export.made",
        by_you: true,
        counts: { messages: 1 },
      },
    ]);
    const text = uploads()[0]?.file.text ?? "";
    expect(text).not.toContain("Bob");
    expect(text).not.toContain("bobby");
  });

  it("includes settings, reminders, forms in progress, pending confirmations and past exports", async () => {
    await consent(alice);
    await h.bot.send(h.updates.privateText(alice, "/timezone Europe/Kyiv"));
    await h.bot.send(h.updates.privateText(alice, "/quiet 22:00-07:00"));
    await h.bot.send(h.updates.privateText(alice, "/digest me 08:30"));
    await h.bot.send(h.updates.groupText(team, bob, "hi"));
    await h.bot.send(
      h.updates.groupText(team, alice, "/newtask Call the bank @bobby tomorrow 10:00"),
    );
    await h.bot.send(h.updates.privateText(alice, "/newtask Water the plants every monday"));
    await h.bot.send(h.updates.privateText(alice, "/export"));
    h.bot.clock.advance(11 * 60_000);
    await h.bot.send(h.updates.groupText(team, alice, "/newtask"));
    await h.bot.send(h.updates.privateText(alice, "/delete"));

    await h.bot.send(h.updates.privateText(alice, "/export"));
    const data = exported();

    expect(data.user).toMatchObject({
      timezone: "Europe/Kyiv",
      quiet_hours: { start: "22:00", end: "07:00" },
      consent_version: PRIVACY_POLICY_VERSION,
      consent_prompted_version: PRIVACY_POLICY_VERSION,
      last_export_at: "2026-11-28T10:11:00.000Z",
    });
    expect(data.digest).toEqual({
      at: "08:30",
      timezone: "Europe/Kyiv",
      mention: false,
      last_sent_on: null,
    });
    const [bank, plants] = data.tasks_created as Array<Record<string, unknown>>;
    expect(bank).toMatchObject({
      title: "Call the bank",
      due_at: "2026-11-29T08:00:00.000Z",
      due_has_time: true,
      repeat_zone: null,
      card_message_id: expect.any(Number),
      creator_erased: false,
      assignee_erased: false,
      reminders: [
        {
          offset_minutes: 0,
          remind_at: "2026-11-29T08:00:00.000Z",
          state: "pending",
          done_at: null,
        },
      ],
    });
    expect(plants).toMatchObject({
      title: "Water the plants",
      due_has_time: false,
      repeat: { every: "week", weekdays: [1] },
      repeat_zone: "Europe/Kyiv",
      reminders: [],
    });
    expect(data.forms_in_progress).toEqual([
      {
        chat_id: team.id,
        form: "new-task",
        updated_at: "2026-11-28T10:11:00.000Z",
        answers: [{ at: "2026-11-28T10:11:00.000Z", text: "/newtask" }],
      },
    ]);
    expect(data.confirmations).toEqual([
      { action: "erase", payload: {}, expires_at: "2026-11-28T10:16:00.000Z" },
    ]);
    expect(
      (data.audit as Array<{ action: string; at: string }>)
        .filter((entry) => entry.action === "export.made")
        .map((entry) => entry.at),
    ).toEqual(["2026-11-28T10:00:00.000Z", "2026-11-28T10:11:00.000Z"]);
  });

  it("lists a form's answers as the person's own words only", () => {
    const update = (id: number, message: Record<string, unknown>) => ({
      returnValue: { update_id: id, message: { date: 1795860000, ...message } },
    });
    const state = {
      version: [0, 1],
      state: {
        "new-task": [
          {
            replay: {
              receive: [
                update(1, {
                  from: { id: alice.id, first_name: "Alice" },
                  text: "/task",
                  reply_to_message: { from: { id: bob.id, first_name: "Bob" }, text: "Bob's" },
                }),
                { returnValue: { ok: true } },
                update(2, { from: { id: bob.id, first_name: "Bob" }, text: "not hers" }),
                {
                  returnValue: {
                    update_id: 3,
                    callback_query: { from: { id: alice.id }, data: "nt:p:high" },
                  },
                },
              ],
            },
          },
        ],
      },
    };
    expect(formAnswers(state, alice.id)).toEqual([
      {
        form: "new-task",
        answers: [
          { at: new Date("2026-11-28T10:00:00Z"), text: "/task" },
          { at: null, button: "nt:p:high" },
        ],
      },
    ]);
  });

  it("allows one export per 10 minutes and says when the next one is possible", async () => {
    await h.bot.send(h.updates.privateText(alice, "/export"));
    h.bot.clock.advance(4 * 60_000);
    await h.bot.send(h.updates.privateText(alice, "/export"));

    expect(uploads()).toHaveLength(1);
    expect(h.telegram.textsTo(alice.id).at(-1)).toBe(
      "You can ask for one export every 10 minutes. Try again at 10:10 (in 6 min).",
    );

    h.bot.clock.advance(6 * 60_000);
    await h.bot.send(h.updates.privateText(alice, "/export"));
    expect(uploads()).toHaveLength(2);
  });

  it("gives the slot back when the upload fails, and tells the user", async () => {
    h.telegram.failNext("sendDocument", {
      error_code: 413,
      description: "Request Entity Too Large",
    });
    await h.bot.send(h.updates.privateText(alice, "/export"));
    expect(h.telegram.textsTo(alice.id).at(-1)).toBe(
      "Sorry, I could not prepare your export. Nothing was sent; please try /export again later.",
    );

    await h.bot.send(h.updates.privateText(alice, "/export"));
    expect(uploads()).toHaveLength(1);
  });

  it("in a group sends the file privately and tells the group only that", async () => {
    await h.bot.send(h.updates.privateText(alice, "/start"));
    await h.bot.send(h.updates.groupText(team, alice, "/export"));

    expect(h.telegram.textsTo(team.id)).toEqual(["I have answered you in our private chat."]);
    expect(uploads().map((u) => u.chatId)).toEqual([alice.id]);
    expect(h.telegram.callsOf("sendDocument").every((c) => c.payload.chat_id !== team.id)).toBe(
      true,
    );
  });

  it("in a group, for someone who never started the bot, asks them to start it and sends nothing", async () => {
    await h.bot.send(h.updates.groupText(team, carol, "/export"));

    expect(h.telegram.textsTo(team.id)).toEqual([
      "I can only send your data in a private chat: start me there first.",
    ]);
    expect(buttonsOf(h.telegram.lastMessageTo(team.id))).toEqual([
      { text: "Start a private chat", data: "https://t.me/task_tracker_test_bot?start=export" },
    ]);
    expect(uploads()).toEqual([]);
  });

  it("the deep link from the group starts the export", async () => {
    await h.bot.send(h.updates.privateText(carol, "/start export"));
    expect(uploads().map((u) => u.chatId)).toEqual([carol.id]);
  });

  it("streams an export of more messages than one read batch as one valid document", async () => {
    await consent(alice);
    // Each message is sealed for its own row, so they are recorded the way users write them.
    for (let i = 0; i < 1200; i++) {
      await h.bot.send(h.updates.groupText(team, alice, `message ${i}`));
    }
    h.telegram.clear();

    await h.bot.send(h.updates.privateText(alice, "/export"));
    const data = exported();
    expect(data.messages).toHaveLength(1200);
    expect(data.messages.map((m) => m.text)).toEqual(
      Array.from({ length: 1200 }, (_, i) => `message ${i}`),
    );
  }, 60_000);
});

describe("a key missing from the ring", () => {
  it("fails the export with a clear message and a log line naming the key, and keeps working", async () => {
    await consent(alice);
    await h.bot.send(h.updates.groupText(team, alice, "sealed with the old key"));
    const rotated = botWithoutTheOldKey();
    h.telegram.clear();

    await rotated.send(h.updates.privateText(alice, "/export"));

    expect(uploads()).toEqual([]);
    expect(h.telegram.textsTo(alice.id).at(-1)).toBe(
      "Sorry, I could not prepare your export. Nothing was sent; please try /export again later.",
    );
    const failure = rotated.logs.lines().find((line) => line.msg === "export failed");
    expect(JSON.stringify(failure)).toMatch(
      /encrypted with key k-[0-9a-f]{8}, which is not in ENCRYPTION_KEYS/,
    );

    await rotated.send(h.updates.privateText(alice, "/privacy"));
    expect(h.telegram.textsTo(alice.id).at(-1)).toContain("privacy notice");
  });

  it("answers an update that needs an unreadable name with an apology, logs the key, and goes on", async () => {
    await h.bot.send(h.updates.groupText(team, bob, "hi"));
    await h.bot.send(h.updates.groupText(team, alice, "/newtask Water the plants @bobby"));
    const rotated = botWithoutTheOldKey();
    h.telegram.clear();

    await rotated.send(h.updates.groupText(team, alice, "/tasks"));
    expect(h.telegram.textsTo(team.id)).toEqual([
      "Sorry, something went wrong on my side. Please try again.",
    ]);
    const failure = rotated.logs.lines().find((line) => line.msg === "update handler failed");
    expect(JSON.stringify(failure)).toMatch(
      /encrypted with key k-[0-9a-f]{8}, which is not in ENCRYPTION_KEYS/,
    );

    await rotated.send(h.updates.groupText(team, alice, "/privacy"));
    expect(h.telegram.textsTo(team.id).at(-1)).toContain("privacy notice");
  });
});
