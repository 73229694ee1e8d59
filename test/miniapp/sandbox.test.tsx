// @vitest-environment happy-dom
import { act, cleanup, fireEvent, render, screen, waitFor, within } from "@testing-library/preact";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type EventStream, sandboxClient } from "../../miniapp/src/sandbox/client.ts";
import type { SandboxMessage, SandboxState } from "../../miniapp/src/sandbox/contract.ts";
import { Sandbox } from "../../miniapp/src/sandbox/Sandbox.tsx";
import { readersTime, renderTelegramHtml } from "../../miniapp/src/sandbox/telegram-html.ts";
import { fakeFetch, held, type Sent } from "./harness.tsx";

afterEach(cleanup);

const GROUP = -1001000000001;
const ALICE = 1001;
const BOB = 1002;

const STATE: SandboxState = {
  people: [
    { id: ALICE, firstName: "Alice", username: "alice" },
    { id: BOB, firstName: "Bob", username: "bob" },
    { id: 1003, firstName: "Carol", username: "carol" },
  ],
  chats: [
    { id: GROUP, type: "supergroup", title: "Demo team", appButton: null },
    { id: ALICE, type: "private", title: "Alice", appButton: "Tasks" },
    { id: BOB, type: "private", title: "Bob", appButton: "Tasks" },
    { id: 1003, type: "private", title: "Carol", appButton: "Tasks" },
  ],
  commands: [
    { command: "start", description: "Welcome and every command" },
    { command: "newtask", description: "Create a task" },
    { command: "tasks", description: "Open tasks" },
  ],
  botUsername: "tracker_sandbox_bot",
};

const BOT = { id: 999, firstName: "Task Tracker", isBot: true };

function message(fields: Partial<SandboxMessage> & { id: number }): SandboxMessage {
  return {
    chatId: GROUP,
    from: BOT,
    text: "",
    html: "",
    date: "2026-11-28T10:00:00Z",
    replyTo: null,
    buttons: [],
    document: null,
    edited: false,
    ...fields,
  };
}

/** The server-sent events, faked at EventSource: the test emits what the server would. */
function fakeEvents() {
  const streams: {
    url: string;
    closed: boolean;
    listeners: Map<string, (e: MessageEvent<string>) => void>;
  }[] = [];
  const open = (url: string): EventStream => {
    const stream = { url, closed: false, listeners: new Map() };
    streams.push(stream);
    return {
      addEventListener: (kind, listener) => stream.listeners.set(kind, listener),
      close: () => {
        stream.closed = true;
      },
    };
  };
  const emit = (kind: "message" | "edit" | "delete", data: unknown) => {
    const live = streams.filter((s) => !s.closed);
    expect(live).toHaveLength(1);
    act(() =>
      live[0]?.listeners.get(kind)?.({ data: JSON.stringify(data) } as MessageEvent<string>),
    );
  };
  return { open, emit, streams };
}

type Routes = Parameters<typeof fakeFetch>[0];

function renderSandbox(routes: Routes = {}) {
  const net = fakeFetch({
    "GET /sandbox/api/state": { json: STATE },
    [`GET /sandbox/api/chats/${GROUP}/messages?as=${ALICE}`]: { json: { messages: [] } },
    ...routes,
  });
  const events = fakeEvents();
  const view = render(
    <Sandbox client={sandboxClient(net.fetch)} openEvents={events.open} initialTheme="light" />,
  );
  return { ...view, net, events };
}

const posts = (sent: Sent[]) => sent.filter((s) => s.method === "POST");

/** The group is open and its messages are in: what the person sees first. */
/** The person's private chat with the bot, whose menu button opens the Mini App. */
async function privateChatShown(): Promise<void> {
  await groupShown();
  const chats = screen.getByRole("navigation", { name: "Chats" });
  fireEvent.click(within(chats).getByRole("button", { name: /@tracker_sandbox_bot/ }));
  await waitFor(() =>
    expect(within(chats).getByRole("button", { current: true }).textContent).toContain(
      "@tracker_sandbox_bot",
    ),
  );
}

