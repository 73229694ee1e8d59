/**
 * What the app asks of Telegram, behind one interface: the SDK implements it in
 * Telegram (platform-telegram.ts), tests record what the app asked.
 */
export interface Platform {
  /** The raw init data: the API's credentials. */
  initDataRaw: string;
  /** From a t.me/<bot>?startapp=team_<chatId> link: which team to show first. */
  startTeamId: number | null;
  /** Mobile clients cannot save a file the page downloads itself. */
  canDownloadFiles: boolean;
  mainButton: {
    show(text: string, onClick: () => void): void;
    setLoading(loading: boolean): void;
    hide(): void;
  };
  backButton: {
    show(onClick: () => void): void;
    hide(): void;
  };
  haptic(kind: "success" | "error" | "selection"): void;
  /** Ask before closing while there are unsaved changes. */
  confirmClosing(enabled: boolean): void;
  /** Opens a t.me link inside Telegram. */
  openTelegramLink(url: string): void;
}
