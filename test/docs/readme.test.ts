import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allCommands } from "#bot/telegram/bot";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

describe("the README", () => {
  it("lists every command the bot offers in its Commands table", () => {
    const table = readme.slice(readme.indexOf("## Commands"), readme.indexOf("## Privacy"));
    const missing = allCommands
      .map(({ command }) => `/${command}`)
      .filter((command) => !new RegExp(`\`${command}[\\s\`,]`).test(table));
    expect(missing).toEqual([]);
  });

  it("stays a short entry point (about 8 KB); the rest lives in docs/", () => {
    expect(Buffer.byteLength(readme, "utf8")).toBeLessThan(9 * 1024);
  });
});
