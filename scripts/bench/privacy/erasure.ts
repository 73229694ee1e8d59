import { setTimeout as delay } from "node:timers/promises";
import type { Sql } from "postgres";
import { z } from "zod";
import { plural } from "#bot/lib/text";
import type { ApiCall, FakeTelegram } from "#test/helpers/fake-telegram";
import { type LoadRun, runLoad } from "./load.ts";
import type { Person, Seed } from "./seed.ts";
import type { Service } from "./service.ts";
import { groupTraffic, privateButtonPress, privateCommand } from "./updates.ts";

/**
 * /delete, confirmed with its button, while other chats keep asking for /tasks; and the same
 * /tasks load for the same time with no erasure, as the baseline.
 */

/**
 * Closed loop: four chats' worth of /tasks back to back. Here that keeps the service busy
 * but short of saturation (at ten connections p99 is queueing, erasure or not).
 */
export const TASKS_CONNECTIONS = 4;
export const TASKS_SECONDS = 8;
/** The erasure starts this far into its load run, so it meets a load in full swing. */
export const ERASURE_OFFSET_MS = 2000;
const WARM_UP_SECONDS = 2;

export interface TasksRun extends LoadRun {
  /** /tasks lists that reached the fake Bot API. */
  listsSent: number;
}

export interface ErasureResult {
  /** Button press posted → the webhook answered (the update's transaction has committed). */
  ms: number;
  /** performance.now() bounds of the erasure, to pick the load's requests that overlapped it. */
  from: number;
  to: number;
  baseline: TasksRun;
  during: TasksRun;
  /** Messages of the person still stored afterwards. */
  messagesLeft: number;
  problems: string[];
}

type Timing = Pick<ErasureResult, "ms" | "from" | "to" | "problems">;

export async function measureErasure(
  sql: Sql,
  service: Service,
  fake: FakeTelegram,
  seed: Seed,
  expected: number,
): Promise<ErasureResult> {
  const { exporter } = seed;
  const load = (seconds: number, onStart?: () => void) =>
    runLoad({
      service,
      connections: TASKS_CONNECTIONS,
      run: { seconds },
      next: groupTraffic(seed, () => "/tasks"),
      ...(onStart ? { onStart } : {}),
    });
  const tasksRun = async (seconds: number, onStart?: () => void): Promise<TasksRun> => {
    fake.clear();
    const run = await load(seconds, onStart);
    const listsSent = fake.calls.filter(isListSent).length;
    return { ...run, listsSent };
  };

  await load(WARM_UP_SECONDS);
  const baseline = await tasksRun(TASKS_SECONDS);

  let erasure: Promise<Timing> | undefined;
  const during = await tasksRun(TASKS_SECONDS, () => {
    erasure = delay(ERASURE_OFFSET_MS).then(() => erase(service, fake, exporter, expected));
    // Awaited once the load is over; a failure before then must not count as unhandled.
    erasure.catch(() => {});
  });
  if (!erasure) throw new Error("the load never started");
  const timing = await erasure;
  fake.clear();

  const [left] = await sql<{ messages: number; users: number }[]>`
    select (select count(*)::int from messages where author_id = ${exporter.id}) as messages,
           (select count(*)::int from users where id = ${exporter.id}) as users
  `;
  const problems = [...timing.problems];
  if (!left || left.messages > 0) problems.push(`${left?.messages} messages are still stored`);
  if (left && left.users > 0) problems.push("the user row is still there");
  return { ...timing, baseline, during, messagesLeft: left?.messages ?? Number.NaN, problems };
}

function isListSent(call: ApiCall): boolean {
  const chatId = call.payload.chat_id;
  return (
    call.method === "sendMessage" &&
    call.response?.ok === true &&
    typeof chatId === "number" &&
    chatId < 0
  );
}

const keyboard = z.object({
  inline_keyboard: z.array(z.array(z.object({ callback_data: z.string().optional() }))),
});
const sentMessage = z.object({ message_id: z.number() });

/** As a person does it: /delete, then the "Delete everything" button under the answer. */
async function erase(
  service: Service,
  fake: FakeTelegram,
  person: Person,
  expected: number,
): Promise<Timing> {
  await service.post(privateCommand(person, "/delete"));
  // Replies leave through the outbox after the update's commit, not before the webhook answers.
  const isOffer = (c: ApiCall) =>
    c.method === "sendMessage" && c.payload.chat_id === person.id && c.response?.ok === true;
  await fake.waitForCalls((calls) => calls.some(isOffer), 10_000).catch(() => {});
  const offer = fake.calls.find(isOffer);
  const buttons = keyboard.safeParse(offer?.payload.reply_markup);
  const confirm = buttons.success
    ? buttons.data.inline_keyboard.flat().find((b) => b.callback_data?.startsWith("er:y:"))
    : undefined;
  const message = sentMessage.safeParse(offer?.response?.ok ? offer.response.result : undefined);
  if (!confirm?.callback_data || !message.success) {
    throw new Error("the answer to /delete carried no confirmation button");
  }
  const problems: string[] = [];
  const text = typeof offer?.payload.text === "string" ? offer.payload.text : "";
  // The product's own wording ("100,000 stored messages"), so a change of format cannot
  // pass for a wrong count.
  const counted = plural(expected, "stored message");
  if (!text.includes(counted)) problems.push(`the /delete offer did not count ${counted}`);

  const from = performance.now();
  await service.post(privateButtonPress(person, message.data.message_id, confirm.callback_data));
  const to = performance.now();
  const isDone = (c: ApiCall) =>
    c.method === "editMessageText" &&
    c.payload.chat_id === person.id &&
    typeof c.payload.text === "string" &&
    c.payload.text.startsWith("Done. Your data is deleted");
  await fake.waitForCalls((calls) => calls.some(isDone), 10_000).catch(() => {});
  const confirmed = fake.calls.some(isDone);
  if (!confirmed) problems.push('the bot did not answer "Done. Your data is deleted"');
  return { ms: to - from, from, to, problems };
}
