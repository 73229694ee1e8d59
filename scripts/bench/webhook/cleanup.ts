import { messageOf, print, seconds } from "./print.ts";

/** Everything the benchmark starts registers how to undo it here, so that it is undone. */

const steps: Array<{ what: string; run: () => Promise<unknown> }> = [];
let cleaning: Promise<void> | undefined;

/** Remembers how to undo a step; the returned function forgets it once undone by hand. */
export function onCleanUp(what: string, run: () => Promise<unknown>): () => void {
  const step = { what, run };
  steps.push(step);
  return () => {
    const index = steps.indexOf(step);
    if (index !== -1) steps.splice(index, 1);
  };
}

/** Undoes everything, newest first; a failing step is reported and the rest still run. */
export function cleanUp(): Promise<void> {
  cleaning ??= (async () => {
    for (let step = steps.pop(); step; step = steps.pop()) {
      await step.run().catch((error: unknown) => {
        process.stderr.write(`cleanup (${step?.what}) failed: ${messageOf(error)}\n`);
      });
    }
  })();
  return cleaning;
}

export function abort(reason: string): void {
  process.stderr.write(`\n${reason}: stopping everything the benchmark started\n`);
  // A cleanup that hangs must not keep the process alive for ever.
  setTimeout(() => process.exit(2), 15_000).unref();
  void cleanUp().finally(() => process.exit(2));
}

/**
 * Runs a benchmark's `main` the way every benchmark runs: stopped after `deadlineMs` or on
 * SIGINT/SIGTERM, everything it started undone, the whole run timed, and its exit code (0
 * when every target check passed) passed on.
 */
export async function runBenchmark(
  main: () => Promise<number>,
  deadlineMs: number,
): Promise<never> {
  setTimeout(
    () => abort(`the benchmark ran longer than ${deadlineMs / 1000} s`),
    deadlineMs,
  ).unref();
  process.once("SIGINT", () => abort("interrupted"));
  process.once("SIGTERM", () => abort("terminated"));
  const startedAt = performance.now();
  let exitCode = 0;
  try {
    exitCode = await main();
  } catch (error) {
    process.stderr.write(`benchmark failed: ${error instanceof Error ? error.stack : error}\n`);
    exitCode = 1;
  } finally {
    await cleanUp();
  }
  print(`\n(whole run ${seconds(performance.now() - startedAt)})`);
  process.exit(exitCode);
}
