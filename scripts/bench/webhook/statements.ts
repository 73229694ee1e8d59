import { randomBytes } from "node:crypto";
import { Api } from "grammy";
import type { Update, User } from "grammy/types";
import { createApp } from "#bot/app";
import { loadConfig } from "#bot/config";
import { systemClock } from "#bot/lib/clock";
import { createIdHasher, createLogger } from "#bot/lib/logger";
import { createOutboxSender } from "#bot/outbox/sender";
import { createSql } from "#db/client";
import { createVault } from "#db/vault";
import { type FakeTelegram, TEST_BOT_INFO, TEST_BOT_TOKEN } from "#test/helpers/fake-telegram";
import { UNPACED } from "#test/helpers/limits";
import type { Seed } from "./seed.ts";

/** A group of its own: the seeded tasks are sealed with the keys of the last service run. */
const COUNTING_CHAT = { id: -1_009_999_999_999, type: "supergroup" as const, title: "Counting" };

/**
 * Statements each kind of update costs once its people are known to the process, counted
 * at postgres.js's debug hook on the benchmark's database (test/ingest/statements.test.ts
 * asserts the same counts as bounds).
 */
export async function countStatements(
  env: NodeJS.ProcessEnv,
  seed: Seed,
  fake: FakeTelegram,
): Promise<Record<"chatter" | "/tasks" | "Done button" | "/newtask one-line", number>> {
  let statements = 0;
  const config = loadConfig({ ...env, BOT_MODE: "polling" });
  const sql = createSql(config.databaseUrl ?? "", {
    max: 4,
    onStatement: () => {
      statements += 1;
    },
  });
  const secrets = { encryptionKeys: [randomBytes(32)], hashSecret: randomBytes(32) };
  const app = createApp({
    config,
    sql,
    clock: systemClock,
    log: createLogger("error"),
    secrets,
    botInfo: TEST_BOT_INFO,
    throttle: false,
    rateLimit: { limit: 1_000_000, windowMs: 1000 },
  });
  try {
    const member = seed.users[0];
    if (!member) throw new Error("the seed has no users");
    const from: User = {
      id: member.id,
      is_bot: false,
      first_name: member.firstName,
      username: member.username,
    };
    const groupChat = COUNTING_CHAT;
    let updateId = 90_000_000;
    let messageId = 900_000;
    const date = Math.floor(Date.now() / 1000);
    const text = (body: string): Update => ({
      update_id: ++updateId,
      message: {
        message_id: ++messageId,
        date,
        chat: groupChat,
        from,
        text: body,
        ...(body.startsWith("/")
          ? {
              entities: [
                { type: "bot_command", offset: 0, length: body.split(" ")[0]?.length ?? 1 },
              ],
            }
          : {}),
      },
    });
    const cost = async (update: Update) => {
      const before = statements;
      await app.bot.handleUpdate(update);
      return statements - before;
    };
    await sql`select 1`;
    // Warm the caches (the person, the group, the membership) and post a first card.
    await app.bot.handleUpdate(text("good morning"));
    await app.bot.handleUpdate(text("/newtask Warm the caches"));
    const counts = {
      chatter: await cost(text("the deploy is green")),
      "/tasks": await cost(text("/tasks")),
      "/newtask one-line": await cost(text("/newtask Renew the certificate")),
    };
    // The card waits in the outbox: sent by a sender of its own, on a pool that is not counted.
    await deliverOutbox(config.databaseUrl ?? "", secrets, fake);
    const card = fake.lastMessageTo(COUNTING_CHAT.id);
    const taskId = /#(\d+)/.exec(card.text ?? "")?.[1];
    if (taskId === undefined) throw new Error("the card names no task");
    return {
      ...counts,
      "Done button": await cost({
        update_id: ++updateId,
        callback_query: {
          id: `count-${updateId}`,
          from,
          chat_instance: `count${-COUNTING_CHAT.id}`,
          message: {
            message_id: card.message_id,
            date,
            chat: groupChat,
            from: TEST_BOT_INFO,
            text: `Task #${taskId}`,
          },
          data: `t:s:${taskId}:d`,
        },
      }),
    };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Sends what the outbox holds, as the service's sender does after a commit, and waits. */
async function deliverOutbox(
  url: string,
  secrets: { encryptionKeys: Buffer[]; hashSecret: Buffer },
  fake: FakeTelegram,
): Promise<void> {
  const sql = createSql(url, { max: 2 });
  const sender = createOutboxSender({
    sql,
    vault: createVault(secrets.encryptionKeys, secrets.hashSecret),
    clock: systemClock,
    log: createLogger("error"),
    hashId: createIdHasher(secrets.hashSecret),
    api: new Api(TEST_BOT_TOKEN, { apiRoot: fake.apiRoot }),
    limits: UNPACED,
  });
  await sender.start();
  try {
    const deadline = Date.now() + 10_000;
    while ((await sql`select 1 from outbox where chat_id = ${COUNTING_CHAT.id}`).length > 0) {
      if (Date.now() > deadline) throw new Error("the outbox was not delivered within 10 s");
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  } finally {
    await sender.stop();
    await sql.end({ timeout: 5 });
  }
}
