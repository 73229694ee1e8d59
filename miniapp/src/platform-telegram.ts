// Only the SDK's bridge functions: its components (mainButton, themeParams, viewport …) pull
// in ~55 kB of signals and schemas, whichever of them is imported (docs/benchmarks.md).
import {
  createPostEvent,
  off,
  on,
  type RetrieveLPResult,
  retrieveLaunchParams,
  retrieveRawInitData,
  supports,
} from "@telegram-apps/sdk";
import type { Platform } from "./platform.ts";

const TEAM_START = /^team_(-\d{1,16})$/;
/** Clients that size the page themselves and never answer a viewport request. */
const DESKTOP = ["macos", "tdesktop", "unigram", "webk", "weba", "web"];
const MOBILE = ["ios", "android", "android_x"];

type LaunchParams = RetrieveLPResult;
type Theme = LaunchParams["tgWebAppThemeParams"];

/** The launch parameters Telegram opened the page with; null in a plain browser. */
export function telegramLaunch(): LaunchParams | null {
  try {
    return retrieveLaunchParams();
  } catch {
    return null;
  }
}

/**
 * Sets the page up inside Telegram (theme as CSS variables, live) and wraps it. `ready()`
 * tells Telegram, once the first screen is painted, that it is (and asks for the full
 * height), as Telegram advises; and so its first messages, checked against the bridge's
 * schemas (18–61 ms of the entry's 102–160 ms in traced opens, docs/benchmarks.md), do not
 * hold up the first rows.
 */
export function telegramPlatform(launch: LaunchParams): Platform & { ready(): void } {
  const version = launch.tgWebAppVersion;
  // A method this client's version lacks is skipped, as the SDK's isAvailable() checks did.
  const postEvent = createPostEvent(version, () => {});

  // Telegram's web clients open the app in an iframe and may ask it to reload.
  on("reload_iframe", () => {
    postEvent("iframe_will_reload");
    window.location.reload();
  });

  let theme: Theme = launch.tgWebAppThemeParams;
  bindThemeVars(theme);
  on("theme_changed", ({ theme_params }) => {
    theme = theme_params;
    bindThemeVars(theme);
  });

  const sizedByClient = DESKTOP.includes(launch.tgWebAppPlatform);
  if (!sizedByClient) {
    on("viewport_changed", ({ height, is_state_stable }) => {
      if (is_state_stable) setCssVar("--tg-viewport-stable-height", `${height}px`);
    });
  }

  const start = TEAM_START.exec(launch.tgWebAppStartParam ?? "");
  const main = { text: "", visible: false, enabled: true, loading: false };
  const setupMainButton = (change: Partial<typeof main>) => {
    Object.assign(main, change);
    // As the SDK did: Telegram shows no button without a text, so nothing to set up yet.
    if (!main.text) return;
    postEvent("web_app_setup_main_button", {
      text: main.text,
      is_visible: main.visible,
      is_active: main.enabled,
      is_progress_visible: main.loading,
      has_shine_effect: false,
      color: theme.button_color ?? "#2481cc",
      text_color: theme.button_text_color ?? "#ffffff",
    });
  };
  let clickHandler: (() => void) | undefined;
  let backHandler: (() => void) | undefined;
  let backVisible: boolean | undefined;
  const setupBackButton = (visible: boolean) => {
    if (visible === backVisible) return;
    backVisible = visible;
    postEvent("web_app_setup_back_button", { is_visible: visible });
  };
  let confirmingClose = false;

  return {
    ready() {
      let told = false;
      const tell = () => {
        if (told) return;
        told = true;
        postEvent("iframe_ready", { reload_supported: true });
        if (!sizedByClient) postEvent("web_app_request_viewport");
        postEvent("web_app_expand");
        postEvent("web_app_ready");
      };
      // After the frame that paints the first screen; a hidden page paints no frames, hence
      // the timer as well.
      requestAnimationFrame(() => setTimeout(tell, 0));
      setTimeout(tell, 250);
    },
    initDataRaw: retrieveRawInitData() ?? "",
    startTeamId: start?.[1] ? Number(start[1]) : null,
    canDownloadFiles: !MOBILE.includes(launch.tgWebAppPlatform),
    mainButton: {
      show(text, onClick) {
        if (clickHandler) off("main_button_pressed", clickHandler);
        clickHandler = onClick;
        on("main_button_pressed", onClick);
        setupMainButton({ text, visible: true, enabled: true });
      },
      setLoading(loading) {
        setupMainButton({ loading, enabled: !loading });
      },
      hide() {
        if (clickHandler) off("main_button_pressed", clickHandler);
        clickHandler = undefined;
        setupMainButton({ visible: false, loading: false });
      },
    },
    backButton: {
      show(onClick) {
        if (backHandler) off("back_button_pressed", backHandler);
        backHandler = onClick;
        on("back_button_pressed", onClick);
        setupBackButton(true);
      },
      hide() {
        if (backHandler) off("back_button_pressed", backHandler);
        backHandler = undefined;
        setupBackButton(false);
      },
    },
    haptic(kind) {
      if (kind === "selection") {
        postEvent("web_app_trigger_haptic_feedback", { type: "selection_change" });
      } else {
        postEvent("web_app_trigger_haptic_feedback", {
          type: "notification",
          notification_type: kind,
        });
      }
    },
    confirmClosing(enabled) {
      if (enabled === confirmingClose) return;
      confirmingClose = enabled;
      postEvent("web_app_setup_closing_behavior", { need_confirmation: enabled });
    },
    openTelegramLink(url) {
      if (!supports("web_app_open_tg_link", version)) {
        window.location.href = url;
        return;
      }
      const link = new URL(url);
      postEvent("web_app_open_tg_link", { path_full: link.pathname + link.search });
    },
  };
}

/** The theme as --tg-theme-bg-color and so on, the names the SDK's bindCssVars used. */
function bindThemeVars(theme: Theme): void {
  for (const [key, color] of Object.entries(theme)) {
    if (color) setCssVar(`--tg-theme-${key.replaceAll("_", "-")}`, color);
  }
}

function setCssVar(name: string, value: string): void {
  document.documentElement.style.setProperty(name, value);
}
