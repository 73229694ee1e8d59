import type { Task } from "../api.ts";
import { describeDue } from "../due.ts";
import { t } from "../strings.ts";

const PRIORITY_MARK: Record<Task["priority"], string> = { low: "↓", normal: "", high: "‼" };

/**
 * The rows of a task list. `stale`: these are the rows kept on the device from last time,
 * shown while the fresh list loads, and said to be so in a line kept for it. Without `onOpen` the rows cannot be
 * opened yet (the app is still learning who the person is).
 */
export function TaskRows({
  tasks,
  assigneeName,
  now,
  stale,
  onOpen,
}: {
  tasks: Task[];
  assigneeName(task: Task): string;
  now: Date;
  stale: boolean;
  onOpen?: (id: number) => void;
}) {
  return (
    <>
      {/* Always there, empty once fresh: the rows do not move up when the note goes, and a
          live region that exists before its text changes is the one screen readers announce. */}
      <p class="stale" role="status">
        {stale ? t.list.stale : ""}
      </p>
      <ul class="list" aria-busy={stale}>
        {tasks.map((task) => {
          const due = task.dueAt ? describeDue(task.dueAt, now) : null;
          return (
            <li key={task.id}>
              <button
                type="button"
                class="row"
                data-task-id={task.id}
                {...(onOpen ? { onClick: () => onOpen(task.id) } : { "aria-disabled": true })}
              >
                <span class="row-title">
                  {PRIORITY_MARK[task.priority] && (
                    <span
                      class={`priority ${task.priority}`}
                      role="img"
                      aria-label={t.priority[task.priority]}
                    >
                      {PRIORITY_MARK[task.priority]}{" "}
                    </span>
                  )}
                  {task.title}
                </span>
                <span class="row-meta">
                  {assigneeName(task)}
                  {due && (
                    <span class={due.overdue && task.status === "open" ? "due overdue" : "due"}>
                      {" · "}
                      {due.text}
                    </span>
                  )}
                </span>
                {task.repeat && (
                  <span class="row-meta">
                    <span role="img" aria-label={t.repeat.mark}>
                      ↻
                    </span>{" "}
                    {t.repeat.describe(task.repeat)}
                  </span>
                )}
              </button>
            </li>
          );
        })}
      </ul>
    </>
  );
}

/** Who a row names: the person themselves as "Me", others by first name once known. */
export function assigneeLabel(
  task: Task,
  myId: number,
  members: ReadonlyArray<{ id: number; firstName: string }>,
): string {
  if (task.assigneeId === null) return t.list.unassigned;
  if (task.assigneeId === myId) return t.list.me;
  return members.find((m) => m.id === task.assigneeId)?.firstName ?? "";
}
