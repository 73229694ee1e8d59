import {
  CallbackDataTooLong,
  type CallbackFamily,
  MAX_CALLBACK_BYTES,
  type TaskAction,
  taskButton,
} from "#bot/telegram/callback-data";

/** Task buttons, whose callback data lives with every other family's in one codec. */
export type { ListRef, TaskAction } from "#bot/telegram/callback-data";

export const encodeTaskAction = (action: TaskAction): string => taskButton.encode(action);

/** Parses callback data; anything malformed (old or forged buttons) is null. */
export const decodeTaskAction = (data: string): TaskAction | null => taskButton.decode(data);

export const TASK_CALLBACK = taskButton.match;

// The /newtask form's buttons -----------------------------------------------------------

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

const FORM_PREFIX = "nt";
const VALUE_CODES = {
  assignee: "a",
  due: "d",
  reminders: "r",
  repeat: "rp",
  priority: "p",
} as const;
type ValueStep = keyof typeof VALUE_CODES;
const BARE_STEPS = new Set<FormStep>(["cancel", "skip", "create"]);
const FORM_BODY = /^(a|d|r|rp|p):(.+)$/s;

/**
 * The form's callback data, in the same style as every other family's (the strings the
 * form has always used: nt:cancel, nt:a:me, nt:rp:every monday …). Its prefix is the one
 * bot/telegram/bot.ts routes to the form's storage (mayAnswerAForm).
 */
export const formButton: CallbackFamily<FormButton> = {
  prefix: FORM_PREFIX,
  match: new RegExp(`^${FORM_PREFIX}:`),
  encode(button) {
    const body =
      "value" in button ? `${VALUE_CODES[button.step as ValueStep]}:${button.value}` : button.step;
    const data = `${FORM_PREFIX}:${body}`;
    const bytes = Buffer.byteLength(data, "utf8");
    if (bytes > MAX_CALLBACK_BYTES) throw new CallbackDataTooLong(FORM_PREFIX, bytes);
    return data;
  },
  decode(data) {
    if (!data.startsWith(`${FORM_PREFIX}:`)) return null;
    const body = data.slice(FORM_PREFIX.length + 1);
    if (BARE_STEPS.has(body as FormStep)) return { step: body as "cancel" | "skip" | "create" };
    const m = FORM_BODY.exec(body);
    if (!m) return null;
    const step = (Object.keys(VALUE_CODES) as ValueStep[]).find((key) => VALUE_CODES[key] === m[1]);
    return step ? { step, value: m[2] ?? "" } : null;
  },
};

export const isNewTaskFormButton = formButton.match;
