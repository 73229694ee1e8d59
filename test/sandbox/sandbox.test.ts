import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { parseLaunchParamsQuery } from "@telegram-apps/sdk";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "#bot/config";
import type { SandboxMessage } from "#bot/sandbox/messages";
import { SANDBOX_GROUP } from "#bot/sandbox/people";
import { SANDBOX_MINI_APP_URL, sandboxToken } from "#bot/sandbox/start";
import { useTestDatabase } from "#test/helpers/db";
import { type RunningSandbox, startTestSandbox } from "#test/helpers/sandbox";

const ALICE = 101;
const BOB = 102;
const CAROL = 103;
const GROUP = SANDBOX_GROUP.id;

const db = useTestDatabase();

const startSandbox = (env: Record<string, string> = {}) =>
  startTestSandbox(db.sql, { env, heartbeatMs: 100 });

function client(base: string) {
  const post = (path: string, body: unknown) =>
    fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  return {
    post,
    write: (chatId: number, as: number, text: string, replyTo?: number) =>
      post(`/sandbox/api/chats/${chatId}/messages`, { as, text, ...(replyTo ? { replyTo } : {}) }),
    press: (chatId: number, as: number, messageId: number, data: string) =>
      post(`/sandbox/api/chats/${chatId}/press`, { as, messageId, data }),
    messages: async (chatId: number, as: number): Promise<SandboxMessage[]> => {
      const res = await fetch(`${base}/sandbox/api/chats/${chatId}/messages?as=${as}`);
      expect(res.status).toBe(200);
      return ((await res.json()) as { messages: SandboxMessage[] }).messages;
    },
    reset: () => fetch(`${base}/sandbox/api/reset`, { method: "POST" }),
  };
}

/** The bot's messages in a chat once one satisfies `found`. */
async function waitForBot(
  messages: () => Promise<SandboxMessage[]>,
  found: (m: SandboxMessage) => boolean,
): Promise<SandboxMessage> {
  return vi.waitFor(
    async () => {
      const hit = (await messages()).find((m) => m.from.isBot && found(m));
      if (!hit) throw new Error("the bot has not sent it yet");
      return hit;
    },
    { timeout: 10_000, interval: 20 },
  );
}

interface SseEvent {
  event: string;
  data: { chatId: number; messageId?: number; message?: SandboxMessage };
}

/** An open event stream: read event by event, comments (heartbeats) counted. */
async function openEvents(base: string, as: number) {
  const controller = new AbortController();
  const res = await fetch(`${base}/sandbox/api/events?as=${as}`, { signal: controller.signal });
  expect(res.headers.get("content-type")).toMatch(/^text\/event-stream/);
  const body = res.body;
  if (!body) throw new Error("no body");
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let comments: string[] = [];
  const blocks = async (): Promise<string> => {
    for (;;) {
      const end = buffer.indexOf("\n\n");
      if (end !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        return block;
      }
      const { value, done } = await reader.read();
      if (done) throw new Error("the stream ended");
      buffer += value;
    }
  };
  // The stream says it follows the chats before anything else.
  expect(await blocks()).toBe(": following");
  return {
    async next(matches: (e: SseEvent) => boolean): Promise<SseEvent> {
      for (;;) {
        const block = await blocks();
        if (block.startsWith(":")) {
          comments.push(block);
          continue;
        }
        const event = /^event: (.*)$/m.exec(block)?.[1] ?? "message";
        const data = JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? "null") as SseEvent["data"];
        if (matches({ event, data })) return { event, data };
      }
    },
    async heartbeat(): Promise<string> {
      comments = [];
      while (comments.length === 0) {
        const block = await blocks();
        if (block.startsWith(":")) comments.push(block);
      }
      return comments[0] ?? "";
    },
    close: () => controller.abort(),
  };
}

