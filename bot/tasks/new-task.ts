import type { Conversation } from "@grammyjs/conversations";
import { type Context, InlineKeyboard } from "grammy";
import { DateTime } from "luxon";
import { escapeHtml } from "#bot/lib/html";
import { cutText } from "#bot/lib/text";
import { describeRepeat } from "#bot/tasks/recurring/describe";
import { type ParsedRepeat, parseRepeat } from "#bot/tasks/recurring/parse";
import type { BotContext } from "#bot/telegram/context";
import { type FormStep, formButton, isNewTaskFormButton } from "./callbacks.ts";
import { offsetLabel, personLabel, renderCard } from "./card.ts";
import { chatOperation } from "./chat-operation.ts";
import type { RepeatRule } from "./contract.ts";
import { rememberGroupCard } from "./core/change.ts";
import { createTask } from "./core/create.ts";
import type { TaskPriority } from "./core/operation.ts";
import { membersToOffer, resolveAssignee, resolveAssigneeId } from "./core/people.ts";
import { formatDue, parseDue } from "./due.ts";
import { REMINDER_OFFSETS } from "./limits.ts";
import { validateDescription, validateTitle } from "./parse.ts";

export const NEW_TASK = "new-task";
const SKIP = formButton.encode({ step: "skip" });
/** A forgotten form must not swallow a member's chat messages hours later. */
export const NEW_TASK_IDLE_MS = 30 * 60 * 1000;

type NewTaskConversation = Conversation<BotContext, Context>;

/** A button's answer knows the message it sits on: the form edits that one. */
type Answer =
  | { kind: "text"; text: string }
  | { kind: "button"; data: string; messageId: number | undefined }
  | { kind: "skip" };

interface Assignee {
  id: number;
  label: string;
}

interface DueAnswer {
  at: string;
  hasTime: boolean;
  label: string;
  /** The day of the month in the member's zone: what "monthly" means. */
  day: number;
  /** "Every <weekday>" for the rule buttons. */
  weekday: string;
}

const Q = {
  title: "What is the task? Send a title (up to 200 characters), or /cancel.",
  description: "Add a description (up to 4000 characters), or /skip.",
  assignee: "Who should do it? Send <code>me</code> or an @username, tap a name, or /skip.",
  assigneePrivate: "Who should do it? Send <code>me</code> or an @username, or /skip.",
  due: "When is it due? For example <code>tomorrow</code>, <code>friday</code>, <code>in 3 days</code> or <code>2026-12-24 15:00</code>. Or /skip.",
  reminders: "When should I remind? Tap to turn reminders on or off, then Done (or /skip).",
  repeat:
    "Does it repeat? Tap a rule, write one like <code>every monday and thursday</code> or <code>every 2 weeks after done</code>, or /skip.",
  priority: "How important is it?",
  confirm: "Create this task?",
};

/** The command a message starts with ("/skip@my_bot" → "skip"), or null. */
const commandOf = (text: string): string | null =>
  /^\/([a-z_]+)(@\w+)?(\s|$)/i.exec(text)?.[1]?.toLowerCase() ?? null;

/** Commands a form handles itself; every other command passes a form by. */
const FORM_COMMANDS = new Set(["newtask", "skip", "cancel"]);

/**
 * Plain messages and form buttons may answer a form; other buttons and other commands
 * never do (a form would pass them on), so they need not pay for reading form state.
 */
export function mayAnswerAForm(ctx: Context): boolean {
  const data = ctx.callbackQuery?.data;
  if (data !== undefined) return isNewTaskFormButton.test(data);
  const text = ctx.message?.text;
  const command = text === undefined ? null : commandOf(text);
  return command === null || FORM_COMMANDS.has(command);
}

/**
 * The guided /newtask form. It replays on every update, so everything that touches the
 * database, the clock or Telegram runs inside `conversation.external` and happens once.
 */
