import {
  backButton,
  closingBehavior,
  hapticFeedback,
  init,
  mainButton,
  miniApp,
  openTelegramLink,
  retrieveLaunchParams,
  retrieveRawInitData,
  themeParams,
  viewport,
} from "@telegram-apps/sdk";
import type { Platform } from "./platform.ts";

const TEAM_START = /^team_(-\d{1,16})$/;

/** Sets the SDK up (theme as CSS variables, live; full height; safe areas) and wraps it. */
export function telegramPlatform(): Platform {
  init();
  if (miniApp.mountSync.isAvailable()) miniApp.mountSync();
  if (themeParams.mountSync.isAvailable()) themeParams.mountSync();
  if (themeParams.bindCssVars.isAvailable()) themeParams.bindCssVars();
  if (miniApp.bindCssVars.isAvailable()) miniApp.bindCssVars();
  if (backButton.mount.isAvailable()) backButton.mount();
  if (mainButton.mount.isAvailable()) mainButton.mount();
  if (closingBehavior.mount.isAvailable()) closingBehavior.mount();
  if (viewport.mount.isAvailable()) {
    viewport
      .mount()
      .then(() => {
        if (viewport.bindCssVars.isAvailable()) viewport.bindCssVars();
        if (viewport.expand.isAvailable()) viewport.expand();
      })
      .catch(() => {});
  }
  if (miniApp.ready.isAvailable()) miniApp.ready();

  const launch = retrieveLaunchParams();
  const start = TEAM_START.exec(launch.tgWebAppStartParam ?? "");
  let clickHandler: (() => void) | undefined;
  let backHandler: (() => void) | undefined;
  return {
    initDataRaw: retrieveRawInitData() ?? "",
    startTeamId: start?.[1] ? Number(start[1]) : null,
    canDownloadFiles: !["ios", "android", "android_x"].includes(launch.tgWebAppPlatform),
    mainButton: {
      show(text, onClick) {
        if (clickHandler) mainButton.offClick(clickHandler);
        clickHandler = onClick;
        mainButton.onClick(onClick);
        mainButton.setParams({ text, isVisible: true, isEnabled: true });
      },
      setLoading(loading) {
        mainButton.setParams({ isLoaderVisible: loading, isEnabled: !loading });
      },
      hide() {
        if (clickHandler) mainButton.offClick(clickHandler);
        clickHandler = undefined;
        mainButton.setParams({ isVisible: false, isLoaderVisible: false });
      },
    },
    backButton: {
      show(onClick) {
        if (backHandler) backButton.offClick(backHandler);
        backHandler = onClick;
        backButton.onClick(onClick);
        backButton.show();
      },
      hide() {
        if (backHandler) backButton.offClick(backHandler);
        backHandler = undefined;
        backButton.hide();
      },
    },
    haptic(kind) {
      if (kind === "selection") {
        if (hapticFeedback.selectionChanged.isAvailable()) hapticFeedback.selectionChanged();
      } else if (hapticFeedback.notificationOccurred.isAvailable()) {
        hapticFeedback.notificationOccurred(kind);
      }
    },
    confirmClosing(enabled) {
      if (enabled && closingBehavior.enableConfirmation.isAvailable()) {
        closingBehavior.enableConfirmation();
      } else if (!enabled && closingBehavior.disableConfirmation.isAvailable()) {
        closingBehavior.disableConfirmation();
      }
    },
    openTelegramLink(url) {
      if (openTelegramLink.isAvailable()) openTelegramLink(url);
    },
  };
}
