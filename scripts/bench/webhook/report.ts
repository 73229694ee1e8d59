import type { Calls } from "./calls.ts";
import type { ServiceLog } from "./children.ts";
import type { ModeResult } from "./load.ts";
import { fmt, print } from "./print.ts";
import type { Seed } from "./seed.ts";
import type { Work } from "./work.ts";

/** The tables, whether the run measured working requests, and whether the targets hold. */

const TARGET_RPS = 3000;
const TARGET_P99_MS = 50;
const TARGET_RSS_MB = 250;

/** What the app run changed in the database. */
interface AppWork {
  processed: number;
  done: number;
  changed: number;
}

type SeedCounts = Pick<Seed, "memberships" | "taskCount">;

export function report(
  baseline: ModeResult,
  app: ModeResult,
  before: Work,
  after: Work,
  seed: SeedCounts,
): { valid: boolean } {
  printLoadTables([baseline, app]);
  const work = {
    processed: after.processedUpdates - before.processedUpdates,
    done: after.tasksDone,
    changed: after.tasksChanged,
  };
  const problems = findProblems(baseline, app, work, after, seed);
  const valid = problems.length === 0;

  const ratio = app.result.requests.average / baseline.result.requests.average;
  const rss = rssMb(app);
  print("");
  if (!valid)
    print("INVALID RUN (see the reasons below): these numbers are not those of working requests");
  print(`ratio app/baseline = ${fmt(ratio, 2)} (${fmt(ratio * 100, 1)}% of the no-op ceiling)`);
  print(
    `app peak RSS = ${fmt(rss, 0)} MB (target < ${TARGET_RSS_MB} MB: ${rss < TARGET_RSS_MB ? "ok" : "MISSED"})`,
  );

  printAppDetails(app, work, after, seed);
  printVerdict(app, problems);
  return { valid };
}

function printLoadTables(runs: ModeResult[]): void {
  print("");
  const header = [
    "mode",
    "req/s",
    "p50 ms",
    "p99 ms",
    "2xx",
    "non-2xx",
    "errors",
    "timeouts",
    "idle → peak RSS",
  ];
  const rows = runs.map((m) => [
    m.label,
    fmt(m.result.requests.average, 0),
    fmt(m.result.latency.p50, 1),
    fmt(m.result.latency.p99, 1),
    fmt(m.result["2xx"], 0),
    fmt(m.result.non2xx, 0),
    fmt(m.result.errors, 0),
    fmt(m.result.timeouts, 0),
    `${fmt(m.idleRssBytes / 2 ** 20, 0)} → ${fmt(m.peakRssBytes / 2 ** 20, 0)} MB`,
  ]);
  printTable(header, rows);
  print("");
  print("CPU during the load, in cores (this machine has 2; load average when each run began):");
  printTable(
    ["mode", "service", "ms CPU/request", "postgres", "autocannon+fake", "other", "load avg"],
    runs.map((m) => [
      m.label,
      fmt(m.cpu.service, 2),
      fmt((m.cpu.service * m.result.duration * 1000) / Math.max(1, m.result.requests.total), 2),
      fmt(m.cpu.postgres, 2),
      fmt(m.cpu.driver, 2),
      fmt(m.cpu.other, 2),
      fmt(m.loadBefore, 2),
    ]),
  );
  for (const m of runs) {
    print(
      `  ${m.label}: after the load, ${m.drained.inFlight === 0 ? "the last abandoned requests finished" : `${m.drained.inFlight} requests were STILL running`} in ${fmt(m.drained.ms, 0)} ms`,
    );
  }
}

/** Reasons the numbers do not measure working requests; none for a valid run. */
function findProblems(
  baseline: ModeResult,
  app: ModeResult,
  work: AppWork,
  after: Work,
  seed: SeedCounts,
): string[] {
  const problems = [baseline, app].flatMap(runProblems);
  const answered = app.result["2xx"];
  // Updates still in flight when autocannon stopped are processed but never counted as 2xx.
  if (work.processed < answered * 0.99) {
    problems.push(
      `the database recorded ${work.processed} updates but the app answered ${answered} with 2xx`,
    );
  }
  if (app.mix.button > 0 && work.changed === 0) problems.push("no task changed status");
  if (after.memberships !== seed.memberships) {
    problems.push(
      `memberships changed from ${seed.memberships} to ${after.memberships}: traffic came from non-members`,
    );
  }
  const failedAnswers = failedAnswerCount(app.calls);
  if (failedAnswers > answered * 0.01)
    problems.push(`${failedAnswers} button presses were answered with an error`);
  const errors = errorLineCount(app.log);
  if (errors > answered * 0.01) problems.push(`the service logged ${errors} errors`);
  return problems;
}

function runProblems(m: ModeResult): string[] {
  const r = m.result;
  const problems: string[] = [];
  if (r["2xx"] === 0) problems.push(`${m.mode}: no request succeeded`);
  else if (r.non2xx + r.errors > r["2xx"] * 0.01) {
    const codes = Object.entries(r.statusCodeStats ?? {})
      .map(([code, s]) => `${code} ×${s.count ?? 0}`)
      .join(", ");
    problems.push(
      `${m.mode}: ${r.non2xx} non-2xx (${codes}) and ${r.errors} errors against ${r["2xx"]} successes`,
    );
  }
  return problems;
}

