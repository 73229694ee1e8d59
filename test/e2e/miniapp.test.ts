import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type ServerType, serve } from "@hono/node-server";
import type { BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { apiClient, initDataFor } from "#test/helpers/api";
import { giveConsent, useBotHarness } from "#test/helpers/bot";
import { TEST_BOT_INFO } from "#test/helpers/fake-telegram";
import { storedTaskFields } from "#test/helpers/tasks";
import { alice, bob, carol, type TestUser, team } from "#test/helpers/updates";
import {
  backButtonVisible,
  DARK,
  effectsFlushed,
  emit,
  fontsReady,
  type InPage,
  LIGHT,
  launchChromium,
  mainButton,
  type Palette,
  preparePage,
  tabOrder,
  tmaCalls,
  unnamedControls,
  waitForMainButton,
} from "./telegram-env.ts";

/**
 * The Mini App in a real Chromium, served by the service over HTTP (this run's production
 * build, made by global-setup.ts), inside a Telegram client mocked by the SDK's own
 * mockTelegramEnv. Data is set up through the bot and the API as people would, and checked
 * both on the page and in the database.
 */

/** Where the screenshots test saves its pictures: set by `npm run screenshots` only. */
const SCREENSHOTS = process.env.SCREENSHOTS_DIR;
const TEST_TIMEOUT = { timeout: 60_000 };

const h = useBotHarness();
const call = apiClient(h);

let context: BrowserContext | undefined;
let server: ServerType | undefined;
let profile: string | undefined;
let baseUrl = "";
const pages: Page[] = [];

beforeAll(async () => {
  // Each test gets a new bot (useBotHarness): the server asks whichever is current.
  const port = await new Promise<number>((resolve) => {
    server = serve(
      {
        fetch: (request, env) => h.bot.app.http.fetch(request, env),
        hostname: "127.0.0.1",
        port: 0,
      },
      (info) => resolve(info.port),
    );
  });
  baseUrl = `http://127.0.0.1:${port}/`;
  profile = mkdtempSync(join(tmpdir(), "miniapp-e2e-"));
  context = await launchChromium(profile, { width: 390, height: 844 });
});

afterEach(async () => {
  for (const page of pages.splice(0)) await page.close();
  // One browser profile serves every test: each starts on a device that kept no list.
  const blank = await browser().newPage();
  await blank.goto(`${baseUrl}bot.json`);
  await blank.evaluate(() =>
    (globalThis as unknown as { localStorage: { clear(): void } }).localStorage.clear(),
  );
  await blank.close();
});

afterAll(async () => {
  await context?.close();
  if (server) {
    const http = server as Server;
    http.closeAllConnections();
    await new Promise<void>((resolve) => http.close(() => resolve()));
  }
  if (profile) rmSync(profile, { recursive: true, force: true });
});

function browser(): BrowserContext {
  if (!context) throw new Error("the browser did not start");
  return context;
}

/** Opens the Mini App as `user` would from Telegram: init data signed a minute ago. */
async function openApp(
  user: TestUser,
  options: { theme?: Palette; startParam?: string } = {},
): Promise<Page> {
  const authDate = new Date(h.bot.clock.now().getTime() - 60_000);
  const page = await preparePage(browser(), {
    initData: initDataFor(user, authDate),
    now: h.bot.clock.now(),
    ...options,
  });
  pages.push(page);
  await page.goto(baseUrl);
  return page;
}

type Json = Record<string, unknown>;

async function createTask(user: TestUser, json: Json): Promise<Json & { id: number }> {
  const response = await call(user, "POST", "/api/tasks", { json });
  expect(response.status, response.text).toBe(201);
  return response.body as Json & { id: number };
}

const rows = (page: Page) => page.locator("[data-task-id]");
const row = (page: Page, title: string) => page.locator("[data-task-id]", { hasText: title });
const bodyText = (page: Page) => page.locator("body").textContent();
const STALE_NOTE = "Your list from last time — updating…";

/** Waits until the list on screen is the fresh one, not the one kept on the device. */
async function freshList(page: Page): Promise<void> {
  await page.locator("[data-task-id], .state").first().waitFor();
  await page.getByText(STALE_NOTE).waitFor({ state: "detached" });
}

/** The lists the app keeps in this browser's localStorage, with their titles. */
function keptLists(page: Page): Promise<Array<{ key: string; titles: string[] }>> {
  return page.evaluate(() => {
    const storage = (
      globalThis as unknown as {
        localStorage: {
          length: number;
          key(i: number): string | null;
          getItem(k: string): string | null;
        };
      }
    ).localStorage;
    const kept: Array<{ key: string; titles: string[] }> = [];
    for (let i = 0; i < storage.length; i++) {
      const key = storage.key(i);
      if (!key?.startsWith("task-tracker:list:")) continue;
      const tasks = JSON.parse(storage.getItem(key) ?? "[]") as Array<{ title: string }>;
      kept.push({ key, titles: tasks.map((task) => task.title) });
    }
    return kept;
  });
}

/** Every control has a name, and Tab walks them in document order. */
async function expectAccessible(page: Page, screen: string): Promise<void> {
  expect(await unnamedControls(page), `${screen}: controls without a name`).toEqual([]);
  const order = await tabOrder(page);
  expect(order.expected.length, `${screen}: focusable controls`).toBeGreaterThan(0);
  expect(order.visited, `${screen}: Tab order`).toEqual(order.expected);
}

async function openPrivacy(page: Page): Promise<void> {
  await page.getByRole("button", { name: "Privacy", exact: true }).click();
  await page.getByRole("heading", { name: "Your privacy" }).waitFor();
}

/** Holds the page's requests matching `pattern` until the returned function is called. */
async function holdRequests(page: Page, pattern: string): Promise<() => void> {
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  await page.route(pattern, async (route) => {
    await held;
    await route.continue();
  });
  return release;
}

describe("the Mini App in Chromium", () => {
  it(
    "creates, edits and completes a task; the bot then lists it as done",
    TEST_TIMEOUT,
    async () => {
      const page = await openApp(alice);
      await page.getByText("No tasks yet — create one").waitFor();
      await waitForMainButton(page, "New task");
      expect(await backButtonVisible(page)).toBe(false);
      await expectAccessible(page, "empty list");

      await emit(page, "main_button_pressed");
      await page.getByRole("form", { name: "New task" }).waitFor();
      await waitForMainButton(page, "Create");
      await expect.poll(() => backButtonVisible(page)).toBe(true);
      await page.getByLabel("Title", { exact: true }).fill("Write the report");
      // The list opens on "Assigned to me": the task is Alice's own.
      await page.getByLabel("Assignee").selectOption({ label: "Me" });
      // The form hands the MainButton a new click handler in an effect after each change;
      // pressed before that has run, it submits the previous draft (an app bug, reported).
      await effectsFlushed(page);
      await waitForMainButton(page, "Create");
      await emit(page, "main_button_pressed");

      await row(page, "Write the report").waitFor();
      await waitForMainButton(page, "New task");
      const [created] = await storedTaskFields(h.sql, [
        "id",
        "title",
        "status",
        "teamId",
        "creatorId",
        "assigneeId",
      ]);
      expect(created).toMatchObject({
        title: "Write the report",
        status: "open",
        teamId: null,
        creatorId: alice.id,
        assigneeId: alice.id,
      });
      expect(await row(page, "Write the report").getAttribute("data-task-id")).toBe(
        String(created?.id),
      );
      await expectAccessible(page, "list");

      await row(page, "Write the report").click();
      const title = page.getByLabel("Title", { exact: true });
      await expect.poll(() => title.inputValue()).toBe("Write the report");
      await waitForMainButton(page, "Mark done");
      await expectAccessible(page, "task");

      await title.fill("Write the final report");
      await waitForMainButton(page, "Save");
      await emit(page, "main_button_pressed");
      await waitForMainButton(page, "Mark done");
      expect(await storedTaskFields(h.sql, ["title", "status"])).toEqual([
        { title: "Write the final report", status: "open" },
      ]);

      await emit(page, "main_button_pressed");
      await waitForMainButton(page, "Reopen");
      const [done] = await storedTaskFields(h.sql, ["title", "status", "doneAt"]);
      expect(done).toMatchObject({ title: "Write the final report", status: "done" });
      expect(done?.doneAt).toBeInstanceOf(Date);

      // Back to the list: the open list is empty again, the done one has it.
      await emit(page, "back_button_pressed");
      await page.getByText("No tasks yet — create one").waitFor();
      await expect.poll(() => backButtonVisible(page)).toBe(false);
      await page.getByRole("checkbox", { name: "Done" }).check();
      await row(page, "Write the final report").waitFor();

      await h.bot.send(h.updates.privateText(alice, "/tasks done"));
      expect(h.telegram.lastMessageTo(alice.id).text).toContain("Write the final report");
    },
  );

  it(
    "never shows a team's task to a non-member, even opened from the team's link",
    TEST_TIMEOUT,
    async () => {
      await h.bot.send(h.updates.groupText(team, alice, "hello"));
      await h.bot.send(h.updates.privateText(carol, "/start"));
      const secret = await createTask(alice, {
        title: "Team secret plan",
        teamId: team.id,
        assigneeId: alice.id,
      });

      // The same link works for a member: the team's list, with the task.
      const member = await openApp(alice, { startParam: `team_${team.id}` });
      await row(member, "Team secret plan").waitFor();
      expect(await member.getByRole("tab", { name: "Team" }).getAttribute("aria-selected")).toBe(
        "true",
      );

      const page = await openApp(carol, { startParam: `team_${team.id}` });
      await page.getByText("No tasks yet — create one").waitFor();
      expect(await page.getByRole("tab").allInnerTexts()).toEqual([
        "Assigned to me",
        "Created by me",
      ]);
      await page.getByRole("tab", { name: "Created by me" }).click();
      await expect
        .poll(() => page.getByRole("tab", { name: "Created by me" }).getAttribute("aria-selected"))
        .toBe("true");
      await page.getByText("No tasks yet — create one").waitFor();
      await page.getByRole("checkbox", { name: "Done" }).check();
      await page.getByText("Nothing completed yet").waitFor();
      expect(await bodyText(page)).not.toContain("Team secret plan");
      expect(await rows(page).count()).toBe(0);

      // Asking the API directly, with her own credentials from inside the app.
      const answers = await page.evaluate(
        async ({ teamId, taskId }) => {
          const raw = (globalThis as unknown as InPage).telegramApps.sdk.retrieveRawInitData();
          const headers = { authorization: `tma ${raw}` };
          const list = await fetch(`/api/tasks?teamId=${teamId}`, { headers });
          const one = await fetch(`/api/tasks/${taskId}`, { headers });
          const members = await fetch(`/api/teams/${teamId}/members`, { headers });
          return [
            { status: list.status, text: await list.text() },
            { status: one.status, text: await one.text() },
            { status: members.status, text: await members.text() },
          ];
        },
        { teamId: team.id, taskId: secret.id },
      );
      for (const answer of answers) {
        expect(answer.status, answer.text).toBe(404);
        expect(answer.text).not.toContain("Team secret plan");
      }
    },
  );

  it(
    "turns consent on and off from the Privacy tab, recorded as from the Mini App",
    TEST_TIMEOUT,
    async () => {
      const page = await openApp(alice);
      await waitForMainButton(page, "New task");
      await openPrivacy(page);
      const toggle = page.getByRole("switch", { name: "Record my group messages" });
      expect(await toggle.getAttribute("aria-checked")).toBe("false");
      await expectAccessible(page, "privacy");

      await toggle.click();
      await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("true");
      expect(
        await h.sql`select granted, source from consents where user_id = ${alice.id} order by id`,
      ).toEqual([{ granted: true, source: "miniapp" }]);

      await toggle.click();
      await expect.poll(() => toggle.getAttribute("aria-checked")).toBe("false");
      expect(
        await h.sql`select granted, source from consents where user_id = ${alice.id} order by id`,
      ).toEqual([
        { granted: true, source: "miniapp" },
        { granted: false, source: "miniapp" },
      ]);
    },
  );

  it("downloads my data as a JSON file", TEST_TIMEOUT, async () => {
    await h.bot.send(h.updates.groupText(team, alice, "hello"));
    await giveConsent(h, alice);
    await h.bot.send(h.updates.groupText(team, alice, "my words"));
    const page = await openApp(alice);
    await openPrivacy(page);

    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Download my data" }).click(),
    ]);
    expect(download.suggestedFilename()).toBe(`task-tracker-export-${alice.id}.json`);
    const data = JSON.parse(readFileSync(await download.path(), "utf8")) as {
      user: { id: number };
      messages: Array<{ text: string }>;
    };
    expect(data.user.id).toBe(alice.id);
    expect(data.messages.map((message) => message.text)).toEqual(["my words"]);
    expect(await h.sql`select action from audit_log where action = 'export.made'`).toEqual([
      { action: "export.made" },
    ]);
  });

  it("deletes everything about me once I type DELETE", TEST_TIMEOUT, async () => {
    await h.bot.send(h.updates.groupText(team, alice, "hello"));
    await createTask(alice, { title: "Private errand" });
    const page = await openApp(alice);
    await openPrivacy(page);

    const erase = page.getByRole("button", { name: "Delete everything" });
    expect(await erase.isDisabled()).toBe(true);
    await page.getByRole("textbox", { name: /Type DELETE to confirm/ }).fill("DELETE");
    await expect.poll(() => erase.isDisabled()).toBe(false);
    await erase.click();

    await page.getByRole("status").filter({ hasText: "Your data is deleted." }).waitFor();
    expect(await h.sql`select id from users where id = ${alice.id}`).toEqual([]);
    expect(await h.sql`select id from tasks`).toEqual([]);
    expect(await h.sql`select user_id from team_members where user_id = ${alice.id}`).toEqual([]);
  });

  it(
    "outside Telegram, says to open it from Telegram and links to the bot",
    TEST_TIMEOUT,
    async () => {
      const page = await preparePage(browser(), { initData: null });
      pages.push(page);
      await page.goto(baseUrl);
      await page.getByRole("heading", { name: "Open this app from Telegram" }).waitFor();
      const link = page.getByRole("link", { name: `@${TEST_BOT_INFO.username}` });
      expect(await link.getAttribute("href")).toBe(`https://t.me/${TEST_BOT_INFO.username}`);
    },
  );

  it(
    "paints the main screens in the light and the dark theme (screenshots)",
    TEST_TIMEOUT,
    async () => {
      // A test run writes no tracked file: the pictures in docs/ come from `npm run screenshots`.
      const shoot = async (page: Page, name: string) => {
        const picture = await page.screenshot(SCREENSHOTS ? { path: join(SCREENSHOTS, name) } : {});
        expect(picture.length, name).toBeGreaterThan(0);
      };
      if (SCREENSHOTS) mkdirSync(SCREENSHOTS, { recursive: true });
      await h.bot.send(h.updates.groupText(team, alice, "hello"));
      await h.bot.send(h.updates.groupText(team, bob, "hi"));
      const day = 24 * 60 * 60 * 1000;
      const now = h.bot.clock.now().getTime();
      await createTask(alice, {
        title: "Reply to the supplier",
        priority: "low",
        assigneeId: alice.id,
        dueAt: new Date(now - day).toISOString(),
      });
      await createTask(alice, {
        title: "Book the meeting room",
        assigneeId: alice.id,
        dueAt: new Date(now + 3 * day).toISOString(),
      });
      await createTask(bob, {
        title: "Review the onboarding checklist",
        teamId: team.id,
        assigneeId: alice.id,
      });
      await createTask(alice, {
        title: "Prepare the quarterly report",
        description: "Numbers from finance, the roadmap, and the hiring plan.",
        teamId: team.id,
        assigneeId: alice.id,
        priority: "high",
        dueAt: new Date(now + day).toISOString(),
      });

      for (const [name, theme] of [
        ["light", LIGHT],
        ["dark", DARK],
      ] as const) {
        const page = await openApp(alice, { theme });
        await freshList(page);
        await expect.poll(() => rows(page).count()).toBe(4);
        // The palette from Telegram is what the page is painted with.
        expect(
          await page.evaluate(() => {
            const w = globalThis as unknown as InPage & {
              document: { body: unknown };
              getComputedStyle(element: unknown): { backgroundColor: string };
            };
            return w.getComputedStyle(w.document.body).backgroundColor;
          }),
        ).toBe(name === "light" ? "rgb(244, 244, 245)" : "rgb(15, 15, 15)");
        await fontsReady(page);
        await shoot(page, `tasks-${name}.png`);

        await row(page, "Prepare the quarterly report").click();
        await expect
          .poll(() => page.getByLabel("Title", { exact: true }).inputValue())
          .toBe("Prepare the quarterly report");
        // The assignee shows once the team's members have arrived, after the task itself.
        await expect.poll(() => page.getByLabel("Assignee").inputValue()).toBe(String(alice.id));
        await waitForMainButton(page, "Mark done");
        await shoot(page, `task-${name}.png`);

        await emit(page, "back_button_pressed");
        await expect.poll(() => rows(page).count()).toBe(4);
        await openPrivacy(page);
        await shoot(page, `privacy-${name}.png`);
        await page.close();
      }
    },
  );

  it("shows all 50 open tasks of a full first page", TEST_TIMEOUT, async () => {
    for (let i = 1; i <= 50; i++) {
      await createTask(alice, {
        title: `Task ${String(i).padStart(2, "0")}`,
        assigneeId: alice.id,
      });
    }
    // How fast the first row comes is measured by `npm run bench:miniapp`, not here.
    const page = await openApp(alice);
    await freshList(page);
    await expect.poll(() => rows(page).count()).toBe(50);
    expect(await rows(page).first().textContent()).toContain("Task 50");
    expect((await mainButton(page))?.text).toBe("New task");
  });

  it(
    "asks for the first list while /api/me is still unanswered, and each only once",
    TEST_TIMEOUT,
    async () => {
      await createTask(alice, { title: "Early bird", assigneeId: alice.id });
      const page = await preparePage(browser(), {
        initData: initDataFor(alice, new Date(h.bot.clock.now().getTime() - 60_000)),
        now: h.bot.clock.now(),
      });
      pages.push(page);
      const asked: string[] = [];
      page.on("request", (request) => {
        const url = new URL(request.url());
        if (url.pathname.startsWith("/api/")) asked.push(`${url.pathname}${url.search}`);
      });
      const releaseMe = await holdRequests(page, "**/api/me");
      const list = page.waitForRequest((request) => request.url().includes("/api/tasks?"));

      await page.goto(baseUrl);
      // The list's answer arrives while /api/me's is still held back.
      const answer = await (await list).response();
      expect(answer?.status()).toBe(200);
      expect(await rows(page).count()).toBe(0);
      releaseMe();

      await row(page, "Early bird").waitFor();
      expect(asked).toEqual(["/api/me", "/api/tasks?status=open&assignee=me&limit=50"]);
    },
  );

  it(
    "shows the list kept on the device at once, then the fresh one; never in CloudStorage",
    TEST_TIMEOUT,
    async () => {
      await createTask(alice, { title: "Seen last time", assigneeId: alice.id });
      const before = await openApp(alice);
      await freshList(before);
      await row(before, "Seen last time").waitFor();
      await before.close();
      await createTask(alice, { title: "Added since", assigneeId: alice.id });

      const page = await preparePage(browser(), {
        initData: initDataFor(alice, new Date(h.bot.clock.now().getTime() - 60_000)),
        now: h.bot.clock.now(),
      });
      pages.push(page);
      const releaseList = await holdRequests(page, "**/api/tasks?*");
      await page.goto(baseUrl);
      await row(page, "Seen last time").waitFor();
      await page.getByText(STALE_NOTE).waitFor();
      expect(await row(page, "Added since").count()).toBe(0);

      releaseList();
      await row(page, "Added since").waitFor();
      await freshList(page);
      expect(await rows(page).count()).toBe(2);
      expect(await keptLists(page)).toEqual([
        {
          key: `task-tracker:list:v1:${alice.id}:assigned`,
          titles: ["Added since", "Seen last time"],
        },
      ]);
      // CloudStorage would copy the titles to Telegram's servers: the app never calls it.
      const methods = (await tmaCalls(page)).map((tmaCall) => tmaCall.method);
      expect(methods).not.toContain("web_app_invoke_custom_method");
    },
  );

  it(
    "paints the kept rows where they stay when the person is known and the tabs come alive",
    TEST_TIMEOUT,
    async () => {
      await createTask(alice, { title: "Seen last time", assigneeId: alice.id });
      const before = await openApp(alice);
      await freshList(before);
      await before.close();

      const page = await preparePage(browser(), {
        initData: initDataFor(alice, new Date(h.bot.clock.now().getTime() - 60_000)),
        now: h.bot.clock.now(),
      });
      pages.push(page);
      const releaseMe = await holdRequests(page, "**/api/me");
      await page.goto(baseUrl);
      const kept = row(page, "Seen last time");
      await kept.waitFor();
      const tab = page.getByRole("tab", { name: "Assigned to me" });
      expect(await tab.isDisabled()).toBe(true);
      const keptAt = await kept.boundingBox();

      releaseMe();
      await expect.poll(() => tab.isDisabled()).toBe(false);
      await freshList(page);
      expect(await kept.boundingBox()).toEqual(keptAt);
    },
  );

  it("forgets the kept list when the API refuses an expired session", TEST_TIMEOUT, async () => {
    await createTask(alice, { title: "Private errand", assigneeId: alice.id });
    const before = await openApp(alice);
    await freshList(before);
    await row(before, "Private errand").waitFor();
    expect(await keptLists(before)).toHaveLength(1);
    await before.close();

    const twoDaysAgo = new Date(h.bot.clock.now().getTime() - 2 * 24 * 60 * 60 * 1000);
    const page = await preparePage(browser(), {
      initData: initDataFor(alice, twoDaysAgo),
      now: h.bot.clock.now(),
    });
    pages.push(page);
    await page.goto(baseUrl);
    await page.getByText("Session expired — reopen the app").waitFor();
    expect(await rows(page).count()).toBe(0);
    expect(await keptLists(page)).toEqual([]);
  });
});
