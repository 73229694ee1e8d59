import { Api } from "grammy";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createIdHasher } from "#bot/lib/logger";
import { createOutboxSender, type OutboxSender } from "#bot/outbox/sender";
import { type OutgoingCall, queueCalls, queuedCount } from "#db/outbox";
import { createVault } from "#db/vault";
import { FakeClock } from "#test/helpers/clock";
import { emptyTables, useTestDatabase } from "#test/helpers/db";
import {
  type ApiCall,
  type FakeTelegram,
  startFakeTelegram,
  TEST_BOT_TOKEN,
  tooManyRequests,
} from "#test/helpers/fake-telegram";
import { captureLogs } from "#test/helpers/logs";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { nextTaskId, sealedTaskText } from "#test/helpers/tasks";

const db = useTestDatabase();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
const hashId = createIdHasher(TEST_SECRETS.hashSecret);
let fake: FakeTelegram;
let clock: FakeClock;
let logs: ReturnType<typeof captureLogs>;
const senders: OutboxSender[] = [];

beforeAll(async () => {
  fake = await startFakeTelegram();
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  await Promise.all(senders.splice(0).map((sender) => sender.stop()));
  await emptyTables(db.sql);
  fake.clear();
});

function freshClock(): FakeClock {
  clock = new FakeClock();
  logs = captureLogs();
  return clock;
}

async function startSender(): Promise<OutboxSender> {
  const sender = createOutboxSender({
    sql: db.sql,
    vault,
    clock,
    log: logs.log,
    hashId,
    api: new Api(TEST_BOT_TOKEN, { apiRoot: fake.apiRoot }),
  });
  senders.push(sender);
  await sender.start();
  return sender;
}

const message = (chatId: number, text: string): OutgoingCall => ({
  chatId,
  method: "sendMessage",
  params: {},
  text,
});

async function queue(...calls: OutgoingCall[]): Promise<void> {
  await queueCalls(db.sql, vault, calls, clock.now());
}

/** The texts Telegram accepted for the chat, in the order it accepted them. */
function accepted(chatId: number): string[] {
  return fake
    .callsOf("sendMessage")
    .filter((call) => call.payload.chat_id === chatId && call.response?.ok)
    .map((call) => String(call.payload.text));
}

const acceptedCount = (calls: ApiCall[]) =>
  calls.filter((call) => call.method === "sendMessage" && call.response?.ok).length;

/** Moves the clock and lets the senders see it (a real service's timers do this themselves). */
function advance(ms: number, ...toWake: OutboxSender[]): void {
  clock.advance(ms);
  for (const sender of toWake) sender.wake();
}

async function untilQueued(count: number): Promise<void> {
  await expect.poll(() => queuedCount(db.sql), { timeout: 3000 }).toBe(count);
}

const untilQueueEmpty = () => untilQueued(0);

/** Waits until the sender has taken in Telegram's answers (what it logs about them). */
async function untilLogged(message: string, count: number): Promise<void> {
  await expect
    .poll(() => logs.lines().filter((line) => line.msg === message).length, { timeout: 3000 })
    .toBe(count);
}

const person = (n: number) => 500_000 + n;
const group = (n: number) => -1_001_000_000_000 - n;

