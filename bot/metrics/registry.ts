import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Clock } from "#bot/lib/clock";
import type { JobMeter } from "#bot/lib/job-meter";
import { describeError, type Logger } from "#bot/lib/logger";

/** Every metric's name starts with it, the process metrics' too. */
export const METRIC_PREFIX = "tasktracker_";

/** What the outbox holds, read by one statement when Prometheus scrapes. */
export interface OutboxBacklog {
  /** Queued calls (counted up to a cap, so a huge backlog costs no full scan). */
  depth: number;
  /** When the oldest queued call was written; null when nothing waits. */
  oldestAt: Date | null;
}

export interface MetricsOptions {
  clock: Clock;
  log: Logger;
  outboxBacklog: () => Promise<OutboxBacklog>;
  /** The pool's size (postgres.js `max`). */
  poolSize: number;
}

/**
 * The service's metrics, on a registry of its own (never prom-client's global one: tests run
 * several apps in one process). Labels hold only bounded, impersonal values: update types,
 * outcomes, Bot API methods, route patterns, status codes, job names. Never an id, a name or
 * a text.
 */
export interface Metrics {
  registry: Registry;
  updates: Counter<"type" | "outcome">;
  updateSeconds: Histogram<"type">;
  telegramCalls: Counter<"via" | "method" | "result">;
  retryAfterSeconds: Histogram<"via">;
  httpRequests: Counter<"method" | "route" | "status">;
  httpSeconds: Histogram<"route">;
  rateLimitRefusals: Counter<"limiter">;
  dbConnectionsHeld: Gauge<"use">;
  jobs: JobMeter;
}

export function createMetrics(options: MetricsOptions): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const name = (short: string) => `${METRIC_PREFIX}${short}`;
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });

  // Both outbox gauges are collected in the same scrape: they share one statement.
  let reading: Promise<OutboxBacklog | undefined> | undefined;
  const backlog = () => {
    reading ??= options
      .outboxBacklog()
      .catch((error: unknown) => {
        options.log.warn({ err: describeError(error) }, "metrics: the outbox could not be read");
        return undefined;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  new Gauge({
    name: name("outbox_depth"),
    help: "Calls waiting in the outbox (all instances; counted up to 100000). NaN: unreadable.",
    registers,
    async collect() {
      const read = await backlog();
      this.set(read ? read.depth : Number.NaN);
    },
  });
  new Gauge({
    name: name("outbox_oldest_age_seconds"),
    help: "Age of the oldest call waiting in the outbox; 0 when empty. NaN: unreadable.",
    registers,
    async collect() {
      const read = await backlog();
      if (!read) return this.set(Number.NaN);
      const age = read.oldestAt ? options.clock.now().getTime() - read.oldestAt.getTime() : 0;
      this.set(Math.max(0, age) / 1000);
    },
  });
  new Gauge({
    name: name("db_pool_size"),
    help: "Connections the database pool may open (postgres.js max).",
    registers,
  }).set(options.poolSize);

  const jobRuns = new Counter({
    name: name("job_runs_total"),
    help: "Runs of the background jobs (purge, reminders, digests) by result: ok, skipped, failed.",
    labelNames: ["job", "result"] as const,
    registers,
  });
  const jobItems = new Counter({
    name: name("job_items_total"),
    help: "What the jobs' runs handled, by job and kind (rows purged, reminders queued, ...).",
    labelNames: ["job", "kind"] as const,
    registers,
  });
  const jobSeconds = new Histogram({
    name: name("job_duration_seconds"),
    help: "How long a job's run took.",
    labelNames: ["job"] as const,
    buckets: [0.01, 0.05, 0.25, 1, 5, 30, 120, 600],
    registers,
  });

  return {
    registry,
    updates: new Counter({
      name: name("updates_total"),
      help: "Telegram updates by type and outcome: handled, batched (group chatter), duplicate, rate_limited, failed (the handler failed; apologised), error (not processed; Telegram delivers it again).",
      labelNames: ["type", "outcome"] as const,
      registers,
    }),
    updateSeconds: new Histogram({
      name: name("update_duration_seconds"),
      help: "From an update's arrival to its commit (waits for its chat's turn included).",
      labelNames: ["type"] as const,
      registers,
    }),
    telegramCalls: new Counter({
      name: name("telegram_calls_total"),
      help: "Bot API calls made (each attempt) by path (outbox or direct), method and result.",
      labelNames: ["via", "method", "result"] as const,
      registers,
    }),
    retryAfterSeconds: new Histogram({
      name: name("telegram_retry_after_seconds"),
      help: "retry_after of the Bot API's 429 answers.",
      labelNames: ["via"] as const,
      buckets: [1, 2, 5, 10, 30, 60, 300],
      registers,
    }),
    httpRequests: new Counter({
      name: name("http_requests_total"),
      help: "HTTP requests by method, route pattern (never the raw path) and status.",
      labelNames: ["method", "route", "status"] as const,
      registers,
    }),
    httpSeconds: new Histogram({
      name: name("http_request_duration_seconds"),
      help: "HTTP request duration by route pattern, until the handler answered.",
      labelNames: ["route"] as const,
      registers,
    }),
    rateLimitRefusals: new Counter({
      name: name("rate_limit_refusals_total"),
      help: "Refused by a rate limit: bot_updates (per user), api_requests (per user), api_auth_failures (per address).",
      labelNames: ["limiter"] as const,
      registers,
    }),
    dbConnectionsHeld: new Gauge({
      name: name("db_connections_held"),
      help: "Pool connections held or waited for beyond one statement: open transactions, reserved connections.",
      labelNames: ["use"] as const,
      registers,
    }),
    jobs: {
      ran(job, result, seconds, counts = {}) {
        jobRuns.inc({ job, result });
        jobSeconds.observe({ job }, seconds);
        for (const [kind, count] of Object.entries(counts)) {
          if (count > 0) jobItems.inc({ job, kind }, count);
        }
      },
    },
  };
}
