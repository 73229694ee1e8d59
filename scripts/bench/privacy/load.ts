import autocannon from "autocannon";
import type { Update } from "grammy/types";
import { measureResources, type Resources } from "../webhook/resources.ts";
import type { Service } from "./service.ts";

/** A flood of webhook updates from autocannon, every answer timed on the clock of this process. */

export interface Answer {
  /** performance.now() when the answer arrived. */
  end: number;
  ms: number;
  status: number;
}

export interface LoadRun {
  result: autocannon.Result;
  answers: Answer[];
  /** CPU by whom during the load: "other" is work of other people on a shared machine. */
  resources: Resources;
}

/**
 * `onStart` runs as the first requests go out (for work that must overlap the load).
 * After the run, waits until the service has finished the requests autocannon abandoned,
 * so the next run, and any count of what was stored, starts from a quiet service.
 */
export async function runLoad(options: {
  service: Service;
  connections: number;
  /** How long to run, or how many requests to send. */
  run: { seconds: number } | { amount: number };
  next: () => Update;
  onStart?: () => void;
}): Promise<LoadRun> {
  const { service } = options;
  const answers: Answer[] = [];
  const resources = await measureResources(service);
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${service.port}/telegram/webhook`,
        connections: options.connections,
        pipelining: 1,
        ...("seconds" in options.run
          ? { duration: options.run.seconds }
          : { amount: options.run.amount }),
        method: "POST",
        headers: {
          "content-type": "application/json",
          "x-telegram-bot-api-secret-token": service.secret,
        },
        requests: [
          { setupRequest: (request) => ({ ...request, body: JSON.stringify(options.next()) }) },
        ],
      },
      (error: unknown, done) => (error ? reject(error) : resolve(done)),
    );
    instance.on("response", (_client, status, _bytes, ms) => {
      answers.push({ end: performance.now(), ms, status });
    });
    if (options.onStart) instance.once("start", options.onStart);
  });
  const used = await resources.stop();
  const drained = await service.drain();
  if (drained.inFlight > 0) {
    throw new Error(`${drained.inFlight} requests were still in flight 10 s after the load`);
  }
  return { result, answers, resources: used };
}

/** The latency at `share` (0.99: p99) of the answers, in ms; NaN when there are none. */
export function percentile(answers: readonly Answer[], share: number): number {
  if (answers.length === 0) return Number.NaN;
  const sorted = answers.map((a) => a.ms).sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(share * sorted.length) - 1)] ?? Number.NaN;
}

/** Answers to requests that were in flight at some moment between `from` and `to`. */
export function overlapping(answers: readonly Answer[], from: number, to: number): Answer[] {
  return answers.filter((a) => a.end >= from && a.end - a.ms <= to);
}
