import { DateTime } from "luxon";
import { escapeHtml, fitMessage, readersOwnTime } from "#bot/lib/html";
import { plural } from "#bot/lib/text";
import type { DigestTask } from "./core.ts";

const UNASSIGNED = "Unassigned";
const BULLET = "  • ";

function personLabel(task: DigestTask, mention: boolean): string {
  if (task.assigneeId === null) return UNASSIGNED;
  const name = escapeHtml(task.assigneeName || "Someone");
  // A text mention notifies the person; a plain name does not.
  return mention ? `<a href="tg://user?id=${task.assigneeId}">${name}</a>` : name;
}

function section(
  title: string,
  tasks: DigestTask[],
  line: (task: DigestTask) => string,
  mention: boolean,
) {
  if (tasks.length === 0) return [];
  const byPerson = new Map<string, DigestTask[]>();
  for (const task of tasks) {
    const key = personLabel(task, mention);
    byPerson.set(key, [...(byPerson.get(key) ?? []), task]);
  }
  const people = [...byPerson.keys()].sort((a, b) =>
    a === UNASSIGNED ? 1 : b === UNASSIGNED ? -1 : a.localeCompare(b),
  );
  return [
    "",
    `<b>${title}</b>`,
    ...people.flatMap((person) => [
      `${person}:`,
      ...(byPerson.get(person) ?? []).map((task) => `${BULLET}${line(task)}`),
    ]),
  ];
}

/**
 * A digest: overdue tasks, tasks due today and tasks completed since yesterday, each
 * grouped by assignee. `mention` turns names into mentions; `appLink` opens the Mini App
 * for what did not fit.
 */
export function composeDigest(
  tasks: DigestTask[],
  options: {
    now: Date;
    timeZone: string;
    mention: boolean;
    heading: string;
    appLink?: string;
    /** Due times each reader's app shows in their own zone (a group's digest). */
    readersOwnTime?: boolean;
  },
): string {
  const local = DateTime.fromJSDate(options.now, { zone: options.timeZone });
  const dayStart = local.startOf("day").toJSDate();
  const at = (date: Date, format: string) =>
    DateTime.fromJSDate(date, { zone: options.timeZone }).toFormat(format);
  // Today's due times: in a group each reader's own (the zone named for apps that cannot).
  const dueTime = (date: Date) =>
    options.readersOwnTime
      ? readersOwnTime(date, `${at(date, "HH:mm")} ${options.timeZone}`, "t")
      : at(date, "HH:mm");
  const title = (task: DigestTask) => `#${task.id} ${escapeHtml(task.title)}`;
  const overdue = tasks.filter((t) => t.status === "open" && t.dueAt && t.dueAt < dayStart);
  const today = tasks.filter((t) => t.status === "open" && t.dueAt && t.dueAt >= dayStart);
  const done = tasks.filter((t) => t.status === "done");
  const heading = `📋 <b>${escapeHtml(options.heading)}</b> · ${local.toFormat("ccc d LLL")}`;
  const lines = [
    ...section(
      "Overdue",
      overdue,
      (t) => `${title(t)} (due ${at(t.dueAt ?? dayStart, "d LLL")})`,
      options.mention,
    ),
    ...section(
      "Due today",
      today,
      // A task due today without a time of day is just due today.
      (t) => (t.dueAt && t.dueHasTime ? `${title(t)} (${dueTime(t.dueAt)})` : title(t)),
      options.mention,
    ),
    ...section("Completed since yesterday", done, title, options.mention),
  ];
  if (lines.length === 0) {
    lines.push("", "Nothing overdue, nothing due today, nothing completed since yesterday.");
  }
  // A busy team still gets its digest: as much as one message holds, and the count of the rest.
  return fitMessage({
    head: [heading],
    lines,
    more: (omitted) => {
      const tasks = omitted.filter((line) => line.startsWith(BULLET)).length;
      const app = options.appLink
        ? `, or <a href="${escapeHtml(options.appLink)}">open the app</a>`
        : "";
      return `\n…and ${plural(tasks, "more task", "more tasks")}: /tasks lists them all${app}.`;
    },
  });
}
