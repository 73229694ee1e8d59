import type { Db } from "./client.ts";
import { openTaskTexts, sealTaskText } from "./task-texts.ts";
import type { Vault } from "./vault.ts";

/**
 * How a task repeats, as stored in `tasks.repeat` (jsonb). The API's zod schema for it is
 * bot/tasks/contract.ts's repeatRuleSchema; the task core checks at compile time that the
 * two agree (db/ imports nothing from bot/).
 */
export type RepeatRule =
  | { every: "days"; days: number; from: "due" | "done" }
  | { every: "weekday" }
  | { every: "week"; weekdays: number[] }
  | { every: "month"; day: number };

/** A rule and the timezone its days and times are meant in. */
export interface Repeat {
  rule: RepeatRule;
  zone: string;
}

export interface NextOccurrence {
  dueAt: Date;
  dueHasTime: boolean;
}

/**
 * Creates the occurrence after `previousId`: the same team, title, description, priority,
 * people, rule and reminder offsets, with the next due date. Returns its id, or null when
 * that occurrence already made its next one (completed, reopened, completed again).
 */
export async function createNextOccurrence(
  db: Db,
  vault: Vault,
  previousId: number,
  next: NextOccurrence,
  now: Date,
): Promise<number | null> {
  const [previous] = await db<{ nextId: number | null; seriesId: number }[]>`
    update tasks set series_id = coalesce(series_id, id)
    where id = ${previousId} and repeat is not null
    returning next_id, series_id
  `;
  if (!previous || previous.nextId !== null) return null;
  // Sealed texts are bound to their row: the next occurrence's are sealed anew for its id.
  const [texts] = await db<
    { id: number; title: Buffer; description: Buffer | null; nextId: number }[]
  >`
    select id, title, description, nextval(pg_get_serial_sequence('tasks', 'id')) as next_id
    from tasks where id = ${previousId}
  `;
  if (!texts) return null;
  const { title, description } = openTaskTexts(vault, texts);
  const id = texts.nextId;
  const [created] = await db<{ id: number }[]>`
    insert into tasks (id, team_id, title, description, priority, creator_id, assignee_id,
                       due_at, due_has_time, repeat, repeat_zone, series_id, source_author_id,
                       created_at, updated_at)
    select ${id}, team_id, ${sealTaskText(vault, id, "title", title)},
           ${sealTaskText(vault, id, "description", description)}, priority, creator_id,
           assignee_id, ${next.dueAt}, ${next.dueHasTime}, repeat, repeat_zone, series_id,
           source_author_id, ${now}, ${now}
    from tasks where id = ${previousId}
    returning id
  `;
  if (!created) return null;
  await db`update tasks set next_id = ${created.id} where id = ${previousId}`;
  // The insert trigger gave it the reminder at the due time; it gets the previous set.
  await db`
    delete from reminders r where r.task_id = ${created.id} and r.offset_minutes not in (
      select offset_minutes from reminders where task_id = ${previousId})
  `;
  // As when reminders are chosen: one whose moment has already passed is recorded as skipped.
  await db`
    insert into reminders (task_id, offset_minutes, remind_at, state)
    select ${created.id}, p.offset_minutes, r.at, case when r.at < ${now} then 'skipped' else 'pending' end
    from reminders p,
         lateral (select ${next.dueAt}::timestamptz - make_interval(mins => p.offset_minutes) as at) r
    where p.task_id = ${previousId} and ${next.dueHasTime}
    on conflict (task_id, offset_minutes) do nothing
  `;
  return created.id;
}

/** Sets or clears the rule; a series starts with the task the rule was set on. */
export async function setRepeat(
  db: Db,
  taskId: number,
  repeat: Repeat | null,
  now: Date,
): Promise<void> {
  await db`
    update tasks
    set repeat = ${repeat ? db.json(repeat.rule) : null}, repeat_zone = ${repeat?.zone ?? null},
        series_id = case when ${repeat !== null} then coalesce(series_id, id) else series_id end,
        updated_at = ${now}
    where id = ${taskId}
  `;
}
