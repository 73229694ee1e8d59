import { DateTime } from "luxon";
import { describe, expect, it } from "vitest";
import { parseDue } from "#bot/tasks/due";
import {
  DESCRIPTION_MAX,
  PRIORITIES,
  parseOneLineTask,
  splitMessageIntoTask,
  TITLE_MAX,
  validateDescription,
  validateTitle,
} from "#bot/tasks/parse";

const NO_TITLE = "The task needs a title.";
const TITLE_TOO_LONG = "The title is too long (at most 200 characters).";
const DESCRIPTION_TOO_LONG = "The description is too long (at most 4000 characters).";
const PAST = "That date is in the past.";
const TOO_FAR = "That date is too far ahead.";

const KYIV = "Europe/Kyiv";
// Saturday, 12:00 in Kyiv.
const SATURDAY = new Date("2026-11-28T10:00:00Z");

function wholeDay(date: string) {
  return { at: DateTime.fromISO(date, { zone: KYIV }).toJSDate(), hasTime: false };
}

function timed(wallTime: string) {
  return { at: DateTime.fromISO(wallTime, { zone: KYIV }).toJSDate(), hasTime: true };
}

function parse(text: string) {
  return parseOneLineTask(text, SATURDAY, KYIV);
}

describe("parseOneLineTask", () => {
  it("keeps a plain line as the title", () => {
    expect(parse("Fix the login page")).toEqual({
      ok: true,
      task: { title: "Fix the login page" },
    });
  });

  it("collapses whitespace in the title", () => {
    expect(parse("  Fix   the\tlogin \n page  ")).toEqual({
      ok: true,
      task: { title: "Fix the login page" },
    });
  });

  describe("the assignee", () => {
    it("takes the first @username out of the title, without the @", () => {
      expect(parse("Ask @alice_b about the logs")).toEqual({
        ok: true,
        task: { title: "Ask about the logs", assigneeUsername: "alice_b" },
      });
    });

    it("leaves later mentions in the title", () => {
      expect(parse("@alice_b review with @bob_smith")).toEqual({
        ok: true,
        task: { title: "review with @bob_smith", assigneeUsername: "alice_b" },
      });
    });

    it("keeps the username as written", () => {
      expect(parse("Deploy @Alice_B")).toEqual({
        ok: true,
        task: { title: "Deploy", assigneeUsername: "Alice_B" },
      });
    });

    it("accepts usernames of 5 and of 32 characters", () => {
      const longest = `a${"b".repeat(31)}`;
      expect(parse(`Deploy @alice @${longest}`)).toEqual({
        ok: true,
        task: { title: `Deploy @${longest}`, assigneeUsername: "alice" },
      });
      expect(parse(`Deploy @${longest}`)).toEqual({
        ok: true,
        task: { title: "Deploy", assigneeUsername: longest },
      });
    });

    it.each([
      ["@bob", "too short"],
      [`@a${"b".repeat(32)}`, "too long"],
      ["@1alice", "starting with a digit"],
      ["@alice-b", "with a dash"],
      ["@alice,", "with punctuation attached"],
      ["mail@example.com", "inside an email address"],
    ])("leaves %s in the title (%s)", (token) => {
      expect(parse(`Write to ${token}`)).toEqual({
        ok: true,
        task: { title: `Write to ${token}` },
      });
    });
  });

  describe("the priority", () => {
    it.each(PRIORITIES)("takes !%s out of the title", (priority) => {
      expect(parse(`Fix the login page !${priority}`)).toEqual({
        ok: true,
        task: { title: "Fix the login page", priority },
      });
    });

    it("reads priority tokens in any case and in any position", () => {
      expect(parse("!HIGH Fix the login page")).toEqual({
        ok: true,
        task: { title: "Fix the login page", priority: "high" },
      });
      expect(parse("Fix !Low the login page")).toEqual({
        ok: true,
        task: { title: "Fix the login page", priority: "low" },
      });
    });

    it("keeps the last priority when several are given", () => {
      expect(parse("Fix the login page !low !high")).toEqual({
        ok: true,
        task: { title: "Fix the login page", priority: "high" },
      });
    });

    it("leaves !urgent and other words with ! in the title", () => {
      expect(parse("Fix the login page !urgent")).toEqual({
        ok: true,
        task: { title: "Fix the login page !urgent" },
      });
      expect(parse("Say hi!high")).toEqual({ ok: true, task: { title: "Say hi!high" } });
    });
  });

  describe("the due date", () => {
    it("takes a trailing due phrase out of the title", () => {
      expect(parse("Fix the login page tomorrow")).toEqual({
        ok: true,
        task: { title: "Fix the login page", due: wholeDay("2026-11-29") },
      });
    });

    it("takes the little word before the date with it", () => {
      expect(parse("Call mom on friday")).toEqual({
        ok: true,
        task: { title: "Call mom", due: wholeDay("2026-12-04") },
      });
      expect(parse("Send the report by fri")).toEqual({
        ok: true,
        task: { title: "Send the report", due: wholeDay("2026-12-04") },
      });
      expect(parse("Tax return due 24 Dec")).toEqual({
        ok: true,
        task: { title: "Tax return", due: wholeDay("2026-12-24") },
      });
    });

    it.each([
      ["Ship it 2026-12-24 15:00", "Ship it", timed("2026-12-24T15:00")],
      ["Renew passport in 3 days", "Renew passport", wholeDay("2026-12-01")],
      ["Standup next friday 17:30", "Standup", timed("2026-12-04T17:30")],
      ["Gift Dec 24 3pm", "Gift", timed("2026-12-24T15:00")],
      ["Water plants tomorrow 9:00", "Water plants", timed("2026-11-29T09:00")],
      ["Demo friday 17:30", "Demo", timed("2026-12-04T17:30")],
      ["Check oven in 2 hours and 30 minutes", "Check oven", timed("2026-11-28T14:30")],
      ["Review today", "Review", wholeDay("2026-11-28")],
    ])("takes the longest trailing date from %j", (text, title, due) => {
      expect(parse(text)).toEqual({ ok: true, task: { title, due } });
    });

    it("leaves dates in the middle of the title alone", () => {
      expect(parse("Plan March release")).toEqual({
        ok: true,
        task: { title: "Plan March release" },
      });
      expect(parse("Friday review notes")).toEqual({
        ok: true,
        task: { title: "Friday review notes" },
      });
    });

    it("takes a trailing time of day", () => {
      expect(parse("Lunch at noon")).toEqual({
        ok: true,
        task: { title: "Lunch", due: timed("2026-11-28T12:00") },
      });
      expect(parse("Call the bank at 15:30")).toEqual({
        ok: true,
        task: { title: "Call the bank", due: timed("2026-11-28T15:30") },
      });
    });

    it("leaves a trailing hour that could be morning or evening in the title", () => {
      expect(parse("Meet at 5")).toEqual({ ok: true, task: { title: "Meet at 5" } });
    });

    it("leaves numbers that are not dates in the title", () => {
      for (const title of ["Read chapter 5", "Call 911", "Release v2.0", "Read 1984"]) {
        expect(parse(title)).toEqual({ ok: true, task: { title } });
      }
    });

    it("leaves a vague trailing month in the title", () => {
      expect(parse("Release in March")).toEqual({ ok: true, task: { title: "Release in March" } });
    });

    it("does not read a lone 'sun', 'sat' or 'wed' at the end as a weekday", () => {
      expect(parse("Lie in the sun")).toEqual({ ok: true, task: { title: "Lie in the sun" } });
      expect(parse("Party on sat")).toEqual({
        ok: true,
        task: { title: "Party", due: wholeDay("2026-11-28") },
      });
    });

    it("says so when the trailing date is in the past", () => {
      expect(parse("Pay rent yesterday")).toEqual({ ok: false, reason: PAST });
      expect(parse("Pay rent 2026-11-01")).toEqual({ ok: false, reason: PAST });
    });

    it("says so when the trailing date is too far ahead", () => {
      expect(parse("Renew lease 2040-01-01")).toEqual({ ok: false, reason: TOO_FAR });
    });
  });

  describe("combinations", () => {
    it("reads a date that ends the line once mention and priority are out", () => {
      expect(parse("Fix the login page @alice_b tomorrow !high")).toEqual({
        ok: true,
        task: {
          title: "Fix the login page",
          assigneeUsername: "alice_b",
          due: wholeDay("2026-11-29"),
          priority: "high",
        },
      });
    });

    it("reads all three in any order after the title", () => {
      expect(parse("Fix the login page !low friday 17:30 @alice_b")).toEqual({
        ok: true,
        task: {
          title: "Fix the login page",
          assigneeUsername: "alice_b",
          due: timed("2026-12-04T17:30"),
          priority: "low",
        },
      });
    });

    it("reads a mention with a date", () => {
      expect(parse("@alice_b Call mom on friday")).toEqual({
        ok: true,
        task: { title: "Call mom", assigneeUsername: "alice_b", due: wholeDay("2026-12-04") },
      });
    });

    it("reads a priority with a date", () => {
      expect(parse("Call mom !normal in 3 days")).toEqual({
        ok: true,
        task: { title: "Call mom", due: wholeDay("2026-12-01"), priority: "normal" },
      });
    });
  });

  describe("unicode titles", () => {
    it("keeps Cyrillic and emoji in the title", () => {
      expect(parse("🎉 Купити торт 🎂 @alice_b friday")).toEqual({
        ok: true,
        task: {
          title: "🎉 Купити торт 🎂",
          assigneeUsername: "alice_b",
          due: wholeDay("2026-12-04"),
        },
      });
    });

    it("counts an emoji as one character", () => {
      const title = "🎉".repeat(TITLE_MAX);
      expect(parse(title)).toEqual({ ok: true, task: { title } });
    });
  });

  describe("rejections", () => {
    it.each([[""], ["   "], ["@alice_b !high"], ["tomorrow"], ["@alice_b on friday"]])(
      "asks for a title when %j leaves none",
      (text) => {
        expect(parse(text)).toEqual({ ok: false, reason: NO_TITLE });
      },
    );

    it("refuses a title longer than 200 characters", () => {
      expect(parse(`${"a".repeat(TITLE_MAX + 1)} tomorrow`)).toEqual({
        ok: false,
        reason: TITLE_TOO_LONG,
      });
      expect(parse(`${"a".repeat(TITLE_MAX)} tomorrow`)).toEqual({
        ok: true,
        task: { title: "a".repeat(TITLE_MAX), due: wholeDay("2026-11-29") },
      });
    });
  });
});

