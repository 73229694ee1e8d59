import { describe, expect, it } from "vitest";
import { parseTelegramHtml } from "#bot/sandbox/emulator/rules";
import { renderEntities } from "#bot/sandbox/messages";

function rendered(html: string): string {
  const parsed = parseTelegramHtml(html);
  if (!parsed.ok) throw new Error(parsed.description);
  return renderEntities(parsed.value.text, parsed.value.entities);
}

describe("a message's HTML on the sandbox page", () => {
  it("keeps Telegram's tags, nested as sent", () => {
    expect(rendered("<b>Due <i>today</i></b> &amp; <code>x&lt;y</code>")).toBe(
      "<b>Due <i>today</i></b> &amp; <code>x&lt;y</code>",
    );
    expect(rendered('<span class="tg-spoiler">secret</span> <s>old</s> <u>u</u>')).toBe(
      '<span class="tg-spoiler">secret</span> <s>old</s> <u>u</u>',
    );
  });

  it("marks a date_time entity with its moment and format, for the page to show locally", () => {
    expect(rendered('due <tg-time unix="1796205600" format="wdt">Wed 10:00 (UTC)</tg-time>')).toBe(
      'due <time datetime="2026-12-02T10:00:00.000Z" data-format="wdt">Wed 10:00 (UTC)</time>',
    );
  });

  it("escapes a person's text, so nothing they type becomes markup", () => {
    expect(renderEntities('<img src=x onerror="alert(1)"> & co', [])).toBe(
      "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; &amp; co",
    );
  });

  it("keeps web and Telegram links and drops any other scheme's link, keeping its text", () => {
    expect(rendered('<a href="https://t.me/bot?startapp=x&amp;y">open</a>')).toBe(
      '<a href="https://t.me/bot?startapp=x&amp;y">open</a>',
    );
    expect(rendered('<a href="javascript:alert(1)">click</a>')).toBe("click");
  });

  it("counts offsets in UTF-16 code units, as Telegram does, around emoji", () => {
    expect(rendered("✅ <b>Ship 🚀 it</b> now")).toBe("✅ <b>Ship 🚀 it</b> now");
  });
});
