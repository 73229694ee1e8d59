import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { allJs, INITIAL_JS_BUDGET, initialJs } from "#test/helpers/miniapp-build";

/** The build this run serves (global-setup.ts), made as `npm run build` ships it. */
const dist = inject("miniAppDist");

describe("the Mini App's production build", () => {
  it("loads at most 20 kB of gzipped JS before the first screen", () => {
    const initial = initialJs(dist);
    const gzipped = initial.reduce((sum, chunk) => sum + chunk.gzipBytes, 0);
    expect(gzipped, JSON.stringify(initial)).toBeLessThanOrEqual(INITIAL_JS_BUDGET);
  });

  it("fetches the task form and the privacy screen only after the first load", () => {
    const initial = new Set(initialJs(dist).map((chunk) => chunk.file));
    const later = allJs(dist)
      .map((chunk) => chunk.file)
      .filter((file) => !initial.has(file));
    expect(later).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^assets\/TaskForm-.+\.js$/),
        expect.stringMatching(/^assets\/Privacy-.+\.js$/),
      ]),
    );
  });

  it("builds the sandbox's page beside it, as a page of its own that the Mini App never loads", () => {
    const page = readFileSync(join(dist, "sandbox.html"), "utf8");
    const scripts = [...page.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts).toHaveLength(1);
    // Nothing inline for the CSP to allow: one module script from a file, styles from files.
    expect(scripts[0]?.[2]?.trim()).toBe("");
    expect(page).not.toMatch(/<style|\sstyle=/);
    const src = /src="\/(assets\/sandbox-[^"]+\.js)"/.exec(scripts[0]?.[1] ?? "")?.[1];
    expect(src).toBeDefined();
    const miniApp = allJs(dist).map((chunk) => chunk.file);
    expect(miniApp).not.toContain(src);
    expect(readFileSync(join(dist, "index.html"), "utf8")).not.toContain("sandbox");
  });
});
