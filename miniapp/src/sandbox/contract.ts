/**
 * The sandbox's HTTP contract (/sandbox/api), as the page reads it. The service checks
 * every request with zod; the page trusts the answers, as the Mini App trusts /api.
 */

export interface Person {
  id: number;
  firstName: string;
  username: string | null;
}

export interface Chat {
  id: number;
  type: "private" | "supergroup";
  title: string;
  /** The menu button's text when it opens the Mini App (private chats); else it lists commands. */
  appButton: string | null;
}

export interface BotCommand {
  command: string;
  description: string;
}

export interface SandboxState {
  people: Person[];
  chats: Chat[];
  commands: BotCommand[];
  botUsername: string;
}

/** One inline button: exactly one of data (callback), url or webApp is set. */
export interface InlineButton {
  text: string;
  data?: string;
  url?: string;
  webApp?: string;
}

export interface SandboxMessage {
  id: number;
  chatId: number;
  from: { id: number; firstName: string; isBot: boolean };
  text: string;
  /** The bot's parse_mode HTML, already limited to Telegram's tags by the service. */
  html: string;
  date: string;
  replyTo: number | null;
  buttons: InlineButton[][];
  document: { fileName: string; url: string } | null;
  edited: boolean;
}

/** What GET /sandbox/api/events sends, per event name. */
export type SandboxEvent =
  | { kind: "message"; chatId: number; message: SandboxMessage }
  | { kind: "edit"; chatId: number; message: SandboxMessage }
  | { kind: "delete"; chatId: number; messageId: number };

export type EventKind = SandboxEvent["kind"];
export const EVENT_KINDS: readonly EventKind[] = ["message", "edit", "delete"];