function failedAnswerCount(calls: Calls): number {
  return [...calls.answers]
    .filter(([kind]) => kind.startsWith("error") || kind.startsWith("other"))
    .reduce((sum, [, n]) => sum + n, 0);
}

function errorLineCount(log: ServiceLog): number {
  return [...log.counts]
    .filter(([key]) => /^(error|fatal)/.test(key))
    .reduce((sum, [, n]) => sum + n, 0);
}

function printAppDetails(app: ModeResult, work: AppWork, after: Work, seed: SeedCounts): void {
  const answers = app.calls.answers;
  print("");
  print(
    `database after the app run: ${work.processed} updates recorded as processed (app answered ${app.result["2xx"]} with 2xx, ` +
      `${app.result.requests.sent} sent); ${work.changed} of ${seed.taskCount} tasks changed status at least once, ${work.done} now done; ` +
      `${after.users} users, ${after.teams} teams, ${after.memberships} memberships (seeded ${seed.memberships}), ` +
      `${after.conversations} conversation rows`,
  );
  print(
    `updates sent to the app: ${app.mix.text} group texts, ${app.mix.tasks} /tasks, ${app.mix.button} button presses`,
  );
  print(`Bot API calls the app made: ${describeMethods(app.calls.methods)}`);
  print(
    `button answers: ${[...answers].map(([kind, n]) => `${kind} ${n}`).join(", ") || "none"}` +
      ` (${answers.get("changed") ?? 0} changed a task${answers.has("already") ? '; "already": two taps on one task overtook each other' : ""})`,
  );
  const logSummary = [...app.log.counts].map(([key, n]) => `${key} ×${n}`).join("; ");
  print(`service log at warn and above: ${logSummary || "nothing"}`);
  if (errorLineCount(app.log) > 0) {
    print("  last service log lines:");
    for (const line of app.log.tail.slice(-5)) print(`    ${line}`);
  }
}

function printVerdict(app: ModeResult, problems: string[]): void {
  print("");
  if (problems.length > 0) {
    print("INVALID RUN: the numbers above do not measure working requests:");
    for (const problem of problems) print(`  - ${problem}`);
    print("targets: not judged");
    return;
  }
  const rps = app.result.requests.average;
  const p99 = app.result.latency.p99;
  const rss = rssMb(app);
  const hold = rps >= TARGET_RPS && p99 < TARGET_P99_MS && rss < TARGET_RSS_MB;
  print(
    `targets: ≥ ${fmt(TARGET_RPS, 0)} req/s ${rps >= TARGET_RPS ? "ok" : "MISSED"} (${fmt(rps, 0)}), ` +
      `p99 < ${TARGET_P99_MS} ms ${p99 < TARGET_P99_MS ? "ok" : "MISSED"} (${fmt(p99, 1)} ms), ` +
      `RSS < ${TARGET_RSS_MB} MB ${rss < TARGET_RSS_MB ? "ok" : "MISSED"} → ${hold ? "targets hold" : "targets DO NOT hold"}`,
  );
}

function rssMb(m: ModeResult): number {
  return m.peakRssBytes / 2 ** 20;
}

function describeMethods(methods: Calls["methods"]): string {
  const parts = [...methods].map(
    ([method, c]) => `${method} ${c.ok}${c.failed > 0 ? ` (+${c.failed} failed)` : ""}`,
  );
  return parts.join(", ") || "none";
}

function printTable(header: string[], rows: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join("  ");
  print(line(header));
  for (const row of rows) print(line(row));
}

/** A load mode of the app judged against the no-op baseline of the same run. */
export interface ModeTarget {
  run: ModeResult;
  /** Share of the baseline's req/s to reach at saturation; unset for a fixed-rate run. */
  minRatio?: number;
  maxP99Ms?: number;
}

/** One line per mode: throughput, its share of the baseline, p99, CPU per update, targets. */
export function reportModes(baseline: ModeResult, modes: ModeTarget[]): void {
  print("");
  print("Modes of the app against the no-op baseline of this run:");
  printTable(
    ["mode", "updates/s", "of baseline", "p99 ms", "ms CPU/update", "target", "verdict"],
    modes.map(({ run, minRatio, maxP99Ms }) => {
      const ratio = run.result.requests.average / baseline.result.requests.average;
      const cpu =
        (run.cpu.service * run.result.duration * 1000) / Math.max(1, run.result.requests.total);
      const p99 = run.result.latency.p99;
      const ok =
        (minRatio === undefined || ratio >= minRatio) &&
        (maxP99Ms === undefined || p99 < maxP99Ms) &&
        run.result.non2xx === 0;
      const target = [
        ...(minRatio === undefined ? [] : [`≥ ${fmt(minRatio * 100, 0)} %`]),
        ...(maxP99Ms === undefined ? [] : [`p99 < ${maxP99Ms} ms`]),
      ].join(", ");
      return [
        run.label,
        fmt(run.result.requests.average, 0),
        `${fmt(ratio * 100, 1)} %`,
        fmt(p99, 1),
        fmt(cpu, 2),
        target,
        ok ? "ok" : "MISSED",
      ];
    }),
  );
}
