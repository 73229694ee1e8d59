import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readFile } from "node:fs/promises";
import { createInterface } from "node:readline";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type OutgoingCall, queueCalls, queuedCount } from "#db/outbox";
import { createVault } from "#db/vault";
import { FakeClock } from "#test/helpers/clock";
import { emptyTables, useTestDatabase } from "#test/helpers/db";
import {
  type ApiCall,
  type FakeTelegram,
  startFakeTelegram,
  tooManyRequests,
} from "#test/helpers/fake-telegram";
import { TEST_SECRETS } from "#test/helpers/secrets";
import { nextTaskId, sealedTaskText } from "#test/helpers/tasks";

/**
 * The outbox across real processes: instances of the sender (sender-process.ts) that are
 * frozen, killed with SIGKILL at the worst moments, or run side by side on one database.
 * Every wait is for something observable: a line on a child's stdout, a call reaching the
 * fake Bot API, a process state, a row count, a lock gone.
 */

const db = useTestDatabase();
const vault = createVault(TEST_SECRETS.encryptionKeys, TEST_SECRETS.hashSecret);
const clock = new FakeClock();
let fake: FakeTelegram;
const started = new Set<ChildProcess>();

beforeAll(async () => {
  fake = await startFakeTelegram();
});
afterAll(async () => {
  await fake.close();
});
afterEach(async () => {
  // Only the processes this file started, also when a test failed halfway.
  await Promise.all([...started].map(killed));
  started.clear();
  await emptyTables(db.sql);
  fake.clear();
});

interface SenderProcess {
  pid: number;
  /** SIGSTOP: frozen with its connections open, as a process stalled by its host. */
  freeze(): Promise<void>;
  /** SIGCONT. */
  thaw(): void;
  /** SIGKILL: no stop(), no unlocking; PostgreSQL learns of it from the closed connections. */
  kill(): Promise<void>;
}

const SENDER_ENTRY = new URL("./sender-process.ts", import.meta.url).pathname;

/** Starts an instance's sender in its own process; resolves once it says "ready". */
async function startSenderProcess(): Promise<SenderProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", SENDER_ENTRY], {
    env: { ...process.env, DATABASE_URL: db.url, TELEGRAM_API_ROOT: fake.apiRoot },
    stdio: ["ignore", "pipe", "inherit"],
  });
  started.add(child);
  const { pid, stdout } = child;
  if (pid === undefined || !stdout) throw new Error("the sender process did not start");
  let ready = false;
  for await (const line of createInterface({ input: stdout })) {
    if (line === "ready") {
      ready = true;
      break;
    }
  }
  if (!ready) throw new Error(`the sender process ended before it was ready (${child.exitCode})`);
  stdout.resume();
  return {
    pid,
    freeze: async () => {
      child.kill("SIGSTOP");
      await expect.poll(() => processState(pid), { timeout: 5000 }).toBe("T");
    },
    thaw: () => {
      child.kill("SIGCONT");
    },
    kill: () => killed(child),
  };
}

async function killed(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGKILL");
  await exited;
}

/** The state letter Linux reports for the process: "T" once a SIGSTOP has taken hold. */
async function processState(pid: number): Promise<string | undefined> {
  const stat = await readFile(`/proc/${pid}/stat`, "utf8");
  // "pid (command) state …": the command may hold spaces and parentheses.
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0];
}

/** Waits until PostgreSQL has noticed a killed sender and let go of the chats it held. */
async function untilNoChatHeld(): Promise<void> {
  await expect
    .poll(
      async () => {
        const [row] = await db.sql<{ held: number }[]>`
          select count(*)::int as held from pg_locks
          where locktype = 'advisory'
            and database = (select oid from pg_database where datname = current_database())`;
        return row?.held;
      },
      { timeout: 10_000 },
    )
    .toBe(0);
}

async function untilQueued(count: number): Promise<void> {
  await expect.poll(() => queuedCount(db.sql), { timeout: 10_000 }).toBe(count);
}

const untilQueueEmpty = () => untilQueued(0);

/** Queues the calls in one transaction, as a change that causes them would. */
async function commit(calls: OutgoingCall[]): Promise<void> {
  await db.sql.begin((tx) => queueCalls(tx, vault, calls, clock.now()));
}

/** `count` numbered messages to the chat, "<label> 1" onwards. */
function messages(chatId: number, label: string, count: number): OutgoingCall[] {
  return Array.from({ length: count }, (_, i) => ({
    chatId,
    method: "sendMessage",
    params: {},
    text: `${label} ${i + 1}`,
  }));
}

const texts = (calls: OutgoingCall[]) => calls.map((call) => call.text);

const isSendTo = (chatId: number, text?: string) => (call: ApiCall) =>
  call.method === "sendMessage" &&
  call.payload.chat_id === chatId &&
  (text === undefined || call.payload.text === text);

const sentMessageId = (call: ApiCall) =>
  call.response?.ok === true ? (call.response.result as { message_id: number }).message_id : null;

const acceptedSends = () =>
  fake.callsOf("sendMessage").filter((call) => call.response?.ok === true).length;

const person = (n: number) => 700_000 + n;
const group = (n: number) => -1_002_000_000_000 - n;

