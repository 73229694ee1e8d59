import type { TaskStatus } from "#db/tasks";

/**
 * Every button family's callback data, built and parsed here: a short prefix, then typed
 * fields. Telegram refuses a button whose data is over 64 bytes, so encoding checks it;
 * decoding answers null for anything malformed (an old, forged or foreign button).
 * The strings are the ones buttons already in chats carry, so a deploy does not break them.
 */
export const MAX_CALLBACK_BYTES = 64;

export interface CallbackFamily<T> {
  prefix: string;
  /** Matches every data string of the family (for `composer.callbackQuery`). */
  match: RegExp;
  encode(value: T): string;
  decode(data: string): T | null;
}

export class CallbackDataTooLong extends Error {
  constructor(prefix: string, bytes: number) {
    super(`callback data of "${prefix}" is ${bytes} bytes, over Telegram's ${MAX_CALLBACK_BYTES}`);
  }
}

const prefixes = new Set<string>();

function family<T>(
  prefix: string,
  body: (value: T) => string,
  parse: (body: string) => T | null,
): CallbackFamily<T> {
  // Two families on one prefix would read each other's buttons.
  if (prefixes.has(prefix)) throw new Error(`callback prefix "${prefix}" is taken`);
  prefixes.add(prefix);
  const head = `${prefix}:`;
  return {
    prefix,
    match: new RegExp(`^${prefix}:`),
    encode(value) {
      const data = head + body(value);
      const bytes = Buffer.byteLength(data, "utf8");
      if (bytes > MAX_CALLBACK_BYTES) throw new CallbackDataTooLong(prefix, bytes);
      return data;
    },
    decode(data) {
      return data.startsWith(head) ? parse(data.slice(head.length)) : null;
    },
  };
}

/** A whole number of at most `digits` digits, as the decoders accept it back. */
function id(value: number, digits = 15): string {
  const text = String(value);
  if (!Number.isSafeInteger(value) || value < 0 || text.length > digits) {
    throw new RangeError(`not a callback id: ${text}`);
  }
  return text;
}

// Tasks ---------------------------------------------------------------------------------

export interface ListRef {
  status: TaskStatus;
  page: number;
}

/** A list button carries the page it sits on so the same message is redrawn. */
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

const statusCode = (status: TaskStatus) => (status === "done" ? "d" : "o");
const statusOf = (code: string | undefined): TaskStatus => (code === "d" ? "done" : "open");

const ID = "(\\d{1,15})";
const CODE = "([od])";
const SMALL = "(\\d{1,5})";
const TASK_PATTERNS = {
  status: new RegExp(`^s:${ID}:${CODE}$`),
  listStatus: new RegExp(`^ls:${ID}:${CODE}:${CODE}:${SMALL}$`),
  page: new RegExp(`^p:${CODE}:${SMALL}$`),
  card: new RegExp(`^([krc]):${ID}$`),
  toggle: new RegExp(`^o:${ID}:${SMALL}$`),
};
const CARD_ACTIONS = { k: "skip", r: "reminders", c: "card" } as const;

export const taskButton: CallbackFamily<TaskAction> = family(
  "t",
  (action) => {
    switch (action.kind) {
      case "status":
        return `s:${id(action.taskId)}:${statusCode(action.status)}`;
      case "list-status":
        return `ls:${id(action.taskId)}:${statusCode(action.status)}:${statusCode(action.list.status)}:${id(action.list.page, 5)}`;
      case "page":
        return `p:${statusCode(action.list.status)}:${id(action.list.page, 5)}`;
      case "skip":
        return `k:${id(action.taskId)}`;
      case "reminders":
        return `r:${id(action.taskId)}`;
      case "toggle-reminder":
        return `o:${id(action.taskId)}:${id(action.offset, 5)}`;
      case "card":
        return `c:${id(action.taskId)}`;
    }
  },
  (body) => {
    let m = TASK_PATTERNS.status.exec(body);
    if (m) return { kind: "status", taskId: Number(m[1]), status: statusOf(m[2]) };
    m = TASK_PATTERNS.listStatus.exec(body);
    if (m) {
      return {
        kind: "list-status",
        taskId: Number(m[1]),
        status: statusOf(m[2]),
        list: { status: statusOf(m[3]), page: Number(m[4]) },
      };
    }
    m = TASK_PATTERNS.page.exec(body);
    if (m) return { kind: "page", list: { status: statusOf(m[1]), page: Number(m[2]) } };
    m = TASK_PATTERNS.card.exec(body);
    if (m) {
      const kind = CARD_ACTIONS[(m[1] ?? "c") as keyof typeof CARD_ACTIONS];
      return { kind, taskId: Number(m[2]) };
    }
    m = TASK_PATTERNS.toggle.exec(body);
    if (m) return { kind: "toggle-reminder", taskId: Number(m[1]), offset: Number(m[2]) };
    return null;
  },
);

// The /newtask form ----------------------------------------------------------------------

/** A press on one of the /newtask form's buttons: which question it answers, and how. */
export type FormButton =
  | { step: "cancel" }
  | { step: "skip" }
  | { step: "create" }
  /** "me" or a member's user id, checked again when read: button data can be forged. */
  | { step: "assignee"; value: string }
  | { step: "due"; value: string }
  /** A reminder offset to toggle, or "ok" when done choosing. */
  | { step: "reminders"; value: string }
  /** A rule phrase the form reads like a written answer ("every monday", "monthly"). */
  | { step: "repeat"; value: string }
  | { step: "priority"; value: string };

