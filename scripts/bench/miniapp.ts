import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { once } from "node:events";
import { createServer } from "node:http";
import { loadavg } from "node:os";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { sign } from "@telegram-apps/init-data-node";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { Sql } from "postgres";
import { build } from "vite";
import { z } from "zod";
import { sealLegacyTaskTexts } from "#db/task-texts";
import { createVault, type Vault } from "#db/vault";
import { startFakeTelegram, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { preparePage } from "../../test/e2e/telegram-env.ts";
import { type FirstRowSplit, median, staticListPage, timeFirstRow } from "./miniapp/first-row.ts";
import { onCleanUp, runBenchmark } from "./webhook/cleanup.ts";
import { openBenchDatabase } from "./webhook/database.ts";
import { fmt, print } from "./webhook/print.ts";

/**
 * The Mini App's first screen: from navigation to the first of 50 task rows painted, in
 * Chromium on loopback, median of BENCH_RUNS opens each way:
 * - first visit: a new browser profile (nothing cached: no assets, no kept list);
 * - return, no kept list: the same profile (assets from the HTTP cache), its kept list wiped;
 * - return: the same profile with the list the app kept on the device last time.
 * The service (createApp, as `npm start` serves it, production build) runs in a process of
 * its own on a fresh database, with a loopback fake Bot API. The baseline, in the same run:
 * a static page with the same 50 rows in its HTML, served by node:http, opened the same two
 * ways inside the same mocked Telegram client (the SDK's mockTelegramEnv, as the e2e tests
 * use it), so both pay for the mock. Run with `npm run bench:miniapp` (BENCH_RUNS,
 * BENCH_DATABASE_URL).
 */

const env = z
  .object({
    BENCH_RUNS: z.coerce.number().int().min(3).max(100).default(15),
    BENCH_DATABASE_URL: z.string().min(1).optional(),
    /** Where to write a Chromium trace of one more return with the kept list (chrome://tracing). */
    BENCH_TRACE: z.string().min(1).optional(),
  })
  .parse(process.env);

const TASKS = 50;
const TARGET_MS = 250;
const USER = { id: 820_000_001, first_name: "Bench" };
const SERVER = fileURLToPath(new URL("./api/server.ts", import.meta.url));
const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));
const VITE_CONFIG = fileURLToPath(new URL("../../vite.config.ts", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const DEADLINE_MS = (env.BENCH_RUNS * 5 * 3 + 180) * 1000;

async function seed(sql: Sql, vault: Vault): Promise<void> {
  await sql`insert into users ${sql({ id: USER.id })}`;
  const tasks = Array.from({ length: TASKS }, (_, n) => ({
    legacyTitle: `Task ${String(n + 1).padStart(2, "0")}`,
    creatorId: USER.id,
    assigneeId: USER.id,
  }));
  await sql`insert into tasks ${sql(tasks)}`;
  // Sealed with the service's keys, as the service does at start: the list opens each title.
  await sealLegacyTaskTexts(sql, vault);
  await sql`analyze`;
}

async function startService(extraEnv: Record<string, string>): Promise<string> {
  const child = spawn(process.execPath, ["--import", "tsx", SERVER, "service"], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...extraEnv },
    stdio: ["ignore", "pipe", "inherit"],
  });
  onCleanUp("service", async () => {
    if (child.exitCode !== null) return;
    child.kill("SIGTERM");
    await once(child, "exit");
  });
  return `http://127.0.0.1:${await readyPort(child)}/`;
}

async function readyPort(child: ChildProcess): Promise<number> {
  if (!child.stdout) throw new Error("no stdout");
  for await (const line of createInterface({ input: child.stdout })) {
    const match = /^ready (\d+)$/.exec(line);
    if (match) return Number(match[1]);
  }
  throw new Error("the service exited before it was ready");
}

