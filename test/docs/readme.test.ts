import { readdirSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { allCommands } from "#bot/telegram/bot";

const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
const botDir = new URL("../../bot/", import.meta.url);

/** Every command a handler answers, menu or not (the admins' are not in the menu). */
function handledCommands(): string[] {
  const files = readdirSync(botDir, { recursive: true, encoding: "utf8" }).filter((file) =>
    file.endsWith(".ts"),
  );
  const names = files.flatMap((file) =>
    [...readFileSync(new URL(file, botDir), "utf8").matchAll(/\.command\("([a-z_]+)"/g)].map(
      (match) => match[1] ?? "",
    ),
  );
  return [...new Set([...names, ...allCommands.map(({ command }) => command)])].sort();
}

describe("the README", () => {
  it("lists every command the bot answers in its Commands table", () => {
    const table = readme.slice(readme.indexOf("## Commands"), readme.indexOf("## Privacy"));
    const commands = handledCommands();
    expect(commands).toContain("purge");
    const missing = commands
      .map((command) => `/${command}`)
      .filter((command) => !new RegExp(`\`${command}[\\s\`,]`).test(table));
    expect(missing).toEqual([]);
  });

  it("stays a short entry point (about 8 KB); the rest lives in docs/", () => {
    expect(Buffer.byteLength(readme, "utf8")).toBeLessThan(9 * 1024);
  });
});
