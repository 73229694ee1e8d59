import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";

/**
 * The Telegram client around the Mini App, for a real browser: the SDK's own
 * mockTelegramEnv (from its IIFE build, as `window.telegramApps.sdk`) stands in for
 * Telegram, records every method the app calls and answers the requests the SDK waits for.
 *
 * Functions handed to the page are serialized: they may use only their argument and the
 * page's globals, never anything of this module.
 */

/** A Telegram palette as launch parameters carry it (snake_case keys, #rrggbb values). */
export type Palette = Record<string, `#${string}`>;

export const LIGHT: Palette = {
  bg_color: "#ffffff",
  text_color: "#000000",
  hint_color: "#707579",
  link_color: "#3390ec",
  button_color: "#3390ec",
  button_text_color: "#ffffff",
  secondary_bg_color: "#f4f4f5",
  section_bg_color: "#ffffff",
  section_separator_color: "#e7e7e7",
  destructive_text_color: "#e53935",
  accent_text_color: "#3390ec",
};

export const DARK: Palette = {
  bg_color: "#212121",
  text_color: "#ffffff",
  hint_color: "#aaaaaa",
  link_color: "#8774e1",
  button_color: "#8774e1",
  button_text_color: "#ffffff",
  secondary_bg_color: "#0f0f0f",
  section_bg_color: "#212121",
  section_separator_color: "#3d3d3d",
  destructive_text_color: "#ee686f",
  accent_text_color: "#8774e1",
};

/** One Mini Apps method the app called: what Telegram would have been asked. */
export interface TmaCall {
  method: string;
  params: Record<string, unknown> | null;
}

interface SdkGlobal {
  mockTelegramEnv(options: {
    launchParams: Record<string, unknown>;
    onEvent(event: [string, unknown], next: () => void): void;
  }): void;
  emitEvent(name: string, payload?: unknown): void;
  retrieveRawInitData(): string | undefined;
}

/** The page's globals these helpers use, typed without the DOM library. */
export interface InPage {
  telegramApps: { sdk: SdkGlobal };
  __tma: TmaCall[];
  document: MiniDocument;
  getComputedStyle(element: MiniElement): { visibility: string; display: string };
  setTimeout(callback: () => void, ms: number): number;
  requestAnimationFrame(callback: () => void): number;
}

export interface MiniElement {
  tagName: string;
  id: string;
  textContent: string | null;
  tabIndex: number;
  disabled?: boolean;
  labels?: ArrayLike<MiniElement> | null;
  getAttribute(name: string): string | null;
  setAttribute(name: string, value: string): void;
  removeAttribute(name: string): void;
  hasAttribute(name: string): boolean;
  closest(selector: string): MiniElement | null;
  cloneNode(deep: boolean): MiniElement;
  querySelectorAll(selector: string): ArrayLike<MiniElement>;
  remove(): void;
  getClientRects(): ArrayLike<unknown>;
  focus(): void;
}

interface MiniDocument {
  activeElement: MiniElement | null;
  getElementById(id: string): MiniElement | null;
  querySelectorAll(selector: string): ArrayLike<MiniElement>;
  fonts: { ready: Promise<unknown> };
}

interface MockOptions {
  initData: string;
  theme: Palette;
  startParam: string | null;
}

let sdkSource: string | undefined;

/** The SDK's IIFE build, run with `this` = window so it defines window.telegramApps.sdk. */
function sdkScript(): string {
  if (sdkSource === undefined) {
    const require = createRequire(import.meta.url);
    // The package exports only its entry (dist/index.cjs); the IIFE build sits beside it.
    const entry = require.resolve("@telegram-apps/sdk");
    const code = readFileSync(join(dirname(entry), "index.iife.js"), "utf8");
    sdkSource = `(function () {\n${code}\n}).call(window);`;
  }
  return sdkSource;
}

