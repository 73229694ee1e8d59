import { InlineKeyboard } from "grammy";
import { escapeHtml, fitMessage, readersOwnTime } from "#bot/lib/html";
import { cutText, plural } from "#bot/lib/text";
import { describeRepeat } from "#bot/tasks/recurring/describe";
import { encodeTaskAction, type ListRef } from "./callbacks.ts";
import type { Person, TaskPage, TaskStatus, TaskView } from "./core/operation.ts";
import { type Due, formatDue, isOverdue } from "./due.ts";
import { REMINDER_OFFSETS } from "./limits.ts";

export const PAGE_SIZE = 10;

/** How the card is shown: the viewer's zone for due dates, and where it is shown. */
export interface CardView {
  now: Date;
  timeZone: string;
  /** In private chats a team task names its team; in the team's own chat that is noise. */
  showTeam: boolean;
  /**
   * Due times as date_time entities, which each reader's app shows in their own zone: for a
   * group, whose members may live in several. The text says the zone for apps that cannot.
   */
  readersOwnTime: boolean;
}

export interface Rendered {
  text: string;
  keyboard: InlineKeyboard;
}

export function personLabel(person: Pick<Person, "firstName" | "username">): string {
  return person.username ? `@${person.username}` : person.firstName || "someone";
}

const PRIORITY_LABEL = { low: "low", normal: "normal", high: "‼️ high" } as const;

/** In a list, long titles and group titles are shortened so a page of ten fits a message. */
const LIST_TITLE_MAX = 100;
const LIST_TEAM_MAX = 40;

/**
 * The compact line: `#id title · @assignee · due · priority`, HTML-escaped; `inList`
 * shortens the titles.
 */
export function taskLine(task: TaskView, view: CardView, inList = false): string {
  const title = inList ? cutText(task.title, LIST_TITLE_MAX) : task.title;
  const parts = [`${task.status === "done" ? "✅ " : ""}#${task.id} <b>${escapeHtml(title)}</b>`];
  if (task.assignee) parts.push(escapeHtml(personLabel(task.assignee)));
  else if (task.assigneeErased) parts.push("deleted user");
  if (task.dueAt && task.status === "open") {
    const due = { at: task.dueAt, hasTime: task.dueHasTime };
    const label = `due ${dueText(due, view)}`;
    parts.push(isOverdue(due, view.now, view.timeZone) ? `⚠️ ${label}` : label);
  }
  parts.push(PRIORITY_LABEL[task.priority]);
  if (view.showTeam && task.teamTitle) {
    const team = inList ? cutText(task.teamTitle, LIST_TEAM_MAX) : task.teamTitle;
    parts.push(`👥 ${escapeHtml(team)}`);
  }
  return parts.join(" · ");
}

/** A link to the message a task was made from; Telegram only has them for supergroups. */
export function sourceLink(chatId: number, messageId: number): string | null {
  const internal = -chatId - 1_000_000_000_000;
  if (chatId >= 0 || internal <= 0) return null;
  return `https://t.me/c/${internal}/${messageId}`;
}

/** The link to the source message, until the message passes its retention period. */
function sourceLine(task: TaskView, now: Date): string | null {
  if (task.sourceDate === null) return null;
  const expired = task.sourceExpiresAt !== null && task.sourceExpiresAt <= now;
  if (expired || task.sourceChatId === null || task.sourceMessageId === null) {
    return "↪ source message expired";
  }
  const link = sourceLink(task.sourceChatId, task.sourceMessageId);
  return link ? `↪ <a href="${link}">source message</a>` : null;
}

const DESCRIPTION_PREVIEW = 600;

/**
 * One task in its own message, with the button that flips its status and, while it is
 * open, those that skip an occurrence or set reminders. `next`: the occurrence completing
 * it created.
 */
export function renderCard(task: TaskView, view: CardView, next: TaskView | null = null): Rendered {
  const lines = [taskLine(task, view)];
  if (task.repeat && task.status === "open") lines.push(`↻ repeats ${describeRepeat(task.repeat)}`);
  if (next) lines.push(`↻ next: ${nextLine(next, view)}`);
  if (task.description) {
    lines.push("", escapeHtml(cutText(task.description, DESCRIPTION_PREVIEW)));
  }
  const source = sourceLine(task, view.now);
  if (source) lines.push("", source);
  const keyboard = new InlineKeyboard();
  if (task.status === "open") {
    keyboard.text("✓ Done", encodeTaskAction({ kind: "status", taskId: task.id, status: "done" }));
    // Done keeps the whole first row: it is the button people look for.
    const remindable = task.dueAt !== null && task.dueHasTime;
    if (task.repeat || remindable) keyboard.row();
    if (task.repeat) keyboard.text("⏭ Skip", encodeTaskAction({ kind: "skip", taskId: task.id }));
    if (remindable) {
      keyboard.text("⏰ Reminders", encodeTaskAction({ kind: "reminders", taskId: task.id }));
    }
  } else {
    keyboard.text(
      "↺ Reopen",
      encodeTaskAction({ kind: "status", taskId: task.id, status: "open" }),
    );
  }
  return { text: lines.join("\n"), keyboard };
}

