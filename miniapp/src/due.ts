import { t } from "./strings.ts";

const DAY = 24 * 60 * 60 * 1000;

function startOfDay(date: Date): number {
  return new Date(date.getFullYear(), date.getMonth(), date.getDate()).getTime();
}

/** "tomorrow", "in 3 days", "2 days ago"; overdue when the moment has passed. */
export function describeDue(dueAt: string, now: Date): { text: string; overdue: boolean } {
  const due = new Date(dueAt);
  const days = Math.round((startOfDay(due) - startOfDay(now)) / DAY);
  const overdue = due.getTime() < now.getTime();
  const text =
    days === 0
      ? t.due.today
      : days === 1
        ? t.due.tomorrow
        : days === -1
          ? t.due.yesterday
          : days > 1
            ? t.due.inDays(days)
            : t.due.daysAgo(-days);
  return { text, overdue };
}

/** The value of a datetime-local input for an ISO time, in the device's zone. */
export function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

export function fromLocalInput(value: string): string | null {
  if (!value) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** A due date in full, in the device's zone: "Mon, Nov 30, 09:30". */
export function formatDue(iso: string): string {
  return new Intl.DateTimeFormat(t.locale, {
    weekday: "short",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  }).format(new Date(iso));
}