async function groupShown(): Promise<HTMLElement> {
  const chats = await screen.findByRole("navigation", { name: "Chats" });
  await waitFor(() =>
    expect(within(chats).getByRole("button", { current: true }).textContent).toContain("Demo team"),
  );
  await waitFor(() => expect(screen.getByRole("log").getAttribute("aria-busy")).toBe("false"));
  return screen.getByRole("log", { name: "Messages" });
}

describe("the sandbox page", () => {
  it("sends what the person types, as a reply when they chose Reply", async () => {
    const hello = message({
      id: 7,
      from: { id: BOB, firstName: "Bob", isBot: false },
      text: "Fix the login page",
    });
    const { net } = renderSandbox({
      [`GET /sandbox/api/chats/${GROUP}/messages?as=${ALICE}`]: { json: { messages: [hello] } },
      [`POST /sandbox/api/chats/${GROUP}/messages`]: { status: 202 },
    });
    await groupShown();
    const input = screen.getByRole("combobox", { name: "Message" });
    fireEvent.input(input, { target: { value: "Good morning" } });
    fireEvent.click(screen.getByRole("button", { name: "Send" }));
    await waitFor(() => expect(posts(net.sent)).toHaveLength(1));
    expect(posts(net.sent)[0]).toEqual({
      method: "POST",
      path: `/sandbox/api/chats/${GROUP}/messages`,
      body: { as: ALICE, text: "Good morning" },
    });
    await waitFor(() => expect((input as HTMLInputElement).value).toBe(""));

    fireEvent.click(await screen.findByRole("button", { name: "Reply to Bob" }));
    expect(screen.getByText("Reply to Bob")).toBeTruthy();
    fireEvent.input(input, { target: { value: "/task" } });
    fireEvent.submit(input.closest("form") as HTMLFormElement);
    await waitFor(() => expect(posts(net.sent)).toHaveLength(2));
    expect(posts(net.sent)[1]?.body).toEqual({ as: ALICE, text: "/task", replyTo: 7 });
    await waitFor(() => expect(screen.queryByText("Reply to Bob")).toBeNull());
  });

  it("lists the bot's commands when the person types a slash, and picks one", async () => {
    renderSandbox();
    await groupShown();
    const input = screen.getByRole("combobox", { name: "Message" }) as HTMLInputElement;
    fireEvent.input(input, { target: { value: "/" } });
    const menu = screen.getByRole("listbox", { name: "Commands" });
    expect(
      within(menu)
        .getAllByRole("option")
        .map((o) => o.textContent),
    ).toEqual(["/startWelcome and every command", "/newtaskCreate a task", "/tasksOpen tasks"]);
    fireEvent.input(input, { target: { value: "/ta" } });
    expect(within(screen.getByRole("listbox")).getAllByRole("option")).toHaveLength(1);
    fireEvent.keyDown(input, { key: "Tab" });
    expect(input.value).toBe("/tasks ");
    expect(screen.queryByRole("listbox")).toBeNull();
  });

  it("shows new, edited and deleted messages as the events arrive", async () => {
    const { events } = renderSandbox();
    const log = await groupShown();
    expect(events.streams.map((s) => s.url)).toEqual([`/sandbox/api/events?as=${ALICE}`]);

    events.emit("message", {
      chatId: GROUP,
      message: message({
        id: 10,
        text: "Task 3: Prepare the demo",
        html: "<b>Task 3</b>: Prepare the demo",
      }),
    });
    expect(log.textContent).toContain("Task 3: Prepare the demo");
    expect(log.querySelector("b")?.textContent).toBe("Task 3");

    events.emit("edit", {
      chatId: GROUP,
      message: message({
        id: 10,
        text: "✅ Task 3: Prepare the demo",
        html: "✅ <s>Task 3</s>",
        edited: true,
      }),
    });
    expect(log.querySelectorAll("li")).toHaveLength(1);
    expect(log.querySelector("s")?.textContent).toBe("Task 3");
    expect(log.textContent).toContain("edited");

    events.emit("message", {
      chatId: ALICE,
      message: message({ id: 3, chatId: ALICE, text: "Reminder" }),
    });
    expect(log.querySelectorAll("li")).toHaveLength(1);
    expect(screen.getByRole("status", { name: "1 new" })).toBeTruthy();

    events.emit("delete", { chatId: GROUP, messageId: 10 });
    expect(log.querySelectorAll("li")).toHaveLength(0);
  });

  it("keeps the events that arrive while a chat's messages are still loading", async () => {
    const first = message({ id: 20, text: "Task 5", html: "Task 5" });
    const answer = held({ json: { messages: [first] } });
    const { events } = renderSandbox({
      [`GET /sandbox/api/chats/${GROUP}/messages?as=${ALICE}`]: answer.route,
    });
    await waitFor(() => expect(events.streams).toHaveLength(1));
    events.emit("edit", {
      chatId: GROUP,
      message: { ...first, html: "Task 5 (done)", edited: true },
    });
    events.emit("message", {
      chatId: GROUP,
      message: message({ id: 21, text: "Next", html: "Next" }),
    });
    answer.release();
    const log = await groupShown();
    expect(Array.from(log.querySelectorAll(".text"), (t) => t.textContent)).toEqual([
      "Task 5 (done)",
      "Next",
    ]);
  });

  it("presses an inline button, links a url button and opens the app from an app link", async () => {
    const card = message({
      id: 12,
      text: "Task 3",
      html: "Task 3",
      buttons: [
        [{ text: "Done", data: "t:done:3" }],
        [
          { text: "Docs", url: "https://example.org/help" },
          { text: "Open app", url: `https://t.me/${STATE.botUsername}?startapp=team_${GROUP}` },
        ],
      ],
    });
    const { net } = renderSandbox({
      [`GET /sandbox/api/chats/${GROUP}/messages?as=${ALICE}`]: { json: { messages: [card] } },
      [`POST /sandbox/api/chats/${GROUP}/press`]: { status: 202 },
      [`GET /sandbox/api/init-data?as=${ALICE}`]: { json: { initData: "user=%7B%7D&hash=abc" } },
    });
    fireEvent.click(await screen.findByRole("button", { name: "Done" }));
    await waitFor(() => expect(posts(net.sent)).toHaveLength(1));
    expect(posts(net.sent)[0]).toEqual({
      method: "POST",
      path: `/sandbox/api/chats/${GROUP}/press`,
      body: { as: ALICE, messageId: 12, data: "t:done:3" },
    });
    const docs = screen.getByRole("link", { name: /Docs/ });
    expect(docs.getAttribute("href")).toBe("https://example.org/help");
    expect(docs.getAttribute("rel")).toBe("noopener noreferrer");

    fireEvent.click(screen.getByRole("button", { name: "Open app" }));
    const frame = await screen.findByTitle("Task Tracker Mini App");
    const hash = new URLSearchParams(frame.getAttribute("src")?.split("#")[1]);
    expect(hash.get("tgWebAppStartParam")).toBe(`team_${GROUP}`);
  });

  it("switching person loads the state again and shows only that person's private chat", async () => {
    const { net, events } = renderSandbox({
      [`GET /sandbox/api/chats/${GROUP}/messages?as=${BOB}`]: { json: { messages: [] } },
      [`GET /sandbox/api/chats/${ALICE}/messages?as=${ALICE}`]: { json: { messages: [] } },
      [`GET /sandbox/api/chats/${BOB}/messages?as=${BOB}`]: { json: { messages: [] } },
    });
    const chats = await screen.findByRole("navigation", { name: "Chats" });
    await waitFor(() => expect(within(chats).getAllByRole("button")).toHaveLength(2));
    expect(within(chats).getByRole("button", { current: true }).textContent).toContain("Demo team");
    fireEvent.click(within(chats).getByRole("button", { name: /@tracker_sandbox_bot/ }));
    await waitFor(() =>
      expect(net.sent.map((s) => s.path)).toContain(
        `/sandbox/api/chats/${ALICE}/messages?as=${ALICE}`,
      ),
    );
    const statesBefore = net.sent.filter((s) => s.path === "/sandbox/api/state").length;

    fireEvent.click(screen.getByRole("button", { name: "Bob" }));
    await waitFor(() =>
      expect(net.sent.filter((s) => s.path === "/sandbox/api/state").length).toBe(statesBefore + 1),
    );
    // Bob's own private chat opens in place of Alice's, which he cannot see.
    await waitFor(() =>
      expect(net.sent.map((s) => s.path)).toContain(`/sandbox/api/chats/${BOB}/messages?as=${BOB}`),
    );
    expect(net.sent.some((s) => s.path === `/sandbox/api/chats/${ALICE}/messages?as=${BOB}`)).toBe(
      false,
    );
    expect(within(chats).getAllByRole("button")).toHaveLength(2);
    expect(events.streams.map((s) => [s.url, s.closed])).toEqual([
      [`/sandbox/api/events?as=${ALICE}`, true],
      [`/sandbox/api/events?as=${BOB}`, false],
    ]);
    const people = screen.getByRole("group", { name: "You are" });
    expect(within(people).getByRole("button", { pressed: true }).textContent).toBe("Bob");
  });

  it("opens the Mini App in a frame with the person's signed init data in the launch hash", async () => {
    const initData = "auth_date=1764324000&user=%7B%22id%22%3A1001%7D&signature=s&hash=f00d";
    const { net } = renderSandbox({
      [`GET /sandbox/api/init-data?as=${ALICE}`]: { json: { initData } },
    });
    await groupShown();
    // In a group the menu button lists the commands, as in Telegram.
    fireEvent.click(screen.getByRole("button", { name: "Commands" }));
    expect(screen.getByRole("listbox", { name: "Commands" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Tasks" })).toBeNull();
    await privateChatShown();
    fireEvent.click(screen.getByRole("button", { name: "Tasks" }));
    const frame = await screen.findByTitle("Task Tracker Mini App");
    expect(net.sent.map((s) => s.path)).toContain(`/sandbox/api/init-data?as=${ALICE}`);
    const src = frame.getAttribute("src") ?? "";
    expect(src.startsWith("/#")).toBe(true);
    const hash = new URLSearchParams(src.slice(2));
    expect(hash.get("tgWebAppData")).toBe(initData);
    expect(hash.get("tgWebAppVersion")).toBe("8.0");
    expect(hash.get("tgWebAppPlatform")).toBe("tdesktop");
    expect(JSON.parse(hash.get("tgWebAppThemeParams") ?? "{}").bg_color).toBe("#ffffff");
    expect(hash.has("tgWebAppStartParam")).toBe(false);

    fireEvent.click(screen.getByRole("switch", { name: "Dark theme" }));
    fireEvent.click(screen.getByRole("button", { name: "Tasks" }));
    await waitFor(() => {
      const again = screen.getByTitle("Task Tracker Mini App").getAttribute("src") ?? "";
      const theme = new URLSearchParams(again.slice(2)).get("tgWebAppThemeParams") ?? "{}";
      expect(JSON.parse(theme).bg_color).toBe("#212121");
    });
    fireEvent.click(screen.getByRole("button", { name: "Close the Mini App" }));
    expect(screen.queryByTitle("Task Tracker Mini App")).toBeNull();
  });

  it("stands in for Telegram's MainButton and BackButton of the app in the frame", async () => {
    renderSandbox({ [`GET /sandbox/api/init-data?as=${ALICE}`]: { json: { initData: "hash=x" } } });
    await privateChatShown();
    const original = window.postMessage;
    fireEvent.click(screen.getByRole("button", { name: "Tasks" }));
    const frame = (await screen.findByTitle("Task Tracker Mini App")) as HTMLIFrameElement;
    const toApp = vi.fn();
    Object.defineProperty(frame, "contentWindow", { value: { postMessage: toApp } });
    // The SDK in the frame calls window.parent.postMessage: from a same-origin frame, this
    // window's own (window.parent is not this window in happy-dom's test globals).
    const fromApp = (eventType: string, eventData?: unknown) =>
      act(() =>
        window.postMessage(JSON.stringify({ eventType, eventData }), "https://web.telegram.org"),
      );
    fromApp("web_app_setup_main_button", {
      text: "Save",
      is_visible: true,
      is_active: true,
      is_progress_visible: false,
    });
    fromApp("web_app_setup_back_button", { is_visible: true });
    fireEvent.click(screen.getByRole("button", { name: "Save" }));
    fireEvent.click(screen.getByRole("button", { name: "Back" }));
    fromApp("web_app_request_theme");
    expect(toApp.mock.calls.map(([data]) => JSON.parse(data).eventType)).toEqual([
      "main_button_pressed",
      "back_button_pressed",
      "theme_changed",
    ]);
    expect(JSON.parse(toApp.mock.calls[2]?.[0]).eventData.theme_params.bg_color).toBe("#ffffff");

    fromApp("web_app_setup_main_button", { text: "Save", is_visible: false });
    expect(screen.queryByRole("button", { name: "Save" })).toBeNull();
    fromApp("web_app_close");
    expect(screen.queryByTitle("Task Tracker Mini App")).toBeNull();
    expect(window.postMessage).toBe(original);
  });

  it("resets the sandbox only after the person confirms", async () => {
    const { net } = renderSandbox({ "POST /sandbox/api/reset": { status: 202 } });
    await groupShown();
    fireEvent.click(screen.getByRole("button", { name: "Reset" }));
    const dialog = screen.getByRole("alertdialog", { name: "Start over?" });
    fireEvent.click(within(dialog).getByRole("button", { name: "Cancel" }));
    expect(posts(net.sent)).toHaveLength(0);
    const states = net.sent.filter((s) => s.path === "/sandbox/api/state").length;

    fireEvent.click(screen.getByRole("button", { name: "Reset" }));
    fireEvent.click(
      within(screen.getByRole("alertdialog", { name: "Start over?" })).getByRole("button", {
        name: "Reset",
      }),
    );
    await waitFor(() => expect(posts(net.sent).map((s) => s.path)).toEqual(["/sandbox/api/reset"]));
    await waitFor(() =>
      expect(net.sent.filter((s) => s.path === "/sandbox/api/state").length).toBe(states + 1),
    );
  });
});

describe("demo data", () => {
  it("asks for it, loads everything again, and shows why when the group is not empty", async () => {
    const { net } = renderSandbox({ "POST /sandbox/api/demo": { status: 202 } });
    await groupShown();
    const states = net.sent.filter((s) => s.path === "/sandbox/api/state").length;
    fireEvent.click(screen.getByRole("button", { name: "Demo data" }));
    await waitFor(() => expect(posts(net.sent).map((s) => s.path)).toEqual(["/sandbox/api/demo"]));
    await waitFor(() =>
      expect(net.sent.filter((s) => s.path === "/sandbox/api/state").length).toBe(states + 1),
    );
  });

  it("shows the server's reason when the group already has tasks", async () => {
    const refusal = "Core team already has tasks or messages, so no demo data was added.";
    renderSandbox({
      "POST /sandbox/api/demo": {
        status: 409,
        json: { error: { code: "demo_team_not_empty", message: refusal } },
      },
    });
    await groupShown();
    fireEvent.click(screen.getByRole("button", { name: "Demo data" }));
    await screen.findByText(refusal);
  });
});

describe("the bot's HTML in the sandbox", () => {
  const show = (html: string) => render(<div data-testid="out">{renderTelegramHtml(html)}</div>);

  it("keeps Telegram's formatting tags", () => {
    show(
      '<b>bold</b> <strong>s</strong> <i>i</i> <em>e</em> <u>u</u> <ins>n</ins> <s>x</s> <strike>k</strike> <del>d</del> <code>c</code> <pre><code class="language-ts">p</code></pre> <blockquote>q</blockquote> <span class="tg-spoiler">hidden</span> <tg-spoiler>too</tg-spoiler> <a href="https://example.org/a">link</a> <a href="tg://user?id=1">tg</a> 1 &lt; 2 &amp; 3',
    );
    const out = screen.getByTestId("out");
    for (const tag of [
      "b",
      "strong",
      "i",
      "em",
      "u",
      "ins",
      "s",
      "strike",
      "del",
      "pre",
      "blockquote",
    ]) {
      expect(out.querySelector(tag), tag).not.toBeNull();
    }
    expect(out.querySelector("pre code.language-ts")?.textContent).toBe("p");
    expect(Array.from(out.querySelectorAll("span.tg-spoiler"), (s) => s.textContent)).toEqual([
      "hidden",
      "too",
    ]);
    expect(Array.from(out.querySelectorAll("a"), (a) => a.getAttribute("href"))).toEqual([
      "https://example.org/a",
      "tg://user?id=1",
    ]);
    expect(out.textContent).toContain("1 < 2 & 3");
  });

  it("shows a date_time entity in the reader's zone and locale, by its format", () => {
    expect(readersTime("2026-12-04T09:30:00.000Z", "wdt", "en-GB")).toBe(
      new Intl.DateTimeFormat("en-GB", {
        weekday: "short",
        day: "numeric",
        month: "numeric",
        year: "2-digit",
        hour: "numeric",
        minute: "2-digit",
      }).format(new Date("2026-12-04T09:30:00.000Z")),
    );
    expect(readersTime("2026-12-04T09:30:00.000Z", "t", "en-GB")).toMatch(/^\d{1,2}:30$/);
    // No format, or a relative one, keeps the bot's own text.
    expect(readersTime("2026-12-04T09:30:00.000Z", "", "en-GB")).toBeNull();
    expect(readersTime("2026-12-04T09:30:00.000Z", "r", "en-GB")).toBeNull();
    show('due <time datetime="2026-12-04T09:30:00.000Z" data-format="t">09:30 (UTC)</time>');
    const time = screen.getByTestId("out").querySelector("time");
    expect(time?.getAttribute("datetime")).toBe("2026-12-04T09:30:00.000Z");
    expect(time?.textContent).toBe(readersTime("2026-12-04T09:30:00.000Z", "t"));
  });

  it("drops everything else: scripts, handlers, other tags and unsafe links never reach the DOM", () => {
    show(
      '<b onclick="alert(1)" style="color:red" class="x">safe</b><script>alert(2)</script><img src=x onerror="alert(3)"><a href="javascript:alert(4)">js</a><span class="other" onmouseover="alert(5)">plain</span><iframe src="https://example.org"></iframe><div>kept text</div><style>b{}</style>',
    );
    const out = screen.getByTestId("out");
    expect(out.querySelector("script, img, iframe, style, div")).toBeNull();
    expect(out.querySelectorAll("a")).toHaveLength(0);
    expect(out.querySelectorAll("span")).toHaveLength(0);
    const b = out.querySelector("b");
    expect(b?.attributes).toHaveLength(0);
    expect(out.innerHTML).not.toMatch(/on\w+=|alert|style|javascript/);
    expect(out.textContent).toBe("safejsplainkept text");
  });
});