describe("splitMessageIntoTask", () => {
  const codePoints = (text: string) => [...text].length;

  it("uses a short message as the title, with no description", () => {
    expect(splitMessageIntoTask("  Buy milk \n")).toEqual({ title: "Buy milk", description: null });
  });

  it("turns newlines into spaces in the title", () => {
    expect(splitMessageIntoTask("Buy milk\nand\n\nbread")).toEqual({
      title: "Buy milk and bread",
      description: null,
    });
  });

  it("keeps a message of exactly 200 characters whole", () => {
    const text = "a".repeat(TITLE_MAX);
    expect(splitMessageIntoTask(text)).toEqual({ title: text, description: null });
  });

  it("cuts a long message at the last space and keeps it all in the description", () => {
    const text = `${"word ".repeat(60)}end`;
    const { title, description } = splitMessageIntoTask(text);
    expect(title).toBe(`${"word ".repeat(39)}word…`);
    expect(codePoints(title)).toBeLessThanOrEqual(TITLE_MAX);
    expect(description).toBe(text);
  });

  it("cuts mid-word when no space is within the last 40 characters", () => {
    const text = `Intro ${"x".repeat(300)}`;
    const { title, description } = splitMessageIntoTask(text);
    expect(title).toBe(`Intro ${"x".repeat(TITLE_MAX - 1 - 6)}…`);
    expect(codePoints(title)).toBe(TITLE_MAX);
    expect(description).toBe(text);
  });

  it("cuts a message with no whitespace at 199 characters plus the ellipsis", () => {
    const text = "y".repeat(250);
    expect(splitMessageIntoTask(text)).toEqual({ title: `${"y".repeat(199)}…`, description: text });
  });

  it("keeps the original lines in the description when it cuts", () => {
    const text = `Release notes\n${"- fixed a bug\n".repeat(20)}`;
    const { title, description } = splitMessageIntoTask(text);
    expect(title.startsWith("Release notes - fixed a bug - fixed")).toBe(true);
    expect(title.endsWith("…")).toBe(true);
    expect(title).not.toContain("\n");
    expect(description).toBe(text.trim());
  });

  it("caps the description at 4000 characters", () => {
    const text = "z ".repeat(3000);
    const { description } = splitMessageIntoTask(text);
    expect(description).toBe(text.trim().slice(0, DESCRIPTION_MAX));
  });

  it("counts emoji as one character and never splits one", () => {
    const text = "🎉".repeat(250);
    const { title } = splitMessageIntoTask(text);
    expect(title).toBe(`${"🎉".repeat(199)}…`);
  });

  it("never splits a flag, which is two code points", () => {
    const text = "🇺🇦".repeat(150);
    const { title } = splitMessageIntoTask(text);
    expect(title).toBe(`${"🇺🇦".repeat(99)}…`);
  });

  it("cuts Cyrillic text at a word", () => {
    const text = "Купити молоко і хліб. ".repeat(20).trim();
    const { title, description } = splitMessageIntoTask(text);
    expect(codePoints(title)).toBeLessThanOrEqual(TITLE_MAX);
    expect(title).toMatch(/^Купити молоко і хліб\. .* \S+…$/u);
    expect(description).toBe(text);
  });
});

