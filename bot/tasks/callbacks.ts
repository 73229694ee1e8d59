import type { TaskStatus } from "#db/tasks";

/**
 * Callback data for task buttons, built and parsed in one place (Telegram allows 64
 * bytes). A list button carries the page it sits on so the same message is redrawn.
 */
export type TaskAction =
  | { kind: "status"; taskId: number; status: TaskStatus }
  | { kind: "list-status"; taskId: number; status: TaskStatus; list: ListRef }
  | { kind: "page"; list: ListRef }
  /** Skip this occurrence of a repeating task. */
  | { kind: "skip"; taskId: number }
  /** Show the card's reminder choices, toggle one of them, or go back to the card. */
  | { kind: "reminders"; taskId: number }
  | { kind: "toggle-reminder"; taskId: number; offset: number }
  | { kind: "card"; taskId: number };

export interface ListRef {
  status: TaskStatus;
  page: number;
}

const statusCode = (status: TaskStatus) => (status === "done" ? "d" : "o");
const statusOf = (code: string): TaskStatus => (code === "d" ? "done" : "open");

export function encodeTaskAction(action: TaskAction): string {
  switch (action.kind) {
    case "status":
      return `t:s:${action.taskId}:${statusCode(action.status)}`;
    case "list-status":
      return `t:ls:${action.taskId}:${statusCode(action.status)}:${statusCode(action.list.status)}:${action.list.page}`;
    case "page":
      return `t:p:${statusCode(action.list.status)}:${action.list.page}`;
    case "skip":
      return `t:k:${action.taskId}`;
    case "reminders":
      return `t:r:${action.taskId}`;
    case "toggle-reminder":
      return `t:o:${action.taskId}:${action.offset}`;
    case "card":
      return `t:c:${action.taskId}`;
  }
}

const ID = "(\\d{1,15})";
const CODE = "([od])";
const PATTERNS = {
  status: new RegExp(`^t:s:${ID}:${CODE}$`),
  listStatus: new RegExp(`^t:ls:${ID}:${CODE}:${CODE}:(\\d{1,5})$`),
  page: new RegExp(`^t:p:${CODE}:(\\d{1,5})$`),
  card: new RegExp(`^t:([krc]):${ID}$`),
  toggle: new RegExp(`^t:o:${ID}:(\\d{1,5})$`),
};

const CARD_ACTIONS = { k: "skip", r: "reminders", c: "card" } as const;

/** Parses callback data; anything malformed (old or forged buttons) is null. */
export function decodeTaskAction(data: string): TaskAction | null {
  let m = PATTERNS.status.exec(data);
  if (m) return { kind: "status", taskId: Number(m[1]), status: statusOf(m[2] ?? "") };
  m = PATTERNS.listStatus.exec(data);
  if (m) {
    return {
      kind: "list-status",
      taskId: Number(m[1]),
      status: statusOf(m[2] ?? ""),
      list: { status: statusOf(m[3] ?? ""), page: Number(m[4]) },
    };
  }
  m = PATTERNS.page.exec(data);
  if (m) return { kind: "page", list: { status: statusOf(m[1] ?? ""), page: Number(m[2]) } };
  m = PATTERNS.card.exec(data);
  if (m) {
    const kind = CARD_ACTIONS[(m[1] ?? "c") as keyof typeof CARD_ACTIONS];
    return { kind, taskId: Number(m[2]) };
  }
  m = PATTERNS.toggle.exec(data);
  if (m) return { kind: "toggle-reminder", taskId: Number(m[1]), offset: Number(m[2]) };
  return null;
}

export const TASK_CALLBACK = /^t:/;