export async function newTaskConversation(conversation: NewTaskConversation, ctx: Context) {
  const chat = ctx.chat;
  const user = ctx.from;
  if (!chat || !user) return;
  const teamId = chat.type === "group" || chat.type === "supergroup" ? chat.id : null;
  let replyTo = ctx.message?.message_id;

  // Sent through the outbox once the update commits: the form never learns a message's id,
  // and edits only the message a pressed button sits on.
  const say = (text: string, keyboard?: InlineKeyboard) =>
    conversation.external(async (outer) => {
      await outer.api.sendMessage(chat.id, text, {
        parse_mode: "HTML",
        ...(keyboard ? { reply_markup: keyboard } : {}),
        ...(replyTo
          ? { reply_parameters: { message_id: replyTo, allow_sending_without_reply: true } }
          : {}),
      });
    });

  const cancel = async (): Promise<never> => {
    await say("Cancelled. Nothing was saved.");
    return conversation.halt();
  };

  /**
   * Waits for this member's answer. Buttons of this step (by prefix), Skip and Cancel
   * answer it; other commands and other buttons pass by to the rest of the bot.
   */
  const waitAnswer = async (
    question: string,
    step: FormStep | null,
    optional: boolean,
  ): Promise<Answer> => {
    for (;;) {
      const next = await conversation.wait();
      const data = next.callbackQuery?.data;
      if (data !== undefined) {
        if (!isNewTaskFormButton.test(data)) await conversation.skip({ next: true });
        const press = formButton.decode(data);
        const current =
          press !== null &&
          (press.step === "cancel" ||
            (press.step === "skip" && optional) ||
            (step !== null && press.step === step));
        await conversation.external((outer) =>
          outer.answerCallbackQuery(
            current ? {} : { text: "That button belongs to an earlier question." },
          ),
        );
        if (!current || press === null) continue;
        if (press.step === "cancel") return cancel();
        if (press.step === "skip") return { kind: "skip" };
        return {
          kind: "button",
          data: "value" in press ? press.value : "",
          messageId: next.callbackQuery?.message?.message_id,
        };
      }
      const message = next.message;
      if (!message) await conversation.skip({ next: true });
      replyTo = message?.message_id;
      const text = message?.text;
      if (text === undefined) {
        await say("Please answer with text, or /cancel.");
        continue;
      }
      const command = commandOf(text);
      if (command === "cancel") return cancel();
      if (command === "skip") {
        if (optional) return { kind: "skip" };
        await say(`This one is needed. ${question}`);
        continue;
      }
      // Other commands (/tasks, /help…) still work in the middle of the form.
      if (command !== null) await conversation.skip({ next: true });
      return { kind: "text", text };
    }
  };

  const ask = async (
    question: string,
    options: { keyboard?: InlineKeyboard; buttons?: FormStep; optional?: boolean } = {},
  ): Promise<Answer> => {
    await say(question, options.keyboard);
    return waitAnswer(question, options.buttons ?? null, options.optional ?? false);
  };

  /** Reminder toggles on one message: each tap redraws its buttons, Done moves on. */
  const askReminders = async (): Promise<number[]> => {
    const chosen = new Set<number>([0]);
    await say(Q.reminders, reminderKeyboard(chosen));
    for (;;) {
      const answer = await waitAnswer(Q.reminders, "reminders", true);
      if (answer.kind === "text") {
        await say("Tap the reminders you want above, then Done.");
        continue;
      }
      if (answer.kind === "skip" || answer.data === "ok") return [...chosen].sort((a, b) => a - b);
      const offset = REMINDER_OFFSETS.find((known) => String(known) === answer.data);
      if (offset === undefined) continue;
      if (!chosen.delete(offset)) chosen.add(offset);
      const { messageId } = answer;
      if (messageId === undefined) continue;
      await conversation.external((outer) =>
        outer.api.editMessageReplyMarkup(chat.id, messageId, {
          reply_markup: reminderKeyboard(chosen),
        }),
      );
    }
  };

  let title: string | undefined;
  let question = Q.title;
  while (title === undefined) {
    const answer = await ask(question);
    const result = validateTitle(answer.kind === "text" ? answer.text : "");
    if (result.ok) title = result.title;
    else question = `${result.reason} ${Q.title}`;
  }

  let description: string | null | undefined;
  question = Q.description;
  while (description === undefined) {
    const answer = await ask(question, { optional: true });
    if (answer.kind !== "text") {
      description = null;
      break;
    }
    const result = validateDescription(answer.text);
    if (result.ok) description = result.description;
    else question = `${result.reason} ${Q.description}`;
  }

  const assigneeKeyboard = await conversation.external(async (outer) => {
    const keyboard = new InlineKeyboard()
      .text("Me", formButton.encode({ step: "assignee", value: "me" }))
      .text("Skip", SKIP)
      .row();
    if (teamId === null) return keyboard.inline_keyboard;
    const members = await membersToOffer(outer.db, outer.services.vault, teamId, 12);
    members.forEach((member, index) => {
      keyboard.text(
        personLabel(member),
        formButton.encode({ step: "assignee", value: String(member.id) }),
      );
      if (index % 3 === 2) keyboard.row();
    });
    return keyboard.inline_keyboard;
  });
  let assignee: Assignee | null | undefined;
  question = teamId === null ? Q.assigneePrivate : Q.assignee;
  while (assignee === undefined) {
    const answer = await ask(question, {
      keyboard: InlineKeyboard.from(assigneeKeyboard),
      buttons: "assignee",
      optional: true,
    });
    if (answer.kind === "skip") {
      assignee = null;
      break;
    }
    const result = await conversation.external(async (outer) => {
      const resolved =
        answer.kind === "button"
          ? await resolveAssigneeId(outer.db, outer.services.vault, answer.data, user.id, teamId)
          : await resolveAssignee(outer.db, outer.services.vault, answer.text, user.id, teamId);
      return resolved.ok
        ? {
            ok: true as const,
            assignee: { id: resolved.person.id, label: personLabel(resolved.person) },
          }
        : resolved;
    });
    if (result.ok) assignee = result.assignee;
    else
      question = `${escapeHtml(result.reason)} ${teamId === null ? Q.assigneePrivate : Q.assignee}`;
  }

  const dueKeyboard = new InlineKeyboard()
    .text("Today", formButton.encode({ step: "due", value: "today" }))
    .text("Tomorrow", formButton.encode({ step: "due", value: "tomorrow" }))
    .text("Skip", SKIP);
  let due: DueAnswer | null | undefined;
  question = Q.due;
  while (due === undefined) {
    const answer = await ask(question, { keyboard: dueKeyboard, buttons: "due", optional: true });
    if (answer.kind === "skip") {
      due = null;
      break;
    }
    const phrase = answer.kind === "button" ? answer.data : answer.text;
    const result = await conversation.external(async (outer) => {
      const now = outer.services.clock.now();
      const timeZone = outer.viewer.timeZone;
      const parsed = parseDue(phrase, now, timeZone);
      if (!parsed.ok) return parsed;
      return {
        ok: true as const,
        due: {
          at: parsed.due.at.toISOString(),
          hasTime: parsed.due.hasTime,
          label: formatDue(parsed.due, now, timeZone),
          day: DateTime.fromJSDate(parsed.due.at, { zone: timeZone }).day,
          weekday: DateTime.fromJSDate(parsed.due.at, { zone: timeZone })
            .setLocale("en-US")
            .toFormat("cccc"),
        },
      };
    });
    if (result.ok) due = result.due;
    else question = `${escapeHtml(result.reason)} ${Q.due}`;
  }

  const offsets = due?.hasTime ? await askReminders() : [];

  let repeat: { rule: RepeatRule; time: ParsedRepeat["time"]; label: string } | null = null;
  question = Q.repeat;
  while (due && repeat === null) {
    const answer = await ask(question, {
      keyboard: repeatKeyboard(due),
      buttons: "repeat",
      optional: true,
    });
    if (answer.kind === "skip") break;
    const result = parseRepeat(answer.kind === "button" ? answer.data : answer.text, due.day);
    if (result.ok) repeat = { ...result.repeat, label: describeRepeat(result.repeat.rule) };
    else question = `${escapeHtml(result.reason)} ${Q.repeat}`;
  }

  const priorityKeyboard = new InlineKeyboard()
    .text("Low", formButton.encode({ step: "priority", value: "low" }))
    .text("Normal", formButton.encode({ step: "priority", value: "normal" }))
    .text("‼️ High", formButton.encode({ step: "priority", value: "high" }));
  let priority: TaskPriority | undefined;
  question = Q.priority;
  while (priority === undefined) {
    const answer = await ask(question, {
      keyboard: priorityKeyboard,
      buttons: "priority",
      optional: true,
    });
    if (answer.kind === "skip") {
      priority = "normal";
      break;
    }
    const value = (answer.kind === "button" ? answer.data : answer.text).trim().toLowerCase();
    if (value === "low" || value === "normal" || value === "high") priority = value;
    else question = `Choose low, normal or high. ${Q.priority}`;
  }

  const summary = [
    `<b>${escapeHtml(title)}</b>`,
    description ? escapeHtml(cutText(description, 300)) : null,
    `Assignee: ${assignee ? escapeHtml(assignee.label) : "nobody"}`,
    `Due: ${due ? escapeHtml(due.label) : "no date"}`,
    due?.hasTime
      ? `Reminders: ${offsets.length > 0 ? offsets.map(offsetLabel).join(", ").toLowerCase() : "none"}`
      : null,
    due ? `Repeats: ${repeat ? escapeHtml(repeat.label) : "no"}` : null,
    `Priority: ${priority}`,
    "",
    Q.confirm,
  ].filter((line) => line !== null);
  const confirmKeyboard = new InlineKeyboard()
    .text("Create", formButton.encode({ step: "create" }))
    .text("Cancel", formButton.encode({ step: "cancel" }));
  await say(summary.join("\n"), confirmKeyboard);
  let summaryMessageId: number | undefined;
  for (;;) {
    const answer = await waitAnswer(Q.confirm, "create", false);
    if (answer.kind === "button") {
      summaryMessageId = answer.messageId;
      break;
    }
    await say("Tap Create or Cancel above.");
  }

  await conversation.external(async (outer) => {
    const now = outer.services.clock.now();
    const timeZone = outer.viewer.timeZone;
    const op = chatOperation(outer, user, now);
    const task = await createTask(op, {
      teamId,
      title,
      description,
      priority,
      assigneeId: assignee?.id ?? null,
      due: due ? { at: new Date(due.at), hasTime: due.hasTime } : null,
      repeat,
      // Asked only for a due time of day; none chosen means none, even when a rule sets the time.
      reminders: offsets,
    });
    const inGroup = teamId !== null;
    const card = renderCard(task, { now, timeZone, showTeam: !inGroup, readersOwnTime: inGroup });
    const options = { parse_mode: "HTML" as const, reply_markup: card.keyboard };
    if (summaryMessageId === undefined) {
      // Telegram no longer shows the summary's message: the card comes as a new one.
      outer.outgoing.queue({
        chatId: chat.id,
        method: "sendMessage",
        text: card.text,
        params: { ...options },
        ...(task.teamId === null ? {} : { writeBack: { groupCardOf: task.id } }),
      });
      return;
    }
    await outer.api.editMessageText(chat.id, summaryMessageId, card.text, options);
    await rememberGroupCard(op, task, summaryMessageId);
  });
}

function reminderKeyboard(chosen: ReadonlySet<number>): InlineKeyboard {
  const keyboard = new InlineKeyboard();
  for (const offset of REMINDER_OFFSETS) {
    keyboard.text(
      `${chosen.has(offset) ? "✓ " : ""}${offsetLabel(offset)}`,
      formButton.encode({ step: "reminders", value: String(offset) }),
    );
    if (offset === 15) keyboard.row();
  }
  return keyboard.row().text("Done", formButton.encode({ step: "reminders", value: "ok" }));
}

const repeatButton = (phrase: string) => formButton.encode({ step: "repeat", value: phrase });

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** The common rules, worded for the chosen due date; anything else can be written. */
function repeatKeyboard(due: DueAnswer): InlineKeyboard {
  return new InlineKeyboard()
    .text("Every day", repeatButton("every day"))
    .text("Weekdays", repeatButton("weekdays"))
    .row()
    .text(`Every ${due.weekday}`, repeatButton(`every ${due.weekday.toLowerCase()}`))
    .text(capitalize(describeRepeat({ every: "month", day: due.day })), repeatButton("monthly"))
    .row()
    .text("No", SKIP);
}