export type FormStep = FormButton["step"];

const FORM_VALUE_CODES = {
  assignee: "a",
  due: "d",
  reminders: "r",
  repeat: "rp",
  priority: "p",
} as const;
type FormValueStep = keyof typeof FORM_VALUE_CODES;
const FORM_BARE_STEPS = new Set<string>(["cancel", "skip", "create"]);
const FORM_BODY = /^(a|d|r|rp|p):(.+)$/s;

/**
 * The form's buttons (nt:cancel, nt:a:me, nt:rp:every monday …). The prefix is also how
 * bot/telegram/bot.ts knows a press may answer a form (mayAnswerAForm).
 */
export const formButton: CallbackFamily<FormButton> = family<FormButton>(
  "nt",
  (button) =>
    "value" in button ? `${FORM_VALUE_CODES[button.step]}:${button.value}` : button.step,
  (body) => {
    if (FORM_BARE_STEPS.has(body)) return { step: body as "cancel" | "skip" | "create" };
    const match = FORM_BODY.exec(body);
    if (!match) return null;
    const codes = Object.entries(FORM_VALUE_CODES) as Array<[FormValueStep, string]>;
    const step = codes.find(([, code]) => code === match[1])?.[0];
    return step ? { step, value: match[2] ?? "" } : null;
  },
);

export const isNewTaskFormButton = formButton.match;

// One-time confirmations ------------------------------------------------------------------

/** A press on a confirmation's yes or cancel button; the token is the stored confirmation. */
export interface ConfirmPress {
  answer: "yes" | "no";
  token: string;
}

/** The length `randomBytes(12).toString("base64url")` always has. */
export const CONFIRM_TOKEN_LENGTH = 16;
const CONFIRM_BODY = new RegExp(`^([yn]):([\\w-]{${CONFIRM_TOKEN_LENGTH}})$`);

function confirmFamily(prefix: string): CallbackFamily<ConfirmPress> {
  return family<ConfirmPress>(
    prefix,
    (press) => {
      if (!CONFIRM_BODY.test(`y:${press.token}`)) throw new RangeError("not a confirmation token");
      return `${press.answer === "yes" ? "y" : "n"}:${press.token}`;
    },
    (body) => {
      const m = CONFIRM_BODY.exec(body);
      if (!m) return null;
      return { answer: m[1] === "y" ? "yes" : "no", token: m[2] ?? "" };
    },
  );
}

/** /delete's buttons. */
export const eraseButton = confirmFamily("er");
/** /retention's buttons when the period gets shorter. */
export const shortenRetentionButton = confirmFamily("rt");
/** /purge's buttons. */
export const purgeButton = confirmFamily("pg");

// Consent -------------------------------------------------------------------------------

export type ConsentOp = "give" | "withdraw" | "delete-stored" | "keep-stored";

/** A consent button is only valid for the user it was shown to, for one notice version. */
export interface ConsentPress {
  op: ConsentOp;
  userId: number;
  policyVersion: number;
  /** When the button was made, to the second (ms since the epoch, a multiple of 1000). */
  issuedAt: number;
}

const OP_CODES: Record<ConsentOp, string> = {
  give: "g",
  withdraw: "w",
  "delete-stored": "d",
  "keep-stored": "k",
};
const CONSENT_BODY = /^([gwdk]):(\d{1,16}):(\d{1,6}):([0-9a-z]{1,10})$/;

export const consentButton: CallbackFamily<ConsentPress> = family<ConsentPress>(
  "cs",
  (press) => {
    const issued = Math.floor(press.issuedAt / 1000);
    if (!Number.isSafeInteger(issued) || issued < 0) throw new RangeError("not a button time");
    return `${OP_CODES[press.op]}:${id(press.userId, 16)}:${id(press.policyVersion, 6)}:${issued.toString(36)}`;
  },
  (body) => {
    const m = CONSENT_BODY.exec(body);
    if (!m) return null;
    const op = (Object.keys(OP_CODES) as ConsentOp[]).find((key) => OP_CODES[key] === m[1]);
    if (!op) return null;
    return {
      op,
      userId: Number(m[2]),
      policyVersion: Number(m[3]),
      issuedAt: Number.parseInt(m[4] ?? "", 36) * 1000,
    };
  },
);

// Reminders -----------------------------------------------------------------------------

/** A delivered reminder's "Snooze 1 h" or "Tomorrow" button. */
export interface SnoozePress {
  until: "hour" | "tomorrow";
  reminderId: number;
}

const SNOOZE_BODY = /^([zt]):(\d{1,15})$/;

export const snoozeButton: CallbackFamily<SnoozePress> = family<SnoozePress>(
  "rm",
  (press) => `${press.until === "hour" ? "z" : "t"}:${id(press.reminderId)}`,
  (body) => {
    const m = SNOOZE_BODY.exec(body);
    if (!m) return null;
    return { until: m[1] === "z" ? "hour" : "tomorrow", reminderId: Number(m[2]) };
  },
);