describe("validateTitle", () => {
  it("trims and collapses whitespace", () => {
    expect(validateTitle("  Fix\nthe   bug ")).toEqual({ ok: true, title: "Fix the bug" });
  });

  it("asks for a title when it is empty", () => {
    expect(validateTitle("")).toEqual({ ok: false, reason: NO_TITLE });
    expect(validateTitle(" \n ")).toEqual({ ok: false, reason: NO_TITLE });
  });

  it("accepts 200 characters and refuses 201", () => {
    expect(validateTitle("a".repeat(200))).toEqual({ ok: true, title: "a".repeat(200) });
    expect(validateTitle("a".repeat(201))).toEqual({ ok: false, reason: TITLE_TOO_LONG });
  });

  it("counts emoji and Cyrillic letters as one character each", () => {
    expect(validateTitle("🎉".repeat(200))).toEqual({ ok: true, title: "🎉".repeat(200) });
    expect(validateTitle("ж".repeat(201))).toEqual({ ok: false, reason: TITLE_TOO_LONG });
  });
});

describe("validateDescription", () => {
  it("trims the description and keeps its lines", () => {
    expect(validateDescription("\n Step 1\nStep 2 \n")).toEqual({
      ok: true,
      description: "Step 1\nStep 2",
    });
  });

  it("accepts 4000 characters and refuses 4001", () => {
    expect(validateDescription("d".repeat(4000))).toEqual({
      ok: true,
      description: "d".repeat(4000),
    });
    expect(validateDescription("d".repeat(4001))).toEqual({
      ok: false,
      reason: DESCRIPTION_TOO_LONG,
    });
  });

  it("counts emoji as one character each", () => {
    expect(validateDescription("🎉".repeat(4000)).ok).toBe(true);
  });
});