describe("the sandbox never starts in production", () => {
  it("NODE_ENV=production without BOT_TOKEN stops with one clear line and a non-zero exit", async () => {
    const dataDir = mkdtempSync(join(tmpdir(), "tt-sandbox-prod-"));
    try {
      const result = await promisify(execFile)(
        process.execPath,
        ["--import", "tsx", "bot/main.ts"],
        { env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", DATA_DIR: dataDir } },
      ).catch((error: { code: number; stdout: string; stderr: string }) => error);
      expect(result).toMatchObject({
        code: 1,
        stdout: "",
        stderr:
          "Invalid configuration: BOT_TOKEN is required when NODE_ENV=production (the sandbox, started without a token, never runs in production)\n",
      });
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 30_000);

  it("starts as the sandbox only without a token, and scripts still need one", () => {
    const base = { DATABASE_URL: "postgres://unused@127.0.0.1/unused" };
    expect(loadConfig(base, undefined, { sandboxToken }).sandbox).toBe(true);
    const real = loadConfig(
      { ...base, BOT_TOKEN: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ" },
      undefined,
      { sandboxToken },
    );
    expect(real).toMatchObject({ sandbox: false, botToken: "123456:ABCDEFGHIJKLMNOPQRSTUVWXYZ" });
    expect(() => loadConfig(base)).toThrow("BOT_TOKEN is required");
  });
});

describe("the sandbox (polling)", () => {
  let running: RunningSandbox;
  let api: ReturnType<typeof client>;
  beforeAll(async () => {
    running = await startSandbox();
    api = client(running.base);
  }, 30_000);
  afterAll(async () => {
    await running?.sandbox.stop();
  });

  it("describes its people, chats, command menu and bot", async () => {
    const res = await fetch(`${running.base}/sandbox/api/state`);
    const state = (await res.json()) as Record<string, unknown>;
    expect(state).toMatchObject({
      people: [
        { id: ALICE, firstName: "Alice", username: "alice" },
        { id: BOB, firstName: "Bob", username: "bobby" },
        { id: CAROL, firstName: "Carol", username: "carol" },
      ],
      chats: [
        // The menu button the bot set up opens the Mini App in private chats only.
        { id: GROUP, type: "supergroup", title: "Core team", appButton: null },
        { id: ALICE, type: "private", title: "Alice", appButton: "Tasks" },
        { id: BOB, type: "private", title: "Bob", appButton: "Tasks" },
        { id: CAROL, type: "private", title: "Carol", appButton: "Tasks" },
      ],
      botUsername: "task_tracker_sandbox_bot",
    });
    expect(state.commands).toContainEqual({ command: "newtask", description: expect.any(String) });
  });

  it("answers /start sent by a person with the bot's welcome", async () => {
    await api.reset();
    expect((await api.write(ALICE, ALICE, "/start")).status).toBe(202);
    const welcome = await waitForBot(
      () => api.messages(ALICE, ALICE),
      (m) => m.text.startsWith("Hi Alice!"),
    );
    expect(welcome).toMatchObject({ chatId: ALICE, from: { isBot: true }, edited: false });
    const [first] = await api.messages(ALICE, ALICE);
    expect(first).toMatchObject({ text: "/start", from: { id: ALICE, isBot: false } });
  });

  it("shows a private chat only to its own person", async () => {
    await api.reset();
    await api.write(ALICE, ALICE, "/start");
    await waitForBot(
      () => api.messages(ALICE, ALICE),
      () => true,
    );
    const asBob = await fetch(`${running.base}/sandbox/api/chats/${ALICE}/messages?as=${BOB}`);
    expect(asBob.status).toBe(404);
    expect(await asBob.json()).toEqual({
      error: { code: "not_found", message: "No such chat." },
    });
    expect((await api.write(ALICE, BOB, "hello")).status).toBe(404);
    expect(await api.messages(BOB, BOB)).toEqual([]);
  });

  it("refuses what the contract does not allow, saying why", async () => {
    const get = (path: string) => fetch(`${running.base}${path}`);
    const refusals: Array<[Promise<Response>, number, string]> = [
      [get(`/sandbox/api/chats/${GROUP}/messages`), 400, "as: "],
      [get(`/sandbox/api/chats/${GROUP}/messages?as=7`), 400, "as: "],
      [get(`/sandbox/api/chats/group/messages?as=${ALICE}`), 400, "chatId: "],
      [get("/sandbox/api/events?as=nobody"), 400, "as: "],
      [get("/sandbox/api/init-data?as=7"), 400, "as: "],
      [get("/sandbox/files/..%2Fpackage.json"), 400, "fileId: "],
      [get("/sandbox/files/file-999999"), 404, "No such file."],
      [api.write(GROUP, ALICE, "   "), 400, "text: "],
      [api.post(`/sandbox/api/chats/${GROUP}/messages`, { as: ALICE, text: "hi", x: 1 }), 400, "x"],
      [api.write(GROUP, ALICE, "a reply", 999_999), 400, "replyTo: "],
      [api.press(GROUP, ALICE, 999_999, "t:s:1:d"), 404, "No such message."],
      [api.press(GROUP, ALICE, 1, "x".repeat(65)), 400, "data: "],
      [
        fetch(`${running.base}/sandbox/api/chats/${GROUP}/messages`, {
          method: "POST",
          body: "as=101&text=hi",
          headers: { "content-type": "application/x-www-form-urlencoded" },
        }),
        415,
        "application/json",
      ],
    ];
    for (const [request, status, message] of refusals) {
      const res = await request;
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect({ status: res.status, message: body.error.message }).toMatchObject({
        status,
        message: expect.stringContaining(message),
      });
    }
  });

  it("delivers a button press to the bot and the card's edit arrives as an edit event", async () => {
    await api.reset();
    await api.write(GROUP, ALICE, "/newtask Prepare the demo @bobby tomorrow !high");
    const card = await waitForBot(
      () => api.messages(GROUP, BOB),
      (m) => m.text.includes("Prepare the demo"),
    );
    const done = card.buttons.flat().find((b) => b.text.includes("Done"));
    expect(done?.data).toBeDefined();
    // A button the card does not have is refused: Telegram delivers only real presses.
    expect((await api.press(GROUP, BOB, card.id, "t:s:999:d")).status).toBe(400);
    const events = await openEvents(running.base, BOB);
    try {
      expect((await api.press(GROUP, BOB, card.id, done?.data ?? "")).status).toBe(202);
      const edit = await events.next((e) => e.event === "edit" && e.data.messageId === card.id);
      expect(edit.data).toMatchObject({
        chatId: GROUP,
        message: { id: card.id, edited: true, text: expect.stringMatching(/^✅ #\d+ Prepare/) },
      });
      expect(edit.data.message?.html).toContain("<b>Prepare the demo</b>");
    } finally {
      events.close();
    }
  });

  it("offers Open app under /tasks: the Mini App in private, a start link in the group", async () => {
    await api.reset();
    await api.write(ALICE, ALICE, "/start");
    await api.write(GROUP, ALICE, "/newtask Prepare the demo");
    await waitForBot(
      () => api.messages(GROUP, ALICE),
      (m) => m.text.includes("Prepare the demo"),
    );
    await api.write(ALICE, ALICE, "/tasks");
    const mine = await waitForBot(
      () => api.messages(ALICE, ALICE),
      (m) => m.buttons.flat().some((b) => b.text === "Open app"),
    );
    expect(mine.buttons.flat().find((b) => b.text === "Open app")).toEqual({
      text: "Open app",
      webApp: SANDBOX_MINI_APP_URL,
    });
    await api.write(GROUP, ALICE, "/tasks");
    const team = await waitForBot(
      () => api.messages(GROUP, ALICE),
      (m) => m.buttons.flat().some((b) => b.text === "Open app"),
    );
    // Telegram refuses Mini App buttons in groups: a t.me link that opens the app for the team.
    expect(team.buttons.flat().find((b) => b.text === "Open app")).toEqual({
      text: "Open app",
      url: `https://t.me/task_tracker_sandbox_bot?startapp=team_${GROUP}`,
    });
  });

  it("streams only the chats the person can see, with a heartbeat", async () => {
    await api.reset();
    const events = await openEvents(running.base, BOB);
    try {
      await api.write(ALICE, ALICE, "/start");
      await api.write(BOB, BOB, "/help");
      const next = await events.next(() => true);
      expect(next).toMatchObject({ event: "message", data: { chatId: BOB } });
      expect(await events.heartbeat()).toBe(": heartbeat");
    } finally {
      events.close();
    }
  });

  it("ends a person's event stream when the page goes", async () => {
    // Streams of earlier tests end as their clients go.
    await vi.waitFor(() => expect(running.sandbox.openStreams()).toBe(0), { interval: 10 });
    const events = await openEvents(running.base, CAROL);
    expect(running.sandbox.openStreams()).toBe(1);
    events.close();
    await vi.waitFor(() => expect(running.sandbox.openStreams()).toBe(0), { interval: 10 });
    // One left open is ended by stop() in afterAll, or the server could not close.
    await openEvents(running.base, CAROL);
  });

  it("lets a person download the /export file the bot sent", async () => {
    await api.reset();
    await api.write(ALICE, ALICE, "/export");
    const sent = await waitForBot(
      () => api.messages(ALICE, ALICE),
      (m) => m.document !== null,
    );
    const res = await fetch(`${running.base}${sent.document?.url ?? ""}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-disposition")).toBe(
      `attachment; filename="${sent.document?.fileName}"; filename*=UTF-8''${sent.document?.fileName}`,
    );
    const exported = (await res.json()) as Record<string, unknown>;
    expect(JSON.stringify(exported)).toContain('"id":101');
  });

  it("signs init data the Mini App API accepts for the person", async () => {
    await api.reset();
    const res = await fetch(`${running.base}/sandbox/api/init-data?as=${CAROL}`);
    const { initData } = (await res.json()) as { initData: string };
    const me = await fetch(`${running.base}/api/me`, {
      headers: { Authorization: `tma ${initData}` },
    });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({
      user: { id: CAROL, firstName: "Carol" },
      teams: [{ id: GROUP, title: "Core team" }],
    });
    // The Mini App's SDK reads it from the frame's launch parameters as Telegram's own.
    const launch = parseLaunchParamsQuery(
      new URLSearchParams({
        tgWebAppData: initData,
        tgWebAppVersion: "8.0",
        tgWebAppPlatform: "tdesktop",
        tgWebAppThemeParams: "{}",
      }).toString(),
    );
    expect(launch.tgWebAppData?.user?.id).toBe(CAROL);
  });

  it("reset empties the database and the chats and seeds the people and the group again", async () => {
    await api.write(GROUP, ALICE, "/newtask Something to forget");
    await waitForBot(
      () => api.messages(GROUP, ALICE),
      (m) => m.text.includes("Something"),
    );
    expect((await api.reset()).status).toBe(202);
    expect(await api.messages(GROUP, ALICE)).toEqual([]);
    const [tasks] = await db.sql<[{ count: number }]>`select count(*)::int as count from tasks`;
    const members = await db.sql<{ id: number }[]>`
      select user_id::int as id from team_members where team_id = ${GROUP} order by user_id`;
    expect({ tasks: tasks.count, members: members.map((m) => m.id) }).toEqual({
      tasks: 0,
      members: [ALICE, BOB, CAROL],
    });
    // The seeded group works at once: the first task after a reset is #1 again for the team.
    await api.write(GROUP, BOB, "/newtask After the reset");
    await waitForBot(
      () => api.messages(GROUP, BOB),
      (m) => m.text.includes("After the reset"),
    );
  });

  it("fills the group with a week of demo data on demand, once: its chat and its tasks", async () => {
    await api.reset();
    expect((await api.post("/sandbox/api/demo", {})).status).toBe(202);
    const chat = await api.messages(GROUP, ALICE);
    // The week the three people wrote, oldest first, as the group said it.
    const said = chat.filter((m) => !m.from.isBot);
    expect(said.length).toBe(12);
    expect(new Set(said.map((m) => m.from.id))).toEqual(new Set([ALICE, BOB, CAROL]));
    const dates = said.map((m) => Date.parse(m.date));
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
    const [open] = await db.sql<[{ count: number }]>`
      select count(*)::int as count from tasks where team_id = ${GROUP} and status = 'open'`;
    expect(open.count).toBeGreaterThan(3);

    const again = await api.post("/sandbox/api/demo", {});
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ error: { code: "demo_team_not_empty" } });
    expect((await api.messages(GROUP, ALICE)).length).toBe(chat.length);
  });
});

describe("the sandbox (webhook)", () => {
  let running: RunningSandbox;
  beforeAll(async () => {
    running = await startSandbox({
      BOT_MODE: "webhook",
      PUBLIC_URL: "https://tasks.example.org",
      WEBHOOK_SECRET: "sandbox-secret",
    });
  }, 30_000);
  afterAll(async () => {
    await running?.sandbox.stop();
  });

  it("POSTs each update to the service's webhook with the secret", async () => {
    const api = client(running.base);
    await api.reset();
    await api.write(CAROL, CAROL, "/start");
    await waitForBot(
      () => api.messages(CAROL, CAROL),
      (m) => m.text.startsWith("Hi Carol!"),
    );
    // No update waited for getUpdates: the webhook took it.
    expect(running.sandbox.emulator.callsOf("getUpdates")).toEqual([]);
  });
});

describe("GET /sandbox", () => {
  it("serves the built page under the pages' CSP, or says it is not built", async () => {
    const dist = mkdtempSync(join(tmpdir(), "tt-sandbox-page-"));
    const running = await startSandboxWithDist(dist);
    try {
      const missing = await fetch(`${running.base}/sandbox`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        error: { code: "not_built", message: "The sandbox page is not built: run npm run build." },
      });
      writeFileSync(join(dist, "sandbox.html"), "<!doctype html><title>Sandbox</title>");
      const page = await fetch(`${running.base}/sandbox`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain("<title>Sandbox</title>");
      expect(page.headers.get("content-security-policy")).toContain("script-src 'self'");
    } finally {
      await running.sandbox.stop();
      rmSync(dist, { recursive: true, force: true });
    }
  }, 30_000);
});

const startSandboxWithDist = (miniAppDist: string) => startTestSandbox(db.sql, { miniAppDist });
