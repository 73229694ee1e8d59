import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type FormButton, formButton } from "#bot/tasks/callbacks";
import { newTaskBody, repeatRuleSchema, taskChangesBody } from "#bot/tasks/contract";

const source = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), "utf8");
const importsOf = (text: string) =>
  [...text.matchAll(/(?:import|export)[^"';]*?from\s*["']([^"']+)["']/g)].map((m) => m[1]);

describe("the task contract the Mini App imports", () => {
  it("imports only zod and limits.ts, and limits.ts imports nothing", () => {
    expect(new Set(importsOf(source("bot/tasks/contract.ts")))).toEqual(
      new Set(["zod", "./limits.ts"]),
    );
    expect(importsOf(source("bot/tasks/limits.ts"))).toEqual([]);
  });

  it("reads a new task's body, dates as Date and reminders in order", () => {
    const parsed = newTaskBody.parse({
      title: " Water ",
      dueAt: "2026-12-24T15:00:00Z",
      reminders: [60, 0, 60],
      repeat: { every: "weekday" },
    });
    expect(parsed).toEqual({
      title: "Water",
      dueAt: new Date("2026-12-24T15:00:00Z"),
      reminders: [0, 60],
      repeat: { every: "weekday" },
    });
    expect(newTaskBody.safeParse({ title: "x", extra: 1 }).success).toBe(false);
    expect(taskChangesBody.safeParse({ status: "closed" }).success).toBe(false);
    expect(repeatRuleSchema.safeParse({ every: "month", day: 32 }).success).toBe(false);
  });
});

describe("the /newtask form's buttons", () => {
  it("keep the strings forms already on screen carry, and read them back", () => {
    const buttons: Array<[FormButton, string]> = [
      [{ step: "cancel" }, "nt:cancel"],
      [{ step: "skip" }, "nt:skip"],
      [{ step: "create" }, "nt:create"],
      [{ step: "assignee", value: "me" }, "nt:a:me"],
      [{ step: "assignee", value: "602" }, "nt:a:602"],
      [{ step: "due", value: "tomorrow" }, "nt:d:tomorrow"],
      [{ step: "reminders", value: "15" }, "nt:r:15"],
      [{ step: "reminders", value: "ok" }, "nt:r:ok"],
      [{ step: "repeat", value: "every monday" }, "nt:rp:every monday"],
      [{ step: "priority", value: "high" }, "nt:p:high"],
    ];
    for (const [button, data] of buttons) {
      expect(formButton.encode(button)).toBe(data);
      expect(formButton.decode(data)).toEqual(button);
      expect(formButton.match.test(data)).toBe(true);
    }
  });

  it("reads anything else as no button of the form, and refuses data over 64 bytes", () => {
    for (const data of ["nt:", "nt:x:1", "nt:rp:", "t:s:1:d", "ntcancel"]) {
      expect(formButton.decode(data)).toBeNull();
    }
    expect(() => formButton.encode({ step: "repeat", value: "x".repeat(60) })).toThrow(/64/);
  });
});