describe("the work per line is bounded", () => {
  /** parseOneLineTask with a due reader that counts its calls. */
  function parseCounting(text: string) {
    let calls = 0;
    const result = parseOneLineTask(text, SATURDAY, KYIV, (...args) => {
      calls++;
      return parseDue(...args);
    });
    return { result, calls };
  }

  it("reads a 4,096-character line full of “every” with at most six date-parser calls", () => {
    const words = ["every", "each", "daily", "weekly", "monthly", "weekdays"];
    let line = "Check";
    for (let i = 0; line.length < 4090; i++) line += ` ${words[i % words.length]} drawer`;
    line = line.slice(0, 4096);
    const { result, calls } = parseCounting(line);
    expect(result).toEqual({
      ok: false,
      reason: "The title is too long (at most 200 characters).",
    });
    expect(calls).toBeLessThanOrEqual(6);
  });

  it("reads a rule and a due date before it with at most six date-parser calls", () => {
    const { result, calls } = parseCounting("Pay rent dec 1 every month every day every week");
    expect(result.ok && result.task.repeat?.rule).toEqual({ every: "days", days: 7, from: "due" });
    expect(calls).toBeLessThanOrEqual(6);
  });

  it("reads a rule only from the last 16 words", () => {
    const longest = "every mon and tue and wed and thu and fri and sat at 9:00";
    expect(parse(`Standup ${longest}`)).toMatchObject({
      ok: true,
      task: { title: "Standup", repeat: { time: { hour: 9, minute: 0 } } },
    });
    const tooLong = `every ${Array(16).fill("mon").join(" and ")}`;
    const read = parse(`Standup ${tooLong}`);
    expect(read.ok && read.task.repeat).toBeUndefined();
  });

  it("says so when the date before a rule is in the past", () => {
    expect(parse("Pay rent 1970-01-05 monthly")).toEqual({ ok: false, reason: PAST });
  });
});