async function startStaticPage(): Promise<string> {
  const page = staticListPage(TASKS);
  const server = createServer((_request, response) => {
    response.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-cache",
    });
    response.end(page);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  onCleanUp("static page", () => new Promise((resolve) => server.close(resolve)));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}/`;
}

async function newContext(browser: Browser): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  // tsx compiles with esbuild's keepNames: the functions test/e2e/telegram-env.ts hands to
  // the page call its __name helper, which the page lacks (vitest's transform adds none).
  await context.addInitScript({ content: "globalThis.__name = (fn) => fn;" });
  return context;
}

async function wipeKeptLists(context: BrowserContext, url: string): Promise<void> {
  const page = await context.newPage();
  await page.goto(`${url}bot.json`);
  await page.evaluate(() =>
    (globalThis as unknown as { localStorage: { clear(): void } }).localStorage.clear(),
  );
  await page.close();
}

/** One return with the kept list, traced: the renderer's main thread says what the time is. */
async function traceReturn(
  browser: Browser,
  url: string,
  prepare: (context: BrowserContext) => Promise<Page>,
  path: string,
): Promise<void> {
  const context = await newContext(browser);
  await timeFirstRow(context, url, prepare);
  await browser.startTracing(undefined, {
    path,
    categories: [
      "devtools.timeline",
      "v8",
      "v8.execute",
      "blink",
      "loading",
      "disabled-by-default-v8.cpu_profiler",
    ],
  });
  await timeFirstRow(context, url, prepare);
  await browser.stopTracing();
  await context.close();
  print(`  trace of a return with the kept list: ${path}`);
}

async function main(): Promise<number> {
  print("Task Tracker Mini App first-screen benchmark");
  const database = await openBenchDatabase(env.BENCH_DATABASE_URL);
  const keys = { encryptionKey: randomBytes(32), hashSecret: randomBytes(32) };
  await seed(database.sql, createVault([keys.encryptionKey], keys.hashSecret));
  // What `npm run build` makes and `npm start` serves.
  await build({ configFile: VITE_CONFIG, mode: "production", logLevel: "warn" });
  const telegram = await startFakeTelegram();
  onCleanUp("fake Bot API", () => telegram.close());
  const appUrl = await startService({
    BOT_TOKEN: TEST_BOT_TOKEN,
    DATABASE_URL: database.url,
    TELEGRAM_API_ROOT: telegram.apiRoot,
    ENCRYPTION_KEYS: keys.encryptionKey.toString("base64"),
    HASH_SECRET: keys.hashSecret.toString("base64"),
    API_RATE_LIMIT_PER_MINUTE: "1000000",
    LOG_LEVEL: "warn",
  });
  const staticUrl = await startStaticPage();
  print(`  service at ${appUrl}, baseline page at ${staticUrl}`);
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic"],
  });
  onCleanUp("chromium", () => browser.close());
  print(
    `  ${TASKS} open tasks of one user; ${env.BENCH_RUNS} opens each way, after one unmeasured open of each; load average ${loadavg()
      .map((load) => load.toFixed(2))
      .join(" ")}`,
  );

  // Signed now: the service checks init data against its own clock.
  const initData = sign({ user: USER, query_id: "AAHbench" }, TEST_BOT_TOKEN, new Date());
  const inTelegram = (context: BrowserContext) => preparePage(context, { initData });

  const firstVisits = async (url: string) => {
    const times: FirstRowSplit[] = [];
    for (let run = -1; run < env.BENCH_RUNS; run++) {
      const context = await newContext(browser);
      const split = await timeFirstRow(context, url, inTelegram);
      await context.close();
      if (run >= 0) times.push(split);
    }
    return times;
  };
  const returns = async (url: string, wipe: boolean) => {
    const context = await newContext(browser);
    const times: FirstRowSplit[] = [];
    for (let run = -1; run < env.BENCH_RUNS; run++) {
      if (wipe) await wipeKeptLists(context, url);
      const split = await timeFirstRow(context, url, inTelegram);
      if (run >= 0) times.push(split);
    }
    await context.close();
    return times;
  };

  const baselineFirst = await firstVisits(staticUrl);
  const baselineReturn = await returns(staticUrl, false);
  const appFirst = await firstVisits(appUrl);
  const appReturnWiped = await returns(appUrl, true);
  const appReturn = await returns(appUrl, false);
  if (env.BENCH_TRACE) await traceReturn(browser, appUrl, inTelegram, env.BENCH_TRACE);

  const firstRows = (splits: FirstRowSplit[]) => splits.map((split) => split.firstRow);
  const line = (label: string, splits: FirstRowSplit[], baselineSplits: FirstRowSplit[]) => {
    const times = firstRows(splits);
    const mid = median(times);
    const base = median(firstRows(baselineSplits));
    const ratio =
      base > 0 ? ` = ${fmt(mid / base, 1)}× the baseline (+${fmt(mid - base, 0)} ms)` : "";
    const target = ` (target < ${TARGET_MS}: ${mid < TARGET_MS ? "met" : "MISSED"})`;
    print(
      `  ${label.padEnd(34)} median ${fmt(mid, 0)} ms, min ${fmt(Math.min(...times), 0)}, max ${fmt(Math.max(...times), 0)}${ratio}${target}`,
    );
    print(`    ${timeline(splits)}`);
  };
  // Medians of each phase, so a miss says where the time went.
  const timeline = (splits: FirstRowSplit[]) => {
    const at = (phase: keyof FirstRowSplit) => fmt(median(splits.map((split) => split[phase])), 0);
    return `timeline (medians): HTML ${at("html")} ms → CSS and JS in ${at("assets")} → entry run by ${at("scriptsRun")} → row in the DOM ${at("rowInDom")} → painted ${at("firstRow")}`;
  };
  print("");
  print("Results: navigation → first task row painted");
  print(
    `  baseline, static page, first visit   median ${fmt(median(firstRows(baselineFirst)), 0)} ms; return ${fmt(median(firstRows(baselineReturn)), 0)} ms`,
  );
  print(`    first visit ${timeline(baselineFirst)}`);
  line("app, first visit", appFirst, baselineFirst);
  line("app, return, no kept list", appReturnWiped, baselineReturn);
  line("app, return with the kept list", appReturn, baselineReturn);
  print(
    `  load average now ${loadavg()
      .map((load) => load.toFixed(2))
      .join(" ")}`,
  );
  return [appFirst, appReturnWiped, appReturn].every(
    (splits) => median(firstRows(splits)) < TARGET_MS,
  )
    ? 0
    : 1;
}

await runBenchmark(main, DEADLINE_MS);
