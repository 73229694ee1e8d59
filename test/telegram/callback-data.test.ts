import { describe, expect, it } from "vitest";
import {
  type CallbackFamily,
  type ConsentPress,
  consentButton,
  eraseButton,
  MAX_CALLBACK_BYTES,
  purgeButton,
  shortenRetentionButton,
  snoozeButton,
  type TaskAction,
  taskButton,
} from "#bot/telegram/callback-data";

const bytes = (data: string) => Buffer.byteLength(data, "utf8");

/** The largest values each field accepts. */
const BIG_ID = 999_999_999_999_999;
const BIG_SMALL = 99_999;
const TOKEN = "AbCdEfGhIjKlMn-_";

const LONGEST_TASK_ACTIONS: TaskAction[] = [
  { kind: "status", taskId: BIG_ID, status: "done" },
  {
    kind: "list-status",
    taskId: BIG_ID,
    status: "open",
    list: { status: "done", page: BIG_SMALL },
  },
  { kind: "page", list: { status: "open", page: BIG_SMALL } },
  { kind: "skip", taskId: BIG_ID },
  { kind: "reminders", taskId: BIG_ID },
  { kind: "toggle-reminder", taskId: BIG_ID, offset: BIG_SMALL },
  { kind: "card", taskId: BIG_ID },
];

const LONGEST_CONSENT: ConsentPress = {
  op: "delete-stored",
  userId: Number.MAX_SAFE_INTEGER,
  policyVersion: 999_999,
  // The last second of the year 9999.
  issuedAt: 253_402_300_799_000,
};

const CONFIRM_FAMILIES: [string, CallbackFamily<{ answer: "yes" | "no"; token: string }>][] = [
  ["er", eraseButton],
  ["rt", shortenRetentionButton],
  ["pg", purgeButton],
];

describe("callback data", () => {
  it("fits the longest button of every family into Telegram's 64 bytes, and reads it back", () => {
    for (const action of LONGEST_TASK_ACTIONS) {
      const data = taskButton.encode(action);
      expect(bytes(data)).toBeLessThanOrEqual(MAX_CALLBACK_BYTES);
      expect(taskButton.decode(data)).toEqual(action);
    }
    for (const [, family] of CONFIRM_FAMILIES) {
      const data = family.encode({ answer: "yes", token: TOKEN });
      expect(bytes(data)).toBeLessThanOrEqual(MAX_CALLBACK_BYTES);
      expect(family.decode(data)).toEqual({ answer: "yes", token: TOKEN });
    }
    const snooze = snoozeButton.encode({ until: "tomorrow", reminderId: BIG_ID });
    expect(bytes(snooze)).toBeLessThanOrEqual(MAX_CALLBACK_BYTES);
    expect(snoozeButton.decode(snooze)).toEqual({ until: "tomorrow", reminderId: BIG_ID });
    const consent = consentButton.encode(LONGEST_CONSENT);
    expect(bytes(consent)).toBeLessThanOrEqual(MAX_CALLBACK_BYTES);
    expect(consentButton.decode(consent)).toEqual(LONGEST_CONSENT);
  });

  it("keeps the strings of buttons already sent, so they still work after a deploy", () => {
    expect(taskButton.encode({ kind: "status", taskId: 42, status: "done" })).toBe("t:s:42:d");
    expect(
      taskButton.encode({
        kind: "list-status",
        taskId: 7,
        status: "open",
        list: { status: "done", page: 2 },
      }),
    ).toBe("t:ls:7:o:d:2");
    expect(taskButton.encode({ kind: "page", list: { status: "open", page: 0 } })).toBe("t:p:o:0");
    expect(taskButton.encode({ kind: "skip", taskId: 5 })).toBe("t:k:5");
    expect(taskButton.encode({ kind: "reminders", taskId: 5 })).toBe("t:r:5");
    expect(taskButton.encode({ kind: "toggle-reminder", taskId: 5, offset: 60 })).toBe("t:o:5:60");
    expect(taskButton.encode({ kind: "card", taskId: 5 })).toBe("t:c:5");
    expect(eraseButton.encode({ answer: "yes", token: TOKEN })).toBe(`er:y:${TOKEN}`);
    expect(shortenRetentionButton.encode({ answer: "no", token: TOKEN })).toBe(`rt:n:${TOKEN}`);
    expect(purgeButton.encode({ answer: "yes", token: TOKEN })).toBe(`pg:y:${TOKEN}`);
    expect(snoozeButton.encode({ until: "hour", reminderId: 9 })).toBe("rm:z:9");
    expect(snoozeButton.encode({ until: "tomorrow", reminderId: 9 })).toBe("rm:t:9");
    // 1_800_000_000 seconds in base 36.
    expect(
      consentButton.encode({
        op: "give",
        userId: 1001,
        policyVersion: 2,
        issuedAt: 1_800_000_000_123,
      }),
    ).toBe(`cs:g:1001:2:${(1_800_000_000).toString(36)}`);
  });

  it("refuses malformed, forged or foreign data with null", () => {
    const malformed = [
      "",
      "t:",
      "t:s:abc:d",
      "t:s:42:x",
      "t:s:42:d:extra",
      "t:s:1234567890123456:d",
      "t:p:o:123456",
      "t:z:5",
      "nt:title",
      "er:y:short",
      `er:x:${TOKEN}`,
      `er:y:${TOKEN}x`,
      `er:y:${TOKEN.slice(0, 15)}!`,
      "cs:x:1:2:abc",
      "cs:g:1:2:ABC",
      "cs:g:-1:2:abc",
      "rm:x:9",
      "rm:z:",
    ];
    for (const data of malformed) {
      expect(taskButton.decode(data), data).toBeNull();
      expect(eraseButton.decode(data), data).toBeNull();
      expect(consentButton.decode(data), data).toBeNull();
      expect(snoozeButton.decode(data), data).toBeNull();
    }
  });

  it("reads only its own family: one family's button is null to every other", () => {
    const erase = eraseButton.encode({ answer: "yes", token: TOKEN });
    expect(purgeButton.decode(erase)).toBeNull();
    expect(shortenRetentionButton.decode(erase)).toBeNull();
    expect(taskButton.decode(erase)).toBeNull();
    expect(eraseButton.match.test(erase)).toBe(true);
    expect(purgeButton.match.test(erase)).toBe(false);
    expect(taskButton.match.test("t:c:5")).toBe(true);
    expect(taskButton.match.test("tx:c:5")).toBe(false);
  });

  it("will not encode a field the decoder could not read back", () => {
    expect(() => taskButton.encode({ kind: "card", taskId: -1 })).toThrow(RangeError);
    expect(() => taskButton.encode({ kind: "card", taskId: 1.5 })).toThrow(RangeError);
    expect(() => taskButton.encode({ kind: "card", taskId: 1_000_000_000_000_000 })).toThrow(
      RangeError,
    );
    expect(() =>
      taskButton.encode({ kind: "page", list: { status: "open", page: 100_000 } }),
    ).toThrow(RangeError);
    expect(() => eraseButton.encode({ answer: "yes", token: "short" })).toThrow(RangeError);
  });
});