/** Runs in the page before its own scripts: Telegram's side of the bridge. */
function installTelegram(options: MockOptions): void {
  const w = globalThis as unknown as InPage;
  const sdk = w.telegramApps.sdk;
  const calls: TmaCall[] = [];
  w.__tma = calls;
  // Answered after the call returns, as a real client does.
  const answer = (event: string, data: unknown) => {
    w.setTimeout(() => sdk.emitEvent(event, data), 0);
  };
  const insets = { top: 0, bottom: 0, left: 0, right: 0 };
  sdk.mockTelegramEnv({
    launchParams: {
      tgWebAppData: options.initData,
      tgWebAppVersion: "8.0",
      tgWebAppPlatform: "tdesktop",
      tgWebAppThemeParams: options.theme,
      ...(options.startParam === null ? {} : { tgWebAppStartParam: options.startParam }),
    },
    onEvent(event) {
      const [method, params] = event;
      calls.push({
        method,
        params: params && typeof params === "object" ? (params as Record<string, unknown>) : null,
      });
      if (method === "web_app_request_viewport") {
        answer("viewport_changed", {
          height: 844,
          width: 390,
          is_expanded: true,
          is_state_stable: true,
        });
      } else if (method === "web_app_request_safe_area") {
        answer("safe_area_changed", insets);
      } else if (method === "web_app_request_content_safe_area") {
        answer("content_safe_area_changed", insets);
      } else if (method === "web_app_request_theme") {
        answer("theme_changed", { theme_params: options.theme });
      }
    },
  });
}

export interface OpenOptions {
  /** Raw signed init data; null: a plain browser, outside Telegram. */
  initData: string | null;
  theme?: Palette;
  startParam?: string;
  /** What the page's Date says (the app's "today"); the bot's clock in these tests. */
  now?: Date;
}

/** A new tab prepared as Telegram would open the Mini App (or not, without init data). */
export async function preparePage(context: BrowserContext, options: OpenOptions): Promise<Page> {
  const page = await context.newPage();
  const theme = options.theme ?? LIGHT;
  await page.emulateMedia({ colorScheme: theme === DARK ? "dark" : "light" });
  if (options.now) await page.clock.setFixedTime(options.now);
  if (options.initData !== null) {
    await page.addInitScript({ content: sdkScript() });
    await page.addInitScript(installTelegram, {
      initData: options.initData,
      theme,
      startParam: options.startParam ?? null,
    } satisfies MockOptions);
  }
  return page;
}

/** Every Mini Apps method the app called so far. */
export function tmaCalls(page: Page): Promise<TmaCall[]> {
  return page.evaluate(() => (globalThis as unknown as InPage).__tma);
}

/** The MainButton as Telegram shows it now: the last setup the app sent. */
export async function mainButton(
  page: Page,
): Promise<{ text: string; visible: boolean; loading: boolean; enabled: boolean } | null> {
  const calls = await tmaCalls(page);
  const setup = calls.filter((call) => call.method === "web_app_setup_main_button").at(-1);
  if (!setup?.params) return null;
  return {
    text: String(setup.params.text),
    visible: setup.params.is_visible === true,
    loading: setup.params.is_progress_visible === true,
    enabled: setup.params.is_active === true,
  };
}

/** Waits until the MainButton is visible, enabled and says `text`. */
export async function waitForMainButton(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (expected) => {
      const calls = (globalThis as unknown as InPage).__tma;
      const setup = calls.filter((call) => call.method === "web_app_setup_main_button").at(-1);
      return (
        setup?.params?.text === expected &&
        setup.params.is_visible === true &&
        setup.params.is_active === true &&
        setup.params.is_progress_visible !== true
      );
    },
    text,
    { timeout: 15_000 },
  );
}

/**
 * Waits for the next frame and the tasks queued behind it: Preact runs effects after paint
 * (requestAnimationFrame, then a task), so once this resolves the effects of every render
 * so far have run.
 */
export async function effectsFlushed(page: Page): Promise<void> {
  await page.evaluate(
    () =>
      new Promise<void>((resolve) => {
        const w = globalThis as unknown as InPage;
        w.requestAnimationFrame(() => w.setTimeout(resolve, 0));
      }),
  );
}

/** Whether the BackButton is shown now. */
export async function backButtonVisible(page: Page): Promise<boolean> {
  const calls = await tmaCalls(page);
  const setup = calls.filter((call) => call.method === "web_app_setup_back_button").at(-1);
  return setup?.params?.is_visible === true;
}

/** The person taps a native button: Telegram sends the event to the page. */
export async function emit(
  page: Page,
  event: "main_button_pressed" | "back_button_pressed",
): Promise<void> {
  await page.evaluate((name) => {
    (globalThis as unknown as InPage).telegramApps.sdk.emitEvent(name);
  }, event);
}

/** The controls people operate: each must have a name and be reachable in order. */
export const CONTROLS = "button, a, input, select, textarea, [role=switch]";