function nextLine(next: TaskView, view: CardView): string {
  const due = next.dueAt
    ? `, due ${dueText({ at: next.dueAt, hasTime: next.dueHasTime }, view)}`
    : "";
  return `#${next.id}${due}`;
}

/**
 * A due date as HTML. A due time in a group is each reader's own (a date_time entity), with
 * the zone named for apps that cannot show it; a due day is a calendar day, shown as it is.
 */
function dueText(due: Due, view: CardView): string {
  const text = escapeHtml(formatDue(due, view.now, view.timeZone));
  if (!(view.readersOwnTime && due.hasTime)) return text;
  return readersOwnTime(due.at, `${formatDue(due, view.now, view.timeZone)} (${view.timeZone})`);
}

/** How a reminder offset reads on its button. */
export function offsetLabel(minutes: number): string {
  if (minutes === 0) return "At due time";
  if (minutes % 1440 === 0) return `${minutes / 1440} day before`;
  if (minutes % 60 === 0) return `${minutes / 60} h before`;
  return `${minutes} min before`;
}

/** The card with its reminder choices in place of its buttons: a tap turns one on or off. */
export function renderReminderChoices(task: TaskView, view: CardView, viewerId: number): Rendered {
  const chosen = new Set(task.reminderOffsets ?? []);
  const keyboard = new InlineKeyboard();
  for (const offset of REMINDER_OFFSETS) {
    const label = `${chosen.has(offset) ? "✓ " : ""}${offsetLabel(offset)}`;
    keyboard
      .text(label, encodeTaskAction({ kind: "toggle-reminder", taskId: task.id, offset }))
      .row();
  }
  keyboard.text("‹ Back", encodeTaskAction({ kind: "card", taskId: task.id }));
  const recipientId = task.assigneeId ?? task.creatorId;
  const whom =
    recipientId === viewerId
      ? "you"
      : task.assignee
        ? escapeHtml(personLabel(task.assignee))
        : "the creator";
  const text = `${renderCard(task, view).text}\n\n⏰ Remind ${whom}:`;
  return { text, keyboard };
}

const LIST_TITLE: Record<TaskStatus, string> = { open: "Open tasks", done: "Recently completed" };
const EMPTY: Record<TaskStatus, string> = {
  open: "No open tasks. Create one with /newtask.",
  done: "Nothing completed yet.",
};

export function pageCount(total: number): number {
  return Math.max(1, Math.ceil(total / PAGE_SIZE));
}

/** A page of a list: the lines, a Done/Reopen button per task, and ‹ n/m › paging. */
export function renderList(
  page: TaskPage,
  list: ListRef,
  view: CardView,
  heading: string,
): Rendered {
  const keyboard = new InlineKeyboard();
  if (page.tasks.length === 0) {
    return {
      text: `<b>${LIST_TITLE[list.status]}</b> · ${escapeHtml(heading)}\n\n${EMPTY[list.status]}`,
      keyboard,
    };
  }
  const lines = page.tasks.map((task) => taskLine(task, view, true));
  for (const task of page.tasks) {
    const next: TaskStatus = task.status === "open" ? "done" : "open";
    const label = next === "done" ? `✓ Done #${task.id}` : `↺ Reopen #${task.id}`;
    keyboard
      .text(label, encodeTaskAction({ kind: "list-status", taskId: task.id, status: next, list }))
      .row();
  }
  const pages = pageCount(page.total);
  if (pages > 1) {
    const prev = Math.max(0, list.page - 1);
    const next = Math.min(pages - 1, list.page + 1);
    keyboard
      .text("‹", encodeTaskAction({ kind: "page", list: { status: list.status, page: prev } }))
      .text(`${list.page + 1}/${pages}`, encodeTaskAction({ kind: "page", list }))
      .text("›", encodeTaskAction({ kind: "page", list: { status: list.status, page: next } }));
  }
  const header = `<b>${LIST_TITLE[list.status]}</b> · ${escapeHtml(heading)} (${page.total})`;
  const text = fitMessage({
    head: [header, ""],
    lines,
    more: (omitted) =>
      `…and ${plural(omitted.length, "more task")} on this page: the buttons below act on them.`,
  });
  return { text, keyboard };
}