describe("the outbox across crashes (SIGKILL)", () => {
  it("sends what was committed while an instance was frozen, each once and in order, after that instance is killed", async () => {
    const chats = [person(1), person(2), group(1)];
    const first = await startSenderProcess();
    const before = chats.flatMap((chatId) => messages(chatId, "before", 2));
    await commit(before);
    await untilQueueEmpty();
    expect(acceptedSends()).toBe(before.length);

    await first.freeze();
    // Committed while the only instance is alive but can do nothing: it is told (NOTIFY) and dies.
    const after = chats.flatMap((chatId) => messages(chatId, "after", 3));
    await commit(after);
    await first.kill();
    expect(acceptedSends()).toBe(before.length);

    await startSenderProcess();
    await untilQueueEmpty();
    for (const chatId of chats) {
      expect(fake.textsTo(chatId)).toEqual([
        ...texts(messages(chatId, "before", 2)),
        ...texts(messages(chatId, "after", 3)),
      ]);
    }
    expect(acceptedSends()).toBe(before.length + after.length);
  });

  it("sends, each once, the calls of a chat the killed instance held but had not sent", async () => {
    const waiting = person(3);
    fake.failNext("sendMessage", tooManyRequests(60), { chatId: waiting });
    const first = await startSenderProcess();
    await commit([...messages(waiting, "later", 3), ...messages(person(4), "now", 2)]);
    // Refused with a wait (its clock never gets there): the instance holds the chat, sends nothing.
    await fake.waitForCalls((calls) => calls.some(isSendTo(waiting)));
    await untilQueued(3);
    expect(fake.textsTo(waiting)).toEqual([]);

    await first.kill();
    await untilNoChatHeld();
    await startSenderProcess();
    await untilQueueEmpty();
    expect(fake.textsTo(waiting)).toEqual(["later 1", "later 2", "later 3"]);
    expect(fake.textsTo(person(4))).toEqual(["now 1", "now 2"]);
  });

  it("sends a call Telegram accepted just before the crash at most once more, per chat, in order, losing nothing", async () => {
    const team = group(2);
    const inFlight = [
      { chatId: person(5), text: "task 3" },
      { chatId: team, text: "task 2" },
    ];
    const calm = person(6);
    // The group's call in flight posts a task's card: its message_id is to be written back.
    const taskId = await nextTaskId(db.sql);
    await db.sql`insert into teams (id) values (${team})`;
    await db.sql`
      insert into tasks (id, team_id, title)
      values (${taskId}, ${team}, ${sealedTaskText(taskId, "title", "task 2")})`;
    const toTeam = messages(team, "task", 4).map((call) =>
      call.text === "task 2" ? { ...call, writeBack: { groupCardOf: taskId } } : call,
    );
    // Telegram carries these out, but their answers never reach the instance.
    const gate = fake.holdAnswers((call) =>
      inFlight.some(({ chatId, text }) => isSendTo(chatId, text)(call)),
    );
    const first = await startSenderProcess();
    await commit([...messages(person(5), "task", 5), ...toTeam, ...messages(calm, "task", 3)]);
    await fake.waitForCalls(() => gate.held().length === inFlight.length);
    // What stays queued: the two unanswered calls and what follows them in their chats.
    await untilQueued(3 + 3);
    expect(fake.textsTo(calm)).toEqual(["task 1", "task 2", "task 3"]);

    await first.kill();
    gate.open();
    await untilNoChatHeld();
    await startSenderProcess();
    await untilQueueEmpty();
    expect(fake.textsTo(person(5))).toEqual([
      "task 1",
      "task 2",
      "task 3",
      "task 3",
      "task 4",
      "task 5",
    ]);
    expect(fake.textsTo(team)).toEqual(["task 1", "task 2", "task 2", "task 3", "task 4"]);
    expect(fake.textsTo(calm)).toEqual(["task 1", "task 2", "task 3"]);
    // Two cards in the group; the task keeps the one whose answer arrived (later edits go there).
    const cards = fake.callsOf("sendMessage").filter(isSendTo(team, "task 2"));
    const [task] = await db.sql<{ cardMessageId: number | null }[]>`
      select card_message_id from tasks where id = ${taskId}`;
    expect(cards.map(sentMessageId)).toEqual([1001, 1002]);
    expect(task?.cardMessageId).toBe(1002);
  });
});

describe("two instances on one database", () => {
  it("send each of 200 messages to 20 chats once, each chat in order, each instance taking the chats the other does not hold", async () => {
    const chats = Array.from({ length: 20 }, (_, i) =>
      i % 4 === 0 ? group(10 + i) : person(10 + i),
    );
    const firstHalf = chats.slice(0, 10);
    const secondHalf = chats.slice(10);
    // Each chat's first call is held: an instance keeps every chat it took until the gate opens.
    const gate = fake.holdAnswers((call) => call.payload.text === "early 1");

    const first = await startSenderProcess();
    await commit(firstHalf.flatMap((chatId) => messages(chatId, "early", 5)));
    await fake.waitForCalls(() => gate.held().length === 10);

    // The first instance, frozen, still holds its chats: the second one takes only the others.
    await first.freeze();
    await startSenderProcess();
    await commit(secondHalf.flatMap((chatId) => messages(chatId, "early", 5)));
    await fake.waitForCalls(() => gate.held().length === 20);
    const bySecond = gate
      .held()
      .slice(10)
      .map((call) => call.payload.chat_id);
    expect(new Set(bySecond)).toEqual(new Set(secondHalf));

    // Both run; more is committed for every chat while they drain, so chats change hands.
    first.thaw();
    gate.open();
    await commit(chats.flatMap((chatId) => messages(chatId, "late", 5)));
    await untilQueueEmpty();
    for (const chatId of chats) {
      expect(fake.textsTo(chatId)).toEqual([
        ...texts(messages(chatId, "early", 5)),
        ...texts(messages(chatId, "late", 5)),
      ]);
    }
    expect(acceptedSends()).toBe(200);
  });
});