/**
 * Controls without an accessible name (aria-label, aria-labelledby, their <label>, or their
 * text), described so a failure says which.
 */
export function unnamedControls(page: Page): Promise<string[]> {
  return page.$$eval(CONTROLS, (found) => {
    const elements = found as unknown as MiniElement[];
    const w = globalThis as unknown as InPage;
    const text = (value: string | null | undefined) => (value ?? "").replace(/\s+/g, " ").trim();
    const labelText = (label: MiniElement) => {
      const copy = label.cloneNode(true);
      for (const control of Array.from(copy.querySelectorAll("input, select, textarea"))) {
        control.remove();
      }
      return text(copy.textContent);
    };
    const nameOf = (element: MiniElement) => {
      const label = text(element.getAttribute("aria-label"));
      if (label) return label;
      const ids = text(element.getAttribute("aria-labelledby"));
      if (ids) {
        const named = ids
          .split(" ")
          .map((id) => text(w.document.getElementById(id)?.textContent))
          .join(" ")
          .trim();
        if (named) return named;
      }
      const labels = Array.from(element.labels ?? []);
      const wrapping = element.closest("label");
      if (wrapping && !labels.includes(wrapping)) labels.push(wrapping);
      const fromLabels = labels.map(labelText).join(" ").trim();
      if (fromLabels) return fromLabels;
      const tag = element.tagName.toLowerCase();
      if (tag !== "input" && tag !== "select" && tag !== "textarea") {
        const own = text(element.textContent);
        if (own) return own;
      }
      return text(element.getAttribute("title"));
    };
    return elements
      .filter((element) => nameOf(element) === "")
      .map(
        (element) =>
          `<${element.tagName.toLowerCase()}${element.id ? ` id=${element.id}` : ""}${
            element.getAttribute("class") ? ` class="${element.getAttribute("class")}"` : ""
          }${element.getAttribute("type") ? ` type=${element.getAttribute("type")}` : ""}>`,
      );
  });
}

/**
 * Presses Tab from the first focusable control until the last one is reached. Returns the
 * DOM-order positions of the focusable controls and the positions focus went through (a
 * control with several stops, like a date input, counts once).
 */
export async function tabOrder(page: Page): Promise<{ expected: number[]; visited: number[] }> {
  const count = await page.$$eval(`${CONTROLS}, [tabindex]`, (found) => {
    const elements = found as unknown as MiniElement[];
    const w = globalThis as unknown as InPage;
    let index = 0;
    for (const element of elements) {
      element.removeAttribute("data-e2e-tab");
      const tag = element.tagName.toLowerCase();
      const style = w.getComputedStyle(element);
      const focusable =
        element.disabled !== true &&
        element.tabIndex >= 0 &&
        !(tag === "a" && !element.hasAttribute("href")) &&
        !(tag === "input" && element.getAttribute("type") === "hidden") &&
        element.getClientRects().length > 0 &&
        style.visibility !== "hidden";
      if (focusable) element.setAttribute("data-e2e-tab", String(index++));
    }
    return index;
  });
  const expected = Array.from({ length: count }, (_, i) => i);
  if (count === 0) return { expected, visited: [] };
  await page.locator('[data-e2e-tab="0"]').focus();
  const focused = () =>
    page.evaluate(() => {
      const at = (globalThis as unknown as InPage).document.activeElement?.getAttribute(
        "data-e2e-tab",
      );
      return at === null || at === undefined ? -1 : Number(at);
    });
  const visited = [await focused()];
  // Date inputs take a Tab per part; bounded so a trap fails instead of hanging.
  for (let presses = 0; visited.at(-1) !== count - 1 && presses < count * 10; presses++) {
    await page.keyboard.press("Tab");
    const now = await focused();
    if (now !== visited.at(-1)) visited.push(now);
    if (now === -1) break;
  }
  return { expected, visited };
}

/** Waits until web fonts (if any) are in, so screenshots are stable. */
export async function fontsReady(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await (globalThis as unknown as InPage).document.fonts.ready;
  });
}

/**
 * Debian's Chromium, headless, with a profile of its own in `profile`: without the
 * background-networking flags it keeps trying this machine's closed network.
 */
export function launchChromium(
  profile: string,
  viewport: { width: number; height: number },
): Promise<BrowserContext> {
  return chromium.launchPersistentContext(profile, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-quic",
    ],
    viewport,
    acceptDownloads: true,
  });
}
