import type { Sql } from "postgres";
import { z } from "zod";
import type { ApiCall, FakeTelegram } from "#test/helpers/fake-telegram";
import { type CpuShares, measureResources } from "../webhook/resources.ts";
import { type Person, type Seed, storedText } from "./seed.ts";
import type { Service, Stats } from "./service.ts";
import { groupTraffic, privateCommand } from "./updates.ts";

/** /export of a person with many stored messages, end to end, against a bare cursor read. */

export interface ExportResult {
  /** Update posted → the fake Bot API has the whole sendDocument upload; NaN if it never did. */
  ms: number;
  /** Update posted → the webhook answered (the upload goes on after it). */
  webhookMs: number;
  /** The same rows read with a postgres.js cursor: no decryption, no JSON. */
  cursorMs: number;
  cursorRows: number;
  /** The service as the export began (its peak RSS reset) and once it was delivered. */
  before: Stats;
  after: Stats;
  cpu: CpuShares;
  fileBytes: number;
  /** What is wrong with the file, if anything. */
  problems: string[];
}

const exportFile = z.object({
  format_version: z.number(),
  user: z.object({ id: z.number() }),
  messages: z.array(z.object({ chat_id: z.number(), message_id: z.number(), text: z.string() })),
});

const uploaded = z.object({ filename: z.string(), size: z.number(), text: z.string() });

export async function measureExport(
  sql: Sql,
  service: Service,
  fake: FakeTelegram,
  seed: Seed,
  exporter: Person,
  expected: number,
): Promise<ExportResult> {
  await warmUp(service, seed);
  fake.clear();

  const cursor = await readWithCursor(sql, exporter);

  const before = await service.markPeak();
  const resources = await measureResources(service);
  const started = performance.now();
  // The upload runs after the update's commit, in the background: the webhook answers
  // before it ends, so the clock stops when the fake Bot API has the whole file.
  const delivered = fake
    .waitForCalls((calls) => calls.some(isUpload), deliveryTimeoutMs(expected))
    .then(
      () => performance.now(),
      () => Number.NaN,
    );
  await service.post(privateCommand(exporter, "/export"));
  const webhookMs = performance.now() - started;
  const deliveredAt = await delivered;
  const { cpu } = await resources.stop();
  const after = await service.stats();

  const upload = fake.calls.find(isUpload);
  const problems = upload ? checkFile(upload, exporter, expected) : ["no sendDocument call"];
  const file = uploaded.safeParse(upload?.payload.document);
  // The file is tens of MB: let it go before the next phase.
  fake.clear();
  return {
    ms: deliveredAt - started,
    webhookMs,
    cursorMs: cursor.ms,
    cursorRows: cursor.rows,
    before,
    after,
    cpu,
    fileBytes: file.success ? file.data.size : 0,
    problems,
  };
}

/** Generous: a minute, and 0.1 ms more per message. */
function deliveryTimeoutMs(messages: number): number {
  return 60_000 + messages / 10;
}

function isUpload(call: ApiCall): boolean {
  return call.method === "sendDocument" && call.response !== undefined;
}

/**
 * A few ordinary updates first, so the memory of code loaded and compiled on first use is
 * not counted as the export's.
 */
async function warmUp(service: Service, seed: Seed): Promise<void> {
  const tasks = groupTraffic(seed, () => "/tasks");
  for (let i = 0; i < 20; i++) await service.post(tasks());
  await service.post(privateCommand(seed.exporter, "/privacy"));
}

/**
 * The same rows as the export reads them (the person's, oldest first), with a postgres.js
 * cursor and only counted: what reading them costs before any decryption or JSON.
 */
async function readWithCursor(sql: Sql, person: Person): Promise<{ ms: number; rows: number }> {
  const started = performance.now();
  let rows = 0;
  const cursor = sql`
    select chat_id, message_id, author_id, text, date, reply_to_message_id, edited_at
    from messages where author_id = ${person.id} order by id
  `.cursor(1000);
  for await (const batch of cursor) rows += batch.length;
  return { ms: performance.now() - started, rows };
}

function checkFile(call: ApiCall, person: Person, expected: number): string[] {
  if (call.response?.ok !== true) return ["the fake refused the sendDocument call"];
  const file = uploaded.safeParse(call.payload.document);
  if (!file.success) return ["sendDocument carried no uploaded file"];
  let json: unknown;
  try {
    json = JSON.parse(file.data.text);
  } catch (error) {
    return [`the file is not JSON: ${(error as Error).message}`];
  }
  const parsed = exportFile.safeParse(json);
  if (!parsed.success) return [`the file is not an export: ${parsed.error.issues[0]?.message}`];
  const { user, messages } = parsed.data;
  const problems: string[] = [];
  if (user.id !== person.id) problems.push(`the file is about user ${user.id}`);
  if (messages.length !== expected) {
    problems.push(`the file holds ${messages.length} messages, not ${expected}`);
  }
  const wrong = messages.filter((m) => m.text !== storedText(m.message_id)).length;
  if (wrong > 0) problems.push(`${wrong} message texts differ from what was seeded`);
  return problems;
}
