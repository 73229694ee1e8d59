import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { type RotationProgress, rotateKeys } from "#db/rotate";
import { createVault, describeKeyId, keyIdOf } from "#db/vault";
import { createTestBot, useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { lastExport } from "#test/helpers/exports";
import { base64, TEST_SECRETS } from "#test/helpers/secrets";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();
const run = promisify(execFile);
const oldKey = TEST_SECRETS.encryptionKeys[0] ?? Buffer.alloc(32);
const newKey = Buffer.alloc(32, 77);
const ring = createVault([newKey, oldKey], TEST_SECRETS.hashSecret);

/** Names, messages, tasks and a form in progress, all sealed with the old key by the bot. */
async function dataSealedWithTheOldKey() {
  await h.bot.send(h.updates.privateText(alice, "/consent"));
  await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "Record my messages"));
  for (const text of ["one", "two", "three", "four", "five"]) {
    await h.bot.send(h.updates.groupText(team, alice, text));
  }
  await h.bot.send(h.updates.groupText(team, bob, "hi"));
  // A task with a title only, and one made from a long message: title and description.
  await h.bot.send(h.updates.groupText(team, alice, "/newtask Water the plants"));
  const long = h.updates.groupText(team, bob, `Order coffee. ${"We ran out again. ".repeat(12)}`);
  await h.bot.send(long);
  await h.bot.send(
    h.updates.groupText(team, alice, "/task", { replyTo: h.updates.lastMessage(long) }),
  );
  await h.bot.send(h.updates.privateText(alice, "/newtask"));
}

async function keyIdsInUse(): Promise<string[]> {
  const rows = await h.sql<{ keyId: Buffer }[]>`
    select substring(first_name from 2 for 4) as key_id from users
    union select substring(username from 2 for 4) from users where username is not null
    union select substring(text from 2 for 4) from messages
    union select substring(state from 2 for 4) from conversations
    union select substring(title from 2 for 4) from tasks
    union select substring(description from 2 for 4) from tasks where description is not null`;
  return rows.map((row) => describeKeyId(row.keyId)).sort();
}

describe("key rotation", () => {
  it("re-seals every value with the first key, after which the old key can go", async () => {
    await dataSealedWithTheOldKey();
    expect(await keyIdsInUse()).toEqual([describeKeyId(keyIdOf(oldKey))]);

    const done = await rotateKeys(h.sql, ring, { batchSize: 2 });

    expect(done).toEqual({ users: 2, messages: 5, conversations: 1, tasks: 2 });
    expect(await keyIdsInUse()).toEqual([describeKeyId(keyIdOf(newKey))]);
    const rotated = createTestBot({
      sql: h.sql,
      telegram: h.telegram,
      clock: h.bot.clock,
      secrets: { ...TEST_SECRETS, encryptionKeys: [newKey] },
    });
    await rotated.send(h.updates.privateText(alice, "Ship the release"));
    await rotated.send(h.updates.privateText(alice, "/export"));
    const data = lastExport(h.telegram);
    expect(data.user).toMatchObject({ first_name: "Alice", username: "alice" });
    expect(data.messages.map((m) => m.text)).toEqual(["one", "two", "three", "four", "five"]);
    // Task texts, re-sealed, open with the new key alone: in cards, lists and the export.
    expect((data.tasks_created as Array<{ title: string }>).map((t) => t.title)).toEqual([
      "Water the plants",
      expect.stringMatching(/^Order coffee\. We ran out again\./),
    ]);
    await rotated.send(h.updates.groupText(team, alice, "/tasks"));
    expect(h.telegram.lastMessageTo(team.id).text).toContain("Water the plants");
    // The form in progress (sealed, then re-sealed) took the title and asks the next step.
    expect(h.telegram.textsTo(alice.id)).toContain(
      "Add a description (up to 4000 characters), or /skip.",
    );
  });

  it("continues where an interrupted run stopped", async () => {
    await dataSealedWithTheOldKey();
    const seen: RotationProgress[] = [];
    await expect(
      rotateKeys(h.sql, ring, {
        batchSize: 2,
        onProgress: (progress) => {
          seen.push(progress);
          if (progress.table === "messages") throw new Error("power cut");
        },
      }),
    ).rejects.toThrow("power cut");
    expect(seen.at(-1)).toEqual({ table: "messages", resealed: 2, total: 5 });

    const rest = await rotateKeys(h.sql, ring, { batchSize: 2 });
    expect(rest).toEqual({ users: 0, messages: 3, conversations: 1, tasks: 2 });
    expect(await keyIdsInUse()).toEqual([describeKeyId(keyIdOf(newKey))]);
  });

  it("does nothing when everything is sealed by the first key already", async () => {
    await dataSealedWithTheOldKey();
    await rotateKeys(h.sql, ring);
    expect(await rotateKeys(h.sql, ring)).toEqual({
      users: 0,
      messages: 0,
      conversations: 0,
      tasks: 0,
    });
  });

  it("names the missing key when a value was sealed by a key outside the ring", async () => {
    await dataSealedWithTheOldKey();
    const withoutOld = createVault([newKey], TEST_SECRETS.hashSecret);
    await expect(rotateKeys(h.sql, withoutOld)).rejects.toThrow(
      `encrypted with key ${describeKeyId(keyIdOf(oldKey))}, which is not in ENCRYPTION_KEYS`,
    );
  });
});

describe("npm run keys:rotate", () => {
  const script = (env: Record<string, string>) =>
    run(process.execPath, ["--import", "tsx", "scripts/keys-rotate.ts"], {
      env: {
        PATH: process.env.PATH ?? "",
        BOT_TOKEN: "123456:TEST-token-for-the-fake-api",
        ...env,
      },
    });

  it("re-seals the database named by DATABASE_URL with the first key and says so", async () => {
    await dataSealedWithTheOldKey();
    const { stdout } = await script({
      DATABASE_URL: h.url,
      ENCRYPTION_KEYS: `${base64(newKey)},${base64(oldKey)}`,
      HASH_SECRET: base64(TEST_SECRETS.hashSecret),
    });
    expect(stdout).toContain(
      `Re-sealing stored values with key ${describeKeyId(keyIdOf(newKey))} (the first of 2 keys).`,
    );
    expect(stdout).toContain("Done: 2 users, 5 messages, 1 form states, 2 tasks re-sealed.");
    expect(await keyIdsInUse()).toEqual([describeKeyId(keyIdOf(newKey))]);
  }, 30_000);

  it("refuses a malformed key list with a clear message and changes nothing", async () => {
    await dataSealedWithTheOldKey();
    const failure = await script({
      DATABASE_URL: h.url,
      ENCRYPTION_KEYS: `${base64(newKey)},not-a-key`,
      HASH_SECRET: base64(TEST_SECRETS.hashSecret),
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("ENCRYPTION_KEYS key 2 is not base64 of 32 bytes"),
    });
    expect(await keyIdsInUse()).toEqual([describeKeyId(keyIdOf(oldKey))]);
  }, 30_000);
});
