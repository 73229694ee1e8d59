/**
 * How the sandbox opens the Mini App in its frame: as Telegram does, with the launch
 * parameters in the address's hash, which the SDK reads (test/e2e/telegram-env.ts mocks the
 * same ones). The platform is a desktop one: desktop clients size the page themselves, so
 * the app waits for no viewport answer from a parent that cannot send one.
 */

export type ThemeName = "light" | "dark";
export type Palette = Record<string, `#${string}`>;

/** Telegram's palettes, the same as the e2e tests'. */
export const PALETTES: Record<ThemeName, Palette> = {
  light: {
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
  },
  dark: {
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
  },
};

export const MINI_APP_VERSION = "8.0";
export const MINI_APP_PLATFORM = "tdesktop";

/** The Mini App's address (`/` of this origin) for one person, theme and start parameter. */
export function miniAppSrc(initData: string, theme: ThemeName, startParam: string | null): string {
  const params = new URLSearchParams({
    tgWebAppData: initData,
    tgWebAppVersion: MINI_APP_VERSION,
    tgWebAppPlatform: MINI_APP_PLATFORM,
    tgWebAppThemeParams: JSON.stringify(PALETTES[theme]),
  });
  if (startParam) params.set("tgWebAppStartParam", startParam);
  return `/#${params.toString()}`;
}

/**
 * The start parameter of a link that opens the bot's Mini App (t.me/<bot>?startapp=…, as
 * /tasks and digests post in groups): "" without one; null for any other link.
 */
export function appLinkStart(href: string, botUsername: string): string | null {
  let url: URL;
  try {
    url = new URL(href);
  } catch {
    return null;
  }
  if (url.hostname !== "t.me" || url.pathname.toLowerCase() !== `/${botUsername.toLowerCase()}`) {
    return null;
  }
  return url.searchParams.has("startapp") ? (url.searchParams.get("startapp") ?? "") : null;
}
