import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { createTestBot } from "#test/helpers/bot";
import { createTestDatabase, type TestDatabase, withAdmin } from "#test/helpers/db";
import { type FakeTelegram, startFakeTelegram } from "#test/helpers/fake-telegram";
import { alice, makeUpdates } from "#test/helpers/updates";

const SECRET = "down_secret";
let db: TestDatabase;
let telegram: FakeTelegram;

beforeAll(async () => {
  db = await createTestDatabase();
  telegram = await startFakeTelegram();
});
afterAll(async () => {
  await telegram.close();
  await db.drop();
});

/** The database goes away under the running service: its sessions end, it cannot reconnect. */
async function takeDatabaseDown(): Promise<void> {
  const name = new URL(db.url).pathname.slice(1);
  await withAdmin(
    inject("testDatabaseAdminUrl"),
    (admin) => admin`drop database ${admin(name)} with (force)`,
  );
}

describe("while the database is down", () => {
  it("/readyz answers 503, /healthz 200, and the webhook 500 so Telegram delivers the update again", async () => {
    const { app, logs } = createTestBot({
      sql: db.sql,
      telegram,
      env: { BOT_MODE: "webhook", PUBLIC_URL: "https://x.org", WEBHOOK_SECRET: SECRET },
    });
    const updates = makeUpdates();
    const deliver = (text: string) =>
      app.http.request("/telegram/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-telegram-bot-api-secret-token": SECRET },
        body: JSON.stringify(updates.privateText(alice, text)),
      });
    expect((await app.http.request("/readyz")).status).toBe(200);
    expect((await deliver("/newtask Before")).status).toBe(200);

    await takeDatabaseDown();

    const ready = await app.http.request("/readyz");
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({
      error: { code: "not_ready", message: "The database does not answer." },
    });
    expect((await app.http.request("/healthz")).status).toBe(200);
    const delivery = await deliver("/newtask During the outage");
    expect(delivery.status).toBe(500);
    expect(JSON.stringify(await delivery.json())).not.toContain("During the outage");
    expect(telegram.textsTo(alice.id).some((t) => t.includes("During the outage"))).toBe(false);
    expect(logs.raw()).not.toContain("During the outage");
  });
});
