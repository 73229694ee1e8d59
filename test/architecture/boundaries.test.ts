import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  COMPOSITION_ROOTS,
  folderCycles,
  type Import,
  importsOf,
  roomOf,
} from "../helpers/imports.ts";

/**
 * The rooms of bot/ and who may enter which, checked on the source itself:
 * - no cycle between folders (a capability never imports a folder that imports it back);
 * - lib/ is domain-free: it imports no other folder of bot/;
 * - only a capability's core (core.ts or core/) talks to db/: commands, conversations,
 *   routes and rendering go through the core, not even for a type.
 * The composition roots wire every capability together and stand outside the graph.
 */

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CAPABILITIES = [
  "tasks",
  "privacy",
  "retention",
  "reminders",
  "digests",
  "teams",
  "welcome",
  "ingest",
];

function sourceFiles(dir: string, extensions = [".ts"]): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(path, extensions);
    return extensions.some((extension) => entry.name.endsWith(extension)) ? [path] : [];
  });
}

const isCore = (path: string) => /^bot\/[a-z-]+\/(?:.*\/)?core(?:\.ts|\/)/.test(path);

const allImports = [...sourceFiles("bot"), ...sourceFiles("db")].flatMap((file) =>
  importsOf(file, readFileSync(join(ROOT, file), "utf8")),
);
const describeImports = (list: readonly Import[]) =>
  list.map(({ from, to }) => `${from} → ${relative(".", to)}`);

describe("the service's folders", () => {
  it("import each other without a cycle", () => {
    const cycles = folderCycles(allImports);
    const closing = cycles.map((rooms) =>
      describeImports(
        allImports.filter(
          ({ from, to }) =>
            !COMPOSITION_ROOTS.has(from) &&
            roomOf(from) !== roomOf(to) &&
            rooms.includes(roomOf(from) ?? "") &&
            rooms.includes(roomOf(to) ?? ""),
        ),
      ),
    );
    expect(closing).toEqual([]);
  });

  it("keep lib/ free of any capability", () => {
    const leaks = allImports.filter(
      ({ from, to }) =>
        from.startsWith("bot/lib/") && to.startsWith("bot/") && !to.startsWith("bot/lib/"),
    );
    expect(describeImports(leaks)).toEqual([]);
  });

  it("let only a capability's core reach db/", () => {
    const leaks = allImports.filter(
      ({ from, to }) =>
        CAPABILITIES.includes(roomOf(from) ?? "") && !isCore(from) && to.startsWith("db/"),
    );
    expect(describeImports(leaks)).toEqual([]);
  });
});

describe("the Mini App", () => {
  const appFiles = sourceFiles("miniapp/src", [".ts", ".tsx"]);
  const serviceImports = appFiles.flatMap((file) =>
    [...readFileSync(join(ROOT, file), "utf8").matchAll(/^import (type )?[^;]*?from "([^"]+)";/gms)]
      .map((match) => ({ file, typeOnly: match[1] !== undefined, target: match[2] ?? "" }))
      .filter(({ target }) => /^(?:\.\.\/)+bot\//.test(target)),
  );

  it("shares the service's contracts instead of copying them", () => {
    const api = readFileSync(join(ROOT, "miniapp/src/api.ts"), "utf8");
    for (const contract of ["tasks", "privacy", "teams", "retention"]) {
      expect(api).toContain(`from "../../bot/${contract}/contract.ts"`);
    }
  });

  it("takes only types from the service, or values from modules that import nothing", () => {
    const heavy = serviceImports.flatMap(({ file, typeOnly, target }) => {
      if (typeOnly) return [];
      const path = normalize(join(dirname(file), target));
      const ownImports = [
        ...readFileSync(join(ROOT, path), "utf8").matchAll(/^import (type )?[^;]*?from "/gms),
      ];
      return ownImports.every((match) => match[1] !== undefined) ? [] : [`${file} → ${path}`];
    });
    expect(serviceImports.length).toBeGreaterThan(0);
    expect(heavy).toEqual([]);
  });
});

describe("the cycle check itself", () => {
  it("finds a ring of folders and names its members", () => {
    const ring: Import[] = [
      { from: "bot/tasks/a.ts", to: "bot/reminders/b.ts" },
      { from: "bot/reminders/b.ts", to: "bot/digests/c.ts" },
      { from: "bot/digests/c.ts", to: "bot/tasks/d.ts" },
      { from: "bot/teams/e.ts", to: "bot/tasks/a.ts" },
    ];
    expect(folderCycles(ring)).toEqual([["digests", "reminders", "tasks"]]);
  });

  it("ignores the composition roots, which import every capability", () => {
    expect(
      folderCycles([
        { from: "bot/telegram/bot.ts", to: "bot/tasks/commands.ts" },
        { from: "bot/tasks/commands.ts", to: "bot/telegram/context.ts" },
      ]),
    ).toEqual([]);
  });

  it("reads type imports, re-exports and dynamic imports", () => {
    const text = [
      'import type { A } from "#bot/tasks/core";',
      'export { B } from "./other.ts";',
      'const c = await import("#db/tasks");',
      'import { z } from "zod";',
    ].join("\n");
    expect(importsOf("bot/reminders/x.ts", text).map((i) => i.to)).toEqual([
      "bot/tasks/core.ts",
      "bot/reminders/other.ts",
      "db/tasks.ts",
    ]);
  });
});
