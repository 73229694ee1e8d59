import { describe, expect, it } from "vitest";
import { fitMessage, visibleLength } from "#bot/lib/html";
import { cutText } from "#bot/lib/text";

describe("fitMessage", () => {
  const more = (omitted: string[]) => `…and ${omitted.length} more`;

  it("keeps every line when they fit, with head and tail around them", () => {
    expect(fitMessage({ head: ["<b>H</b>"], lines: ["a", "b"], tail: ["t"], more })).toBe(
      "<b>H</b>\na\nb\nt",
    );
  });

  it("keeps whole lines in order within the limit, counting what Telegram shows", () => {
    const lines = Array.from({ length: 10 }, (_, n) => `<i>${n}&amp;${"x".repeat(7)}</i>`);
    // Each line shows 9 characters: tags removed, &amp; one character.
    const text = fitMessage({ head: ["head"], lines, tail: ["tail"], more }, 51);
    expect(text).toBe(["head", ...lines.slice(0, 3), "…and 7 more", "tail"].join("\n"));
    expect(visibleLength(text)).toBeLessThanOrEqual(51);
  });
});

describe("cutText", () => {
  it("counts characters, not UTF-16 units, and never splits an emoji or a flag", () => {
    expect(cutText("ab🚀", 3)).toBe("ab🚀");
    expect(cutText("ab🚀cd", 3)).toBe("ab🚀…");
    // A flag is one grapheme of two characters: it goes whole or not at all.
    expect(cutText("ab🇺🇦cd", 3)).toBe("ab…");
    expect(cutText("ab🇺🇦cd", 4)).toBe("ab🇺🇦…");
  });
});
