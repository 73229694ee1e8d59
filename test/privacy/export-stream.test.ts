import { Readable, Writable } from "node:stream";
import type { Sql } from "postgres";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { createIdHasher } from "#bot/lib/logger";
import { type ExportSources, exportDocument } from "#bot/privacy/core/export";
import { createSql } from "#db/client";
import { messageIdentity } from "#db/messages";
import { addMember, upsertTeam } from "#db/teams";
import { upsertUser } from "#db/users";
import { createVault } from "#db/vault";
import { FakeClock } from "../helpers/clock.ts";
import { emptyTables, useTestDatabase } from "../helpers/db.ts";
import { TEST_SECRETS } from "../helpers/secrets.ts";

/**
 * The export's message stream against the real database, with the batch size made small so
 * that a few rows cross many batch boundaries: what the document says, that a slow reader
 * holds back the reads, and that the document is one point in time.
 */

const db = useTestDatabase();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
const hashId = createIdHasher(TEST_SECRETS.hashSecret);
const clock = new FakeClock("2026-11-28T10:00:00Z");
const rules = { defaultDays: 90, minDays: 1, maxDays: 3650 };

const ALICE = 701;
const TEAM = -100701;
const OTHER_TEAM = -100702;

/** Statements that read the export's message batches, on a pool of their own. */
let batchReads = 0;
let counted: Sql;
beforeAll(() => {
  counted = createSql(db.url, {
    max: 2,
    onStatement: (query) => {
      if (/from messages m/.test(query)) batchReads++;
    },
  });
});
afterAll(() => counted.end());

const sources = (batchSize: number): ExportSources => ({
  sql: counted,
  vault,
  hashId,
  rules,
  batchSize,
});

interface Message {
  chatId: number;
  messageId: number;
  text: string;
  minutesAgo: number;
  replyTo?: number;
  editedMinutesAgo?: number;
}

const ago = (minutes: number) => new Date(clock.now().getTime() - minutes * 60_000);

async function store(message: Message): Promise<void> {
  const { chatId, messageId } = message;
  await db.sql`
    insert into messages (chat_id, message_id, team_id, author_id, text, date,
                          reply_to_message_id, edited_at)
    values (${chatId}, ${messageId}, ${chatId}, ${ALICE},
            ${vault.seal(message.text, messageIdentity(chatId, messageId))},
            ${ago(message.minutesAgo)}, ${message.replyTo ?? null},
            ${message.editedMinutesAgo === undefined ? null : ago(message.editedMinutesAgo)})
  `;
}

async function readAll(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  for await (const chunk of chunks) text += decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}

beforeEach(async () => {
  await emptyTables(db.sql);
  clock.set("2026-11-28T10:00:00Z");
  await upsertUser(
    db.sql,
    vault,
    { id: ALICE, firstName: "Alice", lastName: null, username: null, languageCode: null },
    true,
    clock.now(),
  );
  for (const team of [TEAM, OTHER_TEAM]) {
    await upsertTeam(db.sql, { id: team, title: `Team ${team}` }, clock.now());
    await addMember(db.sql, team, ALICE, clock.now());
  }
  batchReads = 0;
});

