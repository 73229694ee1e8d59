import type { BrowserContext, Page } from "playwright-core";

/**
 * When the first task row appeared, read inside the page: a MutationObserver installed
 * before the page's own scripts notes the first `[data-task-id]`, and the time is taken at
 * the next animation frame (the frame that paints it), as `performance.now()`, which
 * counts from the navigation's start. So the number is the page's own, not the driver's.
 */

interface Marked {
  __firstRowAt?: number;
  __rowInDomAt?: number;
}

/** Where the time to the first row went, each phase as ms from the navigation's start. */
export interface FirstRowSplit {
  /** The page's HTML fully received. */
  html: number;
  /** The last of the stylesheets and scripts asked for before the entry ran, received. */
  assets: number;
  /** The entry module has run (module scripts run before DOMContentLoaded). */
  scriptsRun: number;
  /** The first task row in the DOM. */
  rowInDom: number;
  /** The frame that paints it. */
  firstRow: number;
}

function watchFirstRow(): void {
  const w = globalThis as unknown as Marked & {
    document: {
      querySelector(selector: string): unknown;
    };
    MutationObserver: new (
      callback: () => void,
    ) => { observe(target: unknown, options: object): void; disconnect(): void };
    requestAnimationFrame(callback: () => void): number;
    performance: { now(): number };
  };
  const observer = new w.MutationObserver(() => {
    if (!w.document.querySelector("[data-task-id]")) return;
    observer.disconnect();
    w.__rowInDomAt = w.performance.now();
    w.requestAnimationFrame(() => {
      w.__firstRowAt = w.performance.now();
    });
  });
  observer.observe(w.document, { childList: true, subtree: true });
}

/** Opens `url` in a new tab of `context` (prepared by `prepare`) and times its first row. */
export async function timeFirstRow(
  context: BrowserContext,
  url: string,
  prepare: (context: BrowserContext) => Promise<Page> = (c) => c.newPage(),
): Promise<FirstRowSplit> {
  const page = await prepare(context);
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(message.text());
  });
  try {
    await page.addInitScript(watchFirstRow);
    await page.goto(url);
    await page
      .waitForFunction(() => (globalThis as unknown as Marked).__firstRowAt !== undefined, null, {
        timeout: 15_000,
      })
      .catch(async (error: unknown) => {
        // What the page shows instead says why (an error screen, a stuck skeleton).
        const shown = await page.content().catch(() => "");
        throw new Error(
          `no task row at ${url}; the page shows: ${shown.slice(0, 3000)}; ${problems.join("; ")}`,
          {
            cause: error,
          },
        );
      });
    return await page.evaluate(() => {
      const w = globalThis as unknown as Marked & {
        performance: {
          getEntriesByType(type: string): Array<{
            name: string;
            startTime: number;
            responseEnd: number;
            domContentLoadedEventStart?: number;
          }>;
        };
      };
      const [navigation] = w.performance.getEntriesByType("navigation");
      const assets = w.performance
        .getEntriesByType("resource")
        .filter(
          (entry) =>
            /\/assets\/.*\.(js|css)$/.test(entry.name) &&
            entry.startTime < (navigation?.domContentLoadedEventStart ?? 0),
        )
        .map((entry) => entry.responseEnd);
      const html = navigation?.responseEnd ?? -1;
      return {
        html,
        assets: Math.max(html, ...assets),
        scriptsRun: navigation?.domContentLoadedEventStart ?? -1,
        rowInDom: w.__rowInDomAt ?? -1,
        firstRow: w.__firstRowAt ?? -1,
      };
    });
  } finally {
    await page.close();
  }
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  if (sorted.length === 0) return Number.NaN;
  return sorted.length % 2
    ? (sorted[middle] ?? 0)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** A plain page with `rows` task rows in its HTML: what loopback and Chromium cost alone. */
export function staticListPage(rows: number): string {
  const items = Array.from(
    { length: rows },
    (_, i) =>
      `<li><button type="button" class="row" data-task-id="${i + 1}"><span class="row-title">Task ${i + 1}</span><span class="row-meta">Me</span></button></li>`,
  ).join("");
  return `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>Tasks</title></head><body><main><ul class="list">${items}</ul></main></body></html>`;
}
