import { readFileSync } from "node:fs";
import { describe, expect, it, vi } from "vitest";
import { queuedCount } from "#db/outbox";
import { apiClient, initDataFor } from "#test/helpers/api";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { tooManyRequests } from "#test/helpers/fake-telegram";
import type { TestChat, TestUser } from "#test/helpers/updates";

const TOKEN = "scrape-me-0123456789abcdef";
const h = useBotHarness({ env: { METRICS_TOKEN: TOKEN, API_AUTH_FAILURES_PER_MINUTE: "2" } });
const call = apiClient(h);

// Names, ids and texts no metric could hold by chance: each is looked for in the scrape.
const zeb: TestUser = {
  id: 734_829_101,
  first_name: "Zebulon",
  last_name: "Quartermaine",
  username: "zeb_quartermaine",
  language_code: "en",
};
const ottilie: TestUser = {
  id: 734_829_202,
  first_name: "Ottilie",
  username: "ottilie_vanderhoek",
  language_code: "en",
};
const guild: TestChat = { id: -1_007_788_990_011, title: "Marmalade Guild", type: "supergroup" };
const TASK = "Polish the marmoset brochure";
const CHATTER = "the kumquat shipment arrives Thursday";
const PERSONAL = [
  ...[zeb, ottilie].flatMap((u) => [String(u.id), u.first_name, u.last_name, u.username]),
  String(guild.id),
  guild.title,
  "Zebulon",
  "marmoset",
  "kumquat",
].filter((value): value is string => value !== undefined);

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus' text format, one sample a line. */
function parse(text: string): Sample[] {
  return text
    .split("\n")
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample: ${line}`);
      const labels: Record<string, string> = {};
      for (const [, key, value] of (match[2] ?? "").matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
        labels[key ?? ""] = value ?? "";
      }
      return { name: match[1] ?? "", labels, value: Number(match[3]) };
    });
}

/** The sum of the samples named so whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name)
    .filter((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

async function scrape(app = h.bot.app): Promise<{ text: string; samples: Sample[] }> {
  const response = await app.http.request("/metrics", {
    headers: { authorization: `Bearer ${TOKEN}` },
  });
  expect(response.status).toBe(200);
  const text = await response.text();
  return { text, samples: parse(text) };
}

/** Handles the update as the service does; what it queued is left to the app's own sender. */
async function handle(update: Parameters<typeof h.bot.send>[0]): Promise<void> {
  await h.bot.app.bot.handleUpdate(update);
  await h.bot.app.background.idle();
}

const untilOutboxEmpty = () =>
  vi.waitFor(async () => expect(await queuedCount(h.sql)).toBe(0), { timeout: 5000 });

describe("GET /metrics", () => {
  it("is not served at all without METRICS_TOKEN: 404 like any unknown path", async () => {
    const plain = createTestBot({ sql: h.sql, telegram: h.telegram });
    const unknown = await plain.app.http.request("/no-such-page");
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN}` }];
    for (const headers of attempts) {
      const response = await plain.app.http.request("/metrics", { headers });
      expect(response.status).toBe(404);
      expect(await response.text()).toBe(await unknown.clone().text());
    }
  });

  it("answers 401 without the bearer token or with a wrong one, and the metrics with it", async () => {
    const refused: Record<string, string>[] = [
      {},
      { authorization: "Bearer" },
      { authorization: "Bearer " },
      { authorization: `Bearer ${TOKEN}x` },
      { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      { authorization: `bearer ${TOKEN}` },
      { authorization: `Basic ${Buffer.from(`metrics:${TOKEN}`).toString("base64")}` },
      { authorization: TOKEN },
    ];
    for (const headers of refused) {
      const response = await h.bot.app.http.request("/metrics", { headers });
      expect(response.status, JSON.stringify(headers)).toBe(401);
      expect(await response.text()).not.toContain("tasktracker_");
    }
    const response = await h.bot.app.http.request("/metrics", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const { samples } = { samples: parse(await response.text()) };
    const names = new Set(samples.map((s) => s.name));
    // The process's own metrics, on the app's registry, under the same prefix.
    expect(names).toContain("tasktracker_process_cpu_user_seconds_total");
    expect(names).toContain("tasktracker_nodejs_eventloop_lag_seconds");
    expect(names).toContain("tasktracker_outbox_depth");
    expect(names).toContain("tasktracker_db_pool_size");
    expect([...names].filter((name) => !name.startsWith("tasktracker_"))).toEqual([]);
  });

  it("keeps one registry per app: a second app in the process counts on its own", async () => {
    const other = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      env: { METRICS_TOKEN: TOKEN },
    });
    await handle(h.updates.privateText(zeb, "/start"));
    expect(total((await scrape()).samples, "tasktracker_updates_total")).toBe(1);
    expect(total((await scrape(other.app)).samples, "tasktracker_updates_total")).toBe(0);
  });
});

