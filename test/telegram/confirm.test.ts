import { describe, expect, it } from "vitest";
import {
  ERASE,
  offerConfirmation,
  PURGE,
  redeemConfirmation,
  SHORTEN_RETENTION,
} from "#bot/telegram/confirm";
import { FakeClock } from "#test/helpers/clock";
import { useTestDatabase } from "#test/helpers/db";

const db = useTestDatabase();
const ALICE = 1001;
const BOB = 1002;

/** The callback data of the offer's buttons, yes first. */
function buttonData(keyboard: Awaited<ReturnType<typeof offerConfirmation>>): [string, string] {
  const [row] = keyboard.inline_keyboard;
  const data = (row ?? []).map((button) => ("callback_data" in button ? button.callback_data : ""));
  return [data[0] ?? "", data[1] ?? ""];
}

async function offer(kind = ERASE, payload: Record<string, unknown> = {}, clock = new FakeClock()) {
  const keyboard = await offerConfirmation(db.sql, kind, {
    userId: ALICE,
    payload,
    now: clock.now(),
    yes: "🗑 Delete everything",
  });
  return { keyboard, clock };
}

const press = (kind: typeof ERASE, data: string, userId: number, clock: FakeClock) =>
  redeemConfirmation(db.sql, kind, { data, userId, now: clock.now() });

describe("one-time confirmations", () => {
  it("offers a yes and a Cancel button that carry the same stored token", async () => {
    const { keyboard } = await offer(PURGE, { expected: 4 });
    const [yes, no] = buttonData(keyboard);
    expect(keyboard.inline_keyboard[0]?.map((button) => button.text)).toEqual([
      "🗑 Delete everything",
      "Cancel",
    ]);
    expect(yes).toMatch(/^pg:y:[\w-]{16}$/);
    expect(no).toBe(yes.replace("pg:y:", "pg:n:"));
    const rows = await db.sql`
      select user_id, action, payload from confirmations where token = ${yes.slice(5)}
    `;
    expect(rows).toEqual([{ userId: ALICE, action: "purge", payload: { expected: 4 } }]);
  });

  it("gives the owner their payload and answer once; a second press is refused as used", async () => {
    const { keyboard, clock } = await offer(SHORTEN_RETENTION, { scope: "global", days: 7 });
    const [yes, no] = buttonData(keyboard);
    expect(await press(SHORTEN_RETENTION, yes, ALICE, clock)).toEqual({
      ok: true,
      answer: "yes",
      payload: { scope: "global", days: 7 },
    });
    expect(await press(SHORTEN_RETENTION, no, ALICE, clock)).toEqual({
      ok: false,
      reason: "unknown",
      text: "This confirmation was already used. Send /retention to start again.",
    });
  });

  it("reports a Cancel press as answer no, and uses the token up", async () => {
    const { keyboard, clock } = await offer();
    const [yes, no] = buttonData(keyboard);
    expect(await press(ERASE, no, ALICE, clock)).toMatchObject({ ok: true, answer: "no" });
    expect(await press(ERASE, yes, ALICE, clock)).toMatchObject({ ok: false, reason: "unknown" });
  });

  it("refuses someone else's press without spending the owner's button", async () => {
    const { keyboard, clock } = await offer();
    const [yes] = buttonData(keyboard);
    expect(await press(ERASE, yes, BOB, clock)).toEqual({
      ok: false,
      reason: "not_yours",
      text: "This button is not for you.",
    });
    expect(await press(ERASE, yes, ALICE, clock)).toMatchObject({ ok: true, answer: "yes" });
  });

  it("expires after 5 minutes and forgets the token", async () => {
    const { keyboard, clock } = await offer();
    const [yes] = buttonData(keyboard);
    clock.advance(5 * 60 * 1000);
    expect(await press(ERASE, yes, ALICE, clock)).toEqual({
      ok: false,
      reason: "expired",
      text: "This confirmation has expired (it is valid for 5 minutes). Send /delete again.",
    });
    const left = await db.sql`select 1 from confirmations where token = ${yes.slice(5)}`;
    expect(left).toHaveLength(0);
  });

  it("still works one second before the deadline", async () => {
    const { keyboard, clock } = await offer();
    const [yes] = buttonData(keyboard);
    clock.advance(5 * 60 * 1000 - 1000);
    expect(await press(ERASE, yes, ALICE, clock)).toMatchObject({ ok: true, answer: "yes" });
  });

  it("does not let one kind's token confirm another kind, nor malformed data anything", async () => {
    const { keyboard, clock } = await offer(PURGE, { expected: 1 });
    const [yes] = buttonData(keyboard);
    const token = yes.slice(5);
    expect(await press(ERASE, `er:y:${token}`, ALICE, clock)).toMatchObject({
      ok: false,
      reason: "unknown",
    });
    expect(await press(ERASE, yes, ALICE, clock)).toMatchObject({ ok: false, reason: "unknown" });
    expect(await press(PURGE, "pg:y:not-a-token", ALICE, clock)).toEqual({
      ok: false,
      reason: "unknown",
      text: "This confirmation was already used. Send /purge to start again.",
    });
    expect(await press(PURGE, yes, ALICE, clock)).toMatchObject({ ok: true, answer: "yes" });
  });
});