describe("the export's messages", () => {
  it("come out exactly as written, whatever characters they hold, across batch boundaries", async () => {
    const texts = [
      'quotes " and \\ backslashes \\" and a slash /',
      "control characters: \n new line, \r return, \t tab, \b backspace, \f feed, \u0000 nul, \u0001 and \u001f",
      "unicode: Ünïcödé, кириллица, 日本語, עברית, \u2028 and \u2029 separators",
      "emoji: 🎉👩‍👩‍👧‍👦🏳️‍🌈",
      '{"looks": ["like", "json"]}, "text": null',
      "",
      "a".repeat(5000),
      "the last one, alone in its batch",
    ];
    const messages: Message[] = texts.map((text, i) => ({
      chatId: i % 2 === 0 ? TEAM : OTHER_TEAM,
      messageId: 100 + i,
      text,
      minutesAgo: 60 - i,
      ...(i === 2 ? { replyTo: 100, editedMinutesAgo: 1 } : {}),
    }));
    for (const message of messages) await store(message);

    const document = JSON.parse(await readAll(exportDocument(sources(3), ALICE, clock.now())));

    expect(document.messages).toEqual(
      messages.map((m) => ({
        chat_id: m.chatId,
        team_id: m.chatId,
        message_id: m.messageId,
        date: ago(m.minutesAgo).toISOString(),
        text: m.text,
        reply_to_message_id: m.replyTo ?? null,
        edited_at: m.editedMinutesAgo === undefined ? null : ago(m.editedMinutesAgo).toISOString(),
      })),
    );
    expect(Object.keys(document.messages[0])).toEqual([
      "chat_id",
      "team_id",
      "message_id",
      "date",
      "text",
      "reply_to_message_id",
      "edited_at",
    ]);
    expect(document.user.id).toBe(ALICE);
    // 8 messages in batches of 3: three statements read them.
    expect(batchReads).toBe(3);
  });

  it("are an empty list for someone with none", async () => {
    const document = JSON.parse(await readAll(exportDocument(sources(3), ALICE, clock.now())));
    expect(document.messages).toEqual([]);
    expect(Object.keys(document).slice(-2)).toEqual(["messages", "audit"]);
  });

  it("are read no faster than a slow reader takes them", async () => {
    // Each batch is larger than the stream's buffer, as a real batch of 1,000 is.
    const BATCHES = 20;
    const PER_BATCH = 10;
    for (let i = 0; i < BATCHES * PER_BATCH; i++) {
      await store({
        chatId: TEAM,
        messageId: i + 1,
        text: `${i} `.padEnd(2000, "x"),
        minutesAgo: 500 - i,
      });
    }

    // The upload's path: grammY turns the document into a Readable and pipes it to the socket.
    const readsAtEachWrite: number[] = [];
    let release: (() => void) | undefined;
    let written: (() => void) | undefined;
    const slowUpload = new Writable({
      highWaterMark: 1,
      write(_chunk, _encoding, done) {
        readsAtEachWrite.push(batchReads);
        release = done;
        written?.();
      },
    });
    const finished = new Promise<void>((resolve, reject) => {
      slowUpload.on("finish", resolve).on("error", reject);
    });
    Readable.from(exportDocument(sources(PER_BATCH), ALICE, clock.now()), {
      objectMode: false,
    }).pipe(slowUpload);

    let ended = false;
    void finished.then(() => {
      ended = true;
      written?.();
    });
    while (!ended) {
      if (!release) await new Promise<void>((resolve) => (written = resolve));
      if (ended) break;
      // The reader dawdles over each chunk: a few round trips on another connection, time
      // in which a producer that read ahead would have sent its next statements.
      for (let i = 0; i < 3; i++) await db.sql`select 1`;
      const done = release;
      release = undefined;
      done?.();
    }
    await finished;

    // The head, a chunk per batch, the tail: 22 writes; and every batch was read once.
    expect(readsAtEachWrite).toHaveLength(BATCHES + 2);
    expect(batchReads).toBe(BATCHES + 1);
    // At the k-th write (the head is the first), the reader has taken k - 1 batches; the
    // producer is at most two ahead (one in the stream's buffer, one being read).
    const readAhead = readsAtEachWrite.map((reads, k) => reads - k);
    expect(Math.max(...readAhead)).toBeLessThanOrEqual(2);
  });

  it("are those of the moment the export began: one written meanwhile is not in it", async () => {
    for (let i = 1; i <= 6; i++) {
      await store({ chatId: TEAM, messageId: i, text: `before ${i}`, minutesAgo: 10 - i });
    }
    const chunks = exportDocument(sources(3), ALICE, clock.now());
    const decoder = new TextDecoder();
    const head = await chunks.next();
    if (head.done) throw new Error("the document ended before it began");

    await store({ chatId: TEAM, messageId: 7, text: "written during the export", minutesAgo: 0 });
    const rest = await readAll({ [Symbol.asyncIterator]: () => chunks });

    const document = JSON.parse(decoder.decode(head.value) + rest);
    expect(document.messages.map((m: { text: string }) => m.text)).toEqual([
      "before 1",
      "before 2",
      "before 3",
      "before 4",
      "before 5",
      "before 6",
    ]);
    const [row] = await db.sql<{ stored: number }[]>`
      select count(*)::int as stored from messages where author_id = ${ALICE}`;
    expect(row?.stored).toBe(7);
  });
});