describe("the metrics after a realistic session", () => {
  it("count updates, sends, a 429, requests and a reminder by the right amounts, and hold no id, name or text", async () => {
    const app = h.bot.app;
    await app.outbox.start();
    await app.reminderTimer.start();
    // The outbox's first message to Zebulon is answered 429, retry after 7 s.
    h.telegram.failNext("sendMessage", tooManyRequests(7), { chatId: zeb.id });

    const welcome = h.updates.privateText(zeb, "/start");
    const session = [
      welcome,
      h.updates.privateText(zeb, `/newtask ${TASK} tomorrow 9:00`),
      h.updates.privateText(ottilie, "/start"),
      h.updates.groupText(guild, zeb, CHATTER),
      h.updates.groupText(guild, ottilie, `${CHATTER}, says Ottilie`),
      h.updates.groupText(guild, ottilie, "/tasks"),
      h.updates.privateText(zeb, "/consent"),
    ];
    for (const update of session) await handle(update);
    // Telegram delivers the welcome once more: a duplicate, dropped.
    await handle(welcome);

    await h.telegram.waitForCalls((calls) =>
      calls.some((c) => c.response?.ok === false && c.response.error_code === 429),
    );
    h.bot.clock.advance(7000);
    app.outbox.wake();
    await untilOutboxEmpty();
    await handle(pressOn(h.telegram, h.updates, zeb, zeb.id, "Record my messages"));
    await untilOutboxEmpty();

    // The reminder's moment: the timer queues it, the outbox sends it.
    const before = (await scrape()).samples;
    h.bot.clock.set("2026-11-29T09:00:00Z");
    await app.reminderTimer.wake();
    await vi.waitFor(() =>
      expect(h.telegram.textsTo(zeb.id).filter((text) => text.startsWith("⏰"))).toHaveLength(1),
    );
    await untilOutboxEmpty();

    // The API: Zebulon's own task by id, a request without init data, and three bad ones
    // from one address (the third is over API_AUTH_FAILURES_PER_MINUTE=2).
    const [task] = await h.sql<{ id: number }[]>`select id from tasks`;
    expect((await call(zeb, "GET", `/api/tasks/${task?.id}`)).status).toBe(200);
    expect((await call(zeb, "GET", "/api/tasks/987654321")).status).toBe(404);
    expect((await call(null, "GET", "/api/me")).status).toBe(401);
    const forged = initDataFor(zeb, h.bot.clock.now()).replace("Zebulon", "Mallory");
    const bad = { headers: { authorization: `tma ${forged}` } };
    expect((await call(null, "GET", "/api/me", bad)).status).toBe(401);
    expect((await call(null, "GET", "/api/me", bad)).status).toBe(429);

    const { text, samples } = await scrape();
    // Nothing personal anywhere: not in a label, not in a value, not in a help text.
    const labelValues = samples.flatMap((s) => Object.values(s.labels));
    for (const value of PERSONAL) {
      expect(text, value).not.toContain(value);
      expect(labelValues.filter((label) => label.includes(value))).toEqual([]);
    }
    expect(labelValues.filter((label) => /\d{4,}/.test(label))).toEqual([]);

    const updates = (labels: Record<string, string>) =>
      total(samples, "tasktracker_updates_total", labels);
    expect(updates({})).toBe(session.length + 2);
    expect(updates({ outcome: "batched" })).toBe(2);
    expect(updates({ outcome: "duplicate" })).toBe(1);
    expect(updates({ outcome: "handled" })).toBe(session.length - 2 + 1);
    expect(updates({ type: "callback_query" })).toBe(1);
    expect(total(samples, "tasktracker_update_duration_seconds_count")).toBe(session.length + 2);

    // Every send the fake saw from the outbox is counted once, by its answer.
    const outboxCalls = (labels: Record<string, string>) =>
      total(samples, "tasktracker_telegram_calls_total", { via: "outbox", ...labels });
    const answered = h.telegram.calls.filter((c) =>
      ["sendMessage", "editMessageText", "editMessageReplyMarkup"].includes(c.method),
    );
    expect(outboxCalls({})).toBe(answered.length);
    expect(outboxCalls({ result: "ok" })).toBe(answered.filter((c) => c.response?.ok).length);
    expect(outboxCalls({ method: "sendMessage", result: "too_many_requests" })).toBe(1);
    expect(total(samples, "tasktracker_telegram_retry_after_seconds_count")).toBe(1);
    expect(total(samples, "tasktracker_telegram_retry_after_seconds_sum")).toBe(7);
    expect(
      total(samples, "tasktracker_telegram_calls_total", {
        via: "direct",
        method: "answerCallbackQuery",
        result: "ok",
      }),
    ).toBe(1);

    const requests = (labels: Record<string, string>) =>
      total(samples, "tasktracker_http_requests_total", labels);
    expect(requests({ route: "/api/tasks/:id", status: "200" })).toBe(1);
    expect(requests({ route: "/api/tasks/:id", status: "404" })).toBe(1);
    expect(requests({ route: "/api/me", status: "401" })).toBe(2);
    expect(requests({ route: "/api/me", status: "429" })).toBe(1);
    expect(total(samples, "tasktracker_rate_limit_refusals_total")).toBe(1);
    expect(
      total(samples, "tasktracker_rate_limit_refusals_total", { limiter: "api_auth_failures" }),
    ).toBe(1);

    const delta = (name: string, labels: Record<string, string>) =>
      total(samples, name, labels) - total(before, name, labels);
    expect(delta("tasktracker_job_runs_total", { job: "reminders", result: "ok" })).toBe(1);
    expect(delta("tasktracker_job_items_total", { job: "reminders", kind: "queued" })).toBe(1);
    expect(total(samples, "tasktracker_outbox_depth")).toBe(0);
    expect(total(samples, "tasktracker_outbox_oldest_age_seconds")).toBe(0);
    expect(total(samples, "tasktracker_db_connections_held", { use: "reserved" })).toBe(1);
  });

  it("counts an update the bot's rate limit refused, once, and the outbox's backlog while it waits", async () => {
    const limited = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      clock: h.bot.clock,
      env: { METRICS_TOKEN: TOKEN },
      rateLimit: { limit: 2, windowMs: 60_000 },
    });
    for (const text of ["/start", "/help", "/tasks"]) {
      await limited.app.bot.handleUpdate(h.updates.privateText(ottilie, text));
    }
    await limited.app.background.idle();
    // Nothing sent yet: the replies wait in the outbox, the oldest queued at the clock's now.
    h.bot.clock.advance(90_000);
    const { samples } = await scrape(limited.app);
    expect(total(samples, "tasktracker_updates_total", { outcome: "rate_limited" })).toBe(1);
    expect(total(samples, "tasktracker_updates_total", { outcome: "handled" })).toBe(2);
    expect(
      total(samples, "tasktracker_rate_limit_refusals_total", { limiter: "bot_updates" }),
    ).toBe(1);
    expect(total(samples, "tasktracker_outbox_depth")).toBe(await queuedCount(h.sql));
    expect(total(samples, "tasktracker_outbox_depth")).toBeGreaterThanOrEqual(2);
    expect(total(samples, "tasktracker_outbox_oldest_age_seconds")).toBe(90);
  });
});

describe("the metrics' documentation", () => {
  it("names in docs/operations.md and the Grafana dashboard only metrics the service serves", async () => {
    const response = await h.bot.app.http.request("/metrics", {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    // Every metric is declared by a TYPE line, with values or not yet.
    const declared = [...(await response.text()).matchAll(/^# TYPE (\S+) (\S+)$/gm)];
    const served = new Set(
      declared.flatMap(([, name, type]) =>
        type === "histogram" ? [`${name}_bucket`, `${name}_sum`, `${name}_count`, name] : [name],
      ),
    );
    for (const file of ["../../docs/operations.md", "../../docs/grafana-dashboard.json"]) {
      const text = readFileSync(new URL(file, import.meta.url), "utf8");
      // A name ending in _ is a family written as tasktracker_process_*.
      const named = new Set(
        [...text.matchAll(/tasktracker_[a-z0-9_]+/g)]
          .map((match) => match[0])
          .filter((name) => !name.endsWith("_")),
      );
      expect(named.size, file).toBeGreaterThan(10);
      expect(
        [...named].filter((name) => !served.has(name ?? "")),
        file,
      ).toEqual([]);
    }
  });
});