describe("the outbox sender", () => {
  it("sends a call queued before it started, after a crash between commit and send", async () => {
    freshClock();
    await queue(message(person(1), "first"), message(person(1), "second"));
    // The instance that committed these died before sending; a new one takes over.
    const sender = await startSender();
    await untilQueued(1);
    advance(1000, sender);
    await fake.waitForCalls((calls) => acceptedCount(calls) === 2);
    expect(accepted(person(1))).toEqual(["first", "second"]);
    await untilQueueEmpty();
  });

  it("is woken by a commit, and stores texts sealed", async () => {
    freshClock();
    await startSender();
    await db.sql.begin(async (tx) => {
      await queueCalls(tx, vault, [message(person(2), "Ship the release")], clock.now());
      const [row] = await tx<{ sealedText: Buffer; params: unknown }[]>`
        select sealed_text, params from outbox`;
      expect(row?.sealedText.toString("latin1")).not.toContain("Ship the release");
      expect(JSON.stringify(row?.params)).not.toContain("Ship the release");
    });
    await fake.waitForCalls((calls) => acceptedCount(calls) === 1);
    expect(accepted(person(2))).toEqual(["Ship the release"]);
  });

  it("lets 30 chats wait out a 429 while a 31st chat's message goes at once; then sends each of the 30 once, in order", async () => {
    freshClock();
    const flooded = Array.from({ length: 30 }, (_, i) => person(100 + i));
    for (const chatId of flooded) {
      fake.failNext("sendMessage", tooManyRequests(6), { chatId });
    }
    const sender = await startSender();
    await queue(
      ...flooded.flatMap((chatId) => [
        message(chatId, `a to ${chatId}`),
        message(chatId, `b to ${chatId}`),
      ]),
    );
    await untilLogged("outbox: chat told to wait", 30);
    // A second later (30 a second overall was spent), someone else is told something.
    advance(1000, sender);
    await queue(message(person(999), "Your task is done"));
    await fake.waitForCalls((calls) => acceptedCount(calls) === 1);
    expect(accepted(person(999))).toEqual(["Your task is done"]);
    expect(acceptedCount(fake.calls)).toBe(1);
    // Settled before the clock moves on: the send counts from when Telegram answered it.
    await untilQueued(60);

    advance(4999, sender);
    await expect.poll(() => fake.calls.length).toBe(31);
    advance(1, sender);
    await untilQueued(30);
    advance(1000, sender);
    await fake.waitForCalls((calls) => acceptedCount(calls) === 61);
    for (const chatId of flooded) {
      expect(accepted(chatId)).toEqual([`a to ${chatId}`, `b to ${chatId}`]);
    }
    await untilQueueEmpty();
  });

  it("keeps a group at its 20 a minute, in order, without delaying other groups", async () => {
    freshClock();
    const busy = group(1);
    const sender = await startSender();
    await queue(...Array.from({ length: 22 }, (_, i) => message(busy, `update ${i + 1}`)));
    await queue(message(group(2), "hello, second group"));
    await untilQueued(21);
    expect(accepted(group(2))).toEqual(["hello, second group"]);
    for (let second = 1; second < 20; second++) {
      advance(1000, sender);
      await untilQueued(21 - second);
    }
    // 20 in its minute: the group waits; another group does not.
    advance(20_000, sender);
    await queue(message(group(3), "hello, third group"));
    await fake.waitForCalls(() => accepted(group(3)).length === 1);
    expect(accepted(busy)).toHaveLength(20);

    advance(21_000, sender); // 60 s after its first message
    await untilQueued(1);
    advance(1000, sender);
    await fake.waitForCalls(() => accepted(busy).length === 22);
    expect(accepted(busy)).toEqual(Array.from({ length: 22 }, (_, i) => `update ${i + 1}`));
  });

  it("drops a blocked person's queue and marks them blocked", async () => {
    freshClock();
    const blocked = person(3);
    await db.sql`insert into users (id, started_at) values (${blocked}, ${clock.now()})`;
    fake.blockChat(blocked);
    await queue(message(blocked, "one"), message(blocked, "two"), message(person(4), "other"));
    await startSender();
    await fake.waitForCalls((calls) => acceptedCount(calls) === 1);
    await untilQueueEmpty();
    expect(
      fake.callsOf("sendMessage").filter((call) => call.payload.chat_id === blocked),
    ).toHaveLength(1);
    const [user] = await db.sql<{ blockedAt: Date | null }[]>`
      select blocked_at from users where id = ${blocked}`;
    expect(user?.blockedAt).toEqual(clock.now());
  });

  it("logs a 400 with Telegram's reason, without the text, and drops the call", async () => {
    freshClock();
    await queue(
      {
        chatId: person(5),
        method: "sendMessage",
        params: { parse_mode: "HTML" },
        text: "<b>secret plan",
      },
      message(person(5), "next"),
    );
    const sender = await startSender();
    await untilQueued(1);
    advance(1000, sender);
    await fake.waitForCalls(() => accepted(person(5)).length === 1);
    expect(accepted(person(5))).toEqual(["next"]);
    const refusal = logs
      .lines()
      .find((line) => line.msg === "outbox: Telegram refused a call; dropped");
    expect(refusal?.reason).toMatch(/^Bad Request: can't parse entities/);
    expect(logs.raw()).not.toContain("secret plan");
    await untilQueueEmpty();
  });

  it("counts an edit that changes nothing as done, quietly: the card already shows it", async () => {
    freshClock();
    await queue(message(group(7), "#12 Order chairs · done"));
    const sender = await startSender();
    await fake.waitForCalls(() => accepted(group(7)).length === 1);
    const card = fake.lastMessageTo(group(7));
    const edit = (text: string): OutgoingCall => ({
      chatId: group(7),
      method: "editMessageText",
      params: { message_id: card.message_id },
      text,
    });
    await queue(edit("#12 Order chairs · done"), edit("#12 Order chairs · reopened"));
    advance(1000, sender);
    await untilQueued(1);
    const unchanged = fake.callsOf("editMessageText")[0];
    expect(unchanged?.response).toMatchObject({
      ok: false,
      description: expect.stringMatching(/message is not modified/),
    });
    advance(1000, sender);
    await untilQueueEmpty();
    expect(fake.lastMessageTo(group(7)).text).toBe("#12 Order chairs · reopened");
    const messages = logs.lines().map((line) => line.msg);
    expect(messages).not.toContain("outbox: Telegram refused a call; dropped");
  });

  it("drops a call whose text cannot be opened (its key is gone), loudly, without holding up its chat or others", async () => {
    freshClock();
    // Sealed with a key this instance no longer has: a rotation done while it was queued.
    const retired = createVault([Buffer.alloc(32, 3)], TEST_SECRETS.hashSecret);
    await queueCalls(db.sql, retired, [message(person(1), "lost")], clock.now());
    await queue(message(person(1), "after it"), message(person(2), "another chat"));
    await startSender();
    await untilQueueEmpty();
    expect(accepted(person(1))).toEqual(["after it"]);
    expect(accepted(person(2))).toEqual(["another chat"]);
    const dropped = logs
      .lines()
      .filter((line) => line.msg === "outbox: a queued text cannot be opened; dropped");
    expect(dropped).toHaveLength(1);
    expect(logs.raw()).not.toContain("lost");
  });

  it("retries a 5xx after a backoff", async () => {
    freshClock();
    fake.failNext(
      "sendMessage",
      { error_code: 502, description: "Bad Gateway" },
      { chatId: person(6), times: 2 },
    );
    await queue(message(person(6), "eventually"));
    const sender = await startSender();
    await untilLogged("outbox: call failed; retrying", 1);
    advance(1000, sender);
    await untilLogged("outbox: call failed; retrying", 2);
    advance(1999, sender);
    await expect.poll(() => fake.callsOf("sendMessage").length).toBe(2);
    advance(1, sender);
    await fake.waitForCalls(() => accepted(person(6)).length === 1);
    await untilQueueEmpty();
  });

  it("stores a sent card's message_id as its task's group card", async () => {
    freshClock();
    const teamId = group(7);
    const taskId = await nextTaskId(db.sql);
    await db.sql`insert into teams (id) values (${teamId})`;
    await db.sql`
      insert into tasks (id, team_id, title) values (${taskId}, ${teamId}, ${sealedTaskText(taskId, "title", "Card")})`;
    await queue({ ...message(teamId, `#${taskId} Card`), writeBack: { groupCardOf: taskId } });
    await startSender();
    await untilQueueEmpty();
    const messageId = fake.lastMessageTo(teamId).message_id;
    const [task] = await db.sql<{ cardMessageId: number | null }[]>`
      select card_message_id from tasks where id = ${taskId}`;
    expect(task?.cardMessageId).toBe(messageId);
  });

  it("shares the outbox between two senders: each call sent once, each chat in order", async () => {
    freshClock();
    const chats = Array.from({ length: 30 }, (_, i) => person(200 + i));
    const first = await startSender();
    const second = await startSender();
    await queue(...[1, 2, 3, 4].flatMap((n) => chats.map((chatId) => message(chatId, `${n}`))));
    await untilQueued(3 * chats.length);
    advance(1000, first, second);
    await untilQueued(2 * chats.length);
    // One instance goes away (a deploy): the other takes over the chats it held.
    await first.stop();
    for (let n = 3; n <= 4; n++) {
      advance(1000, second);
      await untilQueued((4 - n) * chats.length);
    }
    for (const chatId of chats) expect(accepted(chatId)).toEqual(["1", "2", "3", "4"]);
    await untilQueueEmpty();
  });

  it("holds no chat once stopped, so another sender can take every chat", async () => {
    freshClock();
    const chats = Array.from({ length: 150 }, (_, i) => person(400 + i));
    await queue(...chats.map((chatId) => message(chatId, "one")));
    const first = await startSender();
    await fake.waitForCalls((calls) => acceptedCount(calls) === 30);
    await first.stop();
    const [locks] = await db.sql<{ count: number }[]>`
      select count(*)::int as count from pg_locks
      where locktype = 'advisory'
        and database = (select oid from pg_database where datname = current_database())`;
    expect(locks?.count).toBe(0);
    const second = await startSender();
    for (let sent = 60; sent <= 150; sent += 30) {
      advance(1000, second);
      await fake.waitForCalls((calls) => acceptedCount(calls) === sent);
    }
    for (const chatId of chats) expect(accepted(chatId)).toEqual(["one"]);
    await untilQueueEmpty();
  });
});
