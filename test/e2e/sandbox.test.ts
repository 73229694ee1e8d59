import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SANDBOX_GROUP } from "#bot/sandbox/people";
import type { Sandbox } from "#bot/sandbox/start";
import { useTestDatabase } from "#test/helpers/db";
import { startTestSandbox } from "#test/helpers/sandbox";
import { storedTaskFields } from "#test/helpers/tasks";
import { launchChromium } from "./telegram-env.ts";

/**
 * A newcomer's first minutes, through the sandbox page in Chromium: the real service with
 * the in-process Bot API emulator, driven only by what a person clicks and types.
 */

/** Where the pictures for the README go: set by `npm run screenshots` only. */
const SCREENSHOTS = process.env.SCREENSHOTS_DIR;
const ALICE = 101;
const BOB = 102;
const TIMEOUT = { timeout: 120_000 };
/** What the service does after a click may take seconds on a loaded machine. */
const POLL = { timeout: 20_000, interval: 50 };
const db = useTestDatabase();

let sandbox: Sandbox | undefined;
let context: BrowserContext | undefined;
let profile: string | undefined;
let base = "";

beforeAll(async () => {
  const running = await startTestSandbox(db.sql);
  sandbox = running.sandbox;
  base = running.base;
  profile = mkdtempSync(join(tmpdir(), "sandbox-e2e-"));
  context = await launchChromium(profile, { width: 1280, height: 860 });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await sandbox?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const chatsOf = (page: Page) => page.getByRole("navigation", { name: "Chats" });
const messageField = (page: Page) => page.getByRole("combobox", { name: "Message" });

async function say(page: Page, text: string): Promise<void> {
  await messageField(page).fill(text);
  await page.getByRole("button", { name: "Send" }).click();
}

async function switchTo(page: Page, name: string): Promise<void> {
  await page.getByRole("group", { name: "You are" }).getByRole("button", { name }).click();
}

async function openPrivateChat(page: Page): Promise<void> {
  await chatsOf(page)
    .getByRole("button", { name: /task_tracker_sandbox/ })
    .click();
}

async function openGroup(page: Page): Promise<void> {
  await chatsOf(page)
    .getByRole("button", { name: new RegExp(SANDBOX_GROUP.title) })
    .click();
}

describe("the sandbox, as a newcomer uses it", () => {
  it(
    "consent, a task in the group, the Mini App's edit on the group card, Done, export, erasure (screenshots)",
    async () => {
      if (!context) throw new Error("the browser did not start");
      const page = await context.newPage();
      await page.goto(`${base}/sandbox`);

      // Alice starts the bot in private and consents to recording her group messages.
      await openPrivateChat(page);
      await say(page, "/start");
      await page
        .getByText(/\/newtask/)
        .first()
        .waitFor();
      await say(page, "/consent");
      await page.getByRole("button", { name: "Record my messages" }).last().click();
      await expect
        .poll(
          async () => (await db.sql`select consent_version from users where id = ${ALICE}`)[0],
          POLL,
        )
        .toMatchObject({ consentVersion: expect.any(Number) });

      // In the group, one line makes a task for Bob; its card appears.
      await openGroup(page);
      await say(page, "/newtask Prepare the demo @bobby tomorrow !high");
      await expect
        .poll(() => storedTaskFields(db.sql, ["title", "assigneeId", "priority"]), POLL)
        .toEqual([{ title: "Prepare the demo", assigneeId: BOB, priority: "high" }]);
      await page.getByRole("button", { name: /Done/ }).last().waitFor();

      // Bob opens the Mini App from his chat's menu button and renames the task there.
      await switchTo(page, "Bob");
      await openPrivateChat(page);
      await page.getByRole("button", { name: "Tasks" }).click();
      const app = page.frameLocator('iframe[title="Task Tracker Mini App"]');
      await app.locator("[data-task-id]", { hasText: "Prepare the demo" }).click();
      const title = app.getByLabel("Title", { exact: true });
      await expect.poll(() => title.inputValue(), POLL).toBe("Prepare the demo");
      await title.fill("Prepare the live demo");
      await page.getByRole("button", { name: "Save" }).click();
      await expect
        .poll(async () => (await storedTaskFields(db.sql, ["title"]))[0], POLL)
        .toEqual({ title: "Prepare the live demo" });
      // The group's card says so, edited in place.
      await openGroup(page);
      await page.getByText("Prepare the live demo").last().waitFor();
      // The sandbox as the README shows it, in both themes (saved only by npm run screenshots).
      if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
      for (const theme of ["light", "dark"] as const) {
        const picture = await page.screenshot(
          SCREENSHOTS ? { path: join(SCREENSHOTS, `sandbox-${theme}.png`) } : {},
        );
        expect(picture.length).toBeGreaterThan(0);
        await page.getByRole("switch", { name: "Dark theme" }).click();
      }
      await page.getByRole("button", { name: "Close the Mini App" }).click();

      // Done from the card.
      await page.getByRole("button", { name: /Done/ }).last().click();
      await expect
        .poll(async () => (await storedTaskFields(db.sql, ["status"]))[0], POLL)
        .toEqual({ status: "done" });

      // Alice exports her data in private: the file downloads and holds her task.
      await switchTo(page, "Alice");
      await openPrivateChat(page);
      await say(page, "/export");
      const download = page.waitForEvent("download");
      await page.getByRole("link", { name: /task-tracker-export/ }).click();
      const file = await (await download).path();
      const exported = JSON.parse(readFileSync(file, "utf8")) as {
        user: { id: number };
        tasks_created: Array<{ title: string }>;
      };
      expect(exported.user.id).toBe(ALICE);
      expect(exported.tasks_created.map((t) => t.title)).toEqual(["Prepare the live demo"]);

      // And erases it, after confirming.
      const offers = page.getByRole("button", { name: "Delete everything" });
      const before = await offers.count();
      await say(page, "/delete");
      // The confirmation this /delete asks for (an export's message may carry an earlier one).
      await expect.poll(() => offers.count(), POLL).toBe(before + 1);
      await offers.last().click();
      await expect
        .poll(async () => (await db.sql`select 1 from users where id = ${ALICE}`).length, POLL)
        .toBe(0);
      await page.close();
    },
    TIMEOUT.timeout,
  );
});
