import { describe, expect, it, vi } from "vitest";
import { createTestBot, type TestBot, useBotHarness } from "#test/helpers/bot";
import { buttonsOf, pressOn } from "#test/helpers/buttons";
import { alice } from "#test/helpers/updates";

const h = useBotHarness();

// The bot's clock starts at 2026-11-28T10:00Z (UTC users): "tomorrow 9:00" is 2026-11-29T09:00Z.
const NINE = new Date("2026-11-29T09:00:00Z");
const THREE_PM = new Date("2026-11-29T15:00:00Z");

const remindersTo = (chatId: number) =>
  h.telegram.textsTo(chatId).filter((text) => text.startsWith("⏰"));

/** The service's own delivery, as start() runs it: the reminder timer and the outbox sender. */
async function startDelivery(bot: TestBot = h.bot): Promise<void> {
  await bot.app.outbox.start();
  await bot.app.reminderTimer.start();
}

async function newTask(text: string, bot: TestBot = h.bot): Promise<void> {
  await bot.send(h.updates.privateText(alice, `/newtask ${text}`));
}

async function reminderStates() {
  return h.sql<{ state: string; doneAt: Date | null }[]>`
    select state, done_at from reminders order by remind_at`;
}

describe("the reminder timer", () => {
  it("sends a reminder once the clock reaches its moment, not before, without being asked", async () => {
    await newTask("Call the bank tomorrow 9:00");
    h.telegram.clear();
    await startDelivery();
    expect(await h.bot.app.reminderTimer.wake()).toEqual(NINE);

    h.bot.clock.set(new Date(NINE.getTime() - 1000));
    expect(await h.bot.app.reminderTimer.wake()).toEqual(NINE);
    expect(await reminderStates()).toEqual([{ state: "pending", doneAt: null }]);
    expect(remindersTo(alice.id)).toEqual([]);

    // No wake: the timer naps at most until the moment it waits for, then reads the clock.
    h.bot.clock.set(NINE);
    await vi.waitFor(() => expect(remindersTo(alice.id)).toHaveLength(1), { timeout: 5000 });
    expect(remindersTo(alice.id)[0]).toContain("Call the bank");
    expect(buttonsOf(h.telegram.lastMessageTo(alice.id)).map((b) => b.text)).toEqual([
      "✓ Done",
      "Snooze 1 h",
      "Tomorrow",
    ]);
    expect(await reminderStates()).toEqual([{ state: "sent", doneAt: NINE }]);
    expect(await h.bot.app.reminderTimer.wake()).toBeNull();
    expect(remindersTo(alice.id)).toHaveLength(1);
  });

  it("is re-armed when another instance adds an earlier reminder, and sends each at its own moment", async () => {
    await newTask("Call the bank tomorrow 15:00");
    await startDelivery();
    expect(await h.bot.app.reminderTimer.wake()).toEqual(THREE_PM);

    const other = createTestBot({ sql: h.sql, telegram: h.telegram, clock: h.bot.clock });
    await newTask("Call the plumber tomorrow 9:00", other);
    h.telegram.clear();
    // Told by the database (LISTEN/NOTIFY), not by the test.
    await vi.waitFor(() => expect(h.bot.app.reminderTimer.armedFor()).toEqual(NINE));

    h.bot.clock.set(NINE);
    expect(await h.bot.app.reminderTimer.wake()).toEqual(THREE_PM);
    await vi.waitFor(() => expect(remindersTo(alice.id)).toHaveLength(1));
    expect(remindersTo(alice.id)[0]).toContain("Call the plumber");

    h.bot.clock.set(THREE_PM);
    expect(await h.bot.app.reminderTimer.wake()).toBeNull();
    await vi.waitFor(() => expect(remindersTo(alice.id)).toHaveLength(2));
    expect(remindersTo(alice.id)[1]).toContain("Call the bank");
  });

  it("is re-armed by a snooze, and the reminder comes back an hour later", async () => {
    await newTask("Call the bank tomorrow 9:00");
    h.telegram.clear();
    await startDelivery();
    h.bot.clock.set(NINE);
    expect(await h.bot.app.reminderTimer.wake()).toBeNull();
    await vi.waitFor(() => expect(remindersTo(alice.id)).toHaveLength(1));

    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "Snooze 1 h"));
    const TEN = new Date(NINE.getTime() + 60 * 60_000);
    await vi.waitFor(() => expect(h.bot.app.reminderTimer.armedFor()).toEqual(TEN));
    h.bot.clock.set(TEN);
    expect(await h.bot.app.reminderTimer.wake()).toBeNull();
    await vi.waitFor(() => expect(remindersTo(alice.id)).toHaveLength(2));
  });

  it("sends a reminder once when two instances reach its moment together", async () => {
    await newTask("Call the bank tomorrow 9:00");
    h.telegram.clear();
    const other = createTestBot({ sql: h.sql, telegram: h.telegram, clock: h.bot.clock });
    try {
      await startDelivery();
      await startDelivery(other);
      h.bot.clock.set(NINE);
      await Promise.all([h.bot.app.reminderTimer.wake(), other.app.reminderTimer.wake()]);
      await vi.waitFor(async () => {
        expect(await h.sql`select id from outbox`).toEqual([]);
        expect(await reminderStates()).toEqual([{ state: "sent", doneAt: NINE }]);
      });
      expect(remindersTo(alice.id)).toHaveLength(1);
    } finally {
      await other.app.reminderTimer.stop();
      await other.app.outbox.stop();
    }
  });
});
