import type { Db } from "./client.ts";
import {
  compactRuleSql,
  isoTimeSql,
  type JsonAnswer,
  PLACEHOLDER,
  spliceOpened,
} from "./json-text.ts";
import { keptSql, type RetentionRules, teamDaysSql } from "./retention.ts";
import { type TaskQuery, taskListFilter } from "./tasks.ts";
import type { Vault } from "./vault.ts";

/**
 * The API's task list as JSON text built by PostgreSQL (json-text.ts): the service never
 * parses the rows into objects to serialise them again. Titles, descriptions and source
 * messages are sealed: placeholders in the text, opened and spliced in when it is sent.
 */

/**
 * The channel on which the database announces changes to what task lists show (migration
 * 0013): comma-separated team ids (negative) and person ids, or "*" for every list.
 */
export const LISTS_CHANNEL = "lists_changed";

export interface TaskListJsonQuery extends TaskQuery {
  /** Reminder offsets the API shows (the core's list). */
  shownOffsets: readonly number[];
  /** Source messages show while kept and while their author consents to this notice version. */
  reading: { rules: RetentionRules; now: Date; policyVersion: number };
}

export interface TaskListJson extends JsonAnswer {
  /** The teams of the tasks shown. */
  teamIds: number[];
  /** When the first source message shown leaves its retention period; null: none shown. */
  validUntil: Date | null;
}

interface ListRow {
  member: boolean;
  tasks: string | null;
  sealed: Buffer[] | null;
  identities: string[] | null;
  more: boolean;
  lastId: number | null;
  digest: string;
  teamIds: string[] | null;
  validUntil: Date | null;
}

/**
 * One statement: the membership check, the page, its source messages, its reminders and the
 * digest the ETag is made of. The keys and their order are TaskJson's (bot/tasks/contract.ts),
 * written as JSON.stringify writes them; test/tasks/api-json.test.ts holds the two equal.
 */
export async function taskListJson(
  db: Db,
  query: TaskListJsonQuery,
  cursorOf: (lastId: number) => string,
): Promise<TaskListJson> {
  const me = query.viewerId;
  const { scope, status, assignee, before } = taskListFilter(db, query);
  const member =
    query.teamId === null
      ? db`true`
      : db`exists (select 1 from team_members m where m.team_id = ${query.teamId} and m.user_id = ${me})`;
  const { rules, now, policyVersion } = query.reading;
  const hole = PLACEHOLDER;
  const iso = (column: string) => isoTimeSql(db, column);
  const [row] = await db<ListRow[]>`
    with allowed as (select ${member} as member),
    page as (
      select t.* from tasks t, allowed
      where allowed.member and ${scope} ${status} ${assignee} ${before}
      order by t.id desc limit ${query.limit + 1}
    ),
    shown as (
      select p.*, row_number() over (order by p.id desc) as n from page p
      order by p.id desc limit ${query.limit}
    ),
    rows as (
      select s.n, s.id, s.team_id, src.expires_at,
        '{"id":' || s.id || ',"teamId":' || coalesce(s.team_id::text, 'null')
        || ',"title":' || ${hole}::text
        || ',"description":' || case when s.description is null then 'null' else ${hole}::text end
        || ',"status":"' || s.status || '","priority":"' || s.priority
        || '","creatorId":' || coalesce(s.creator_id::text, 'null')
        || ',"assigneeId":' || coalesce(s.assignee_id::text, 'null')
        || ',"dueAt":' || coalesce('"' || ${iso("s.due_at")} || '"', 'null')
        || ',"dueHasTime":' || s.due_has_time::text
        || ',"doneAt":' || coalesce('"' || ${iso("s.done_at")} || '"', 'null')
        || ',"createdAt":"' || ${iso("s.created_at")}
        || '","updatedAt":"' || ${iso("s.updated_at")}
        || '","sourceMessage":' || case when src.text is null then 'null'
             else '{"chatId":' || src.chat_id || ',"messageId":' || src.message_id
                  || ',"text":' || ${hole}::text || '}' end
        || ',"reminders":[' || array_to_string(array(
             select r.offset_minutes from reminders r
             where r.task_id = s.id and r.offset_minutes = any(${[...query.shownOffsets]}::int[])
             order by r.offset_minutes), ',') || ']'
        || ',"repeat":' || ${compactRuleSql(db, "s.repeat")}
        || ',"seriesId":' || coalesce(s.series_id::text, 'null')
        || ',"nextId":' || coalesce(s.next_id::text, 'null') || '}' as json,
        array_remove(array[s.title, s.description, src.text], null) as sealed,
        -- The identities the values were sealed with: taskTextIdentity and messageIdentity.
        array_remove(array[
          'tasks:' || s.id || ':title',
          case when s.description is not null then 'tasks:' || s.id || ':description' end,
          case when src.text is not null
               then 'messages:' || src.chat_id || ':' || src.message_id || ':text' end
        ], null) as identities
      from shown s
      left join lateral (
        select m.chat_id, m.message_id, m.text,
          m.date + make_interval(days => ${teamDaysSql(db, rules, db`t.retention_days`)}) as expires_at
        from messages m
        join teams t on t.id = m.team_id
        join users u on u.id = m.author_id and u.consent_version = ${policyVersion}
        where m.chat_id = s.source_chat_id and m.message_id = s.source_message_id
          and ${keptSql(db, rules, now)}
      ) src on true
    ),
    flat as (
      select v, i, r.n, u.k from rows r,
        unnest(r.sealed, r.identities) with ordinality as u(v, i, k)
    ),
    texts as (
      select string_agg(json, ',' order by n) as tasks,
        max(id) filter (where n = ${query.limit}) as last_id,
        array_agg(distinct team_id) filter (where team_id is not null) as team_ids,
        min(expires_at) as valid_until
      from rows
    ),
    opened as (
      select array_agg(v order by n, k) as sealed, array_agg(i order by n, k) as identities,
        string_agg(v, ''::bytea order by n, k) as sealed_bytes
      from flat
    ),
    counted as (select count(*) > ${query.limit} as more from page)
    select allowed.member, texts.tasks, opened.sealed, opened.identities, counted.more,
      texts.last_id, texts.team_ids, texts.valid_until,
      md5(convert_to(coalesce(texts.tasks, '') || counted.more::text, 'UTF8')
          || coalesce(opened.sealed_bytes, ''::bytea)) as digest
    from allowed, texts, opened, counted
  `;
  if (!row) throw new Error("the task list query returned no row");
  return {
    member: row.member,
    etag: `W/"${row.digest}"`,
    teamIds: (row.teamIds ?? []).map(Number),
    validUntil: row.validUntil,
    body: (vault) => {
      const cursor =
        row.more && row.lastId !== null ? JSON.stringify(cursorOf(Number(row.lastId))) : "null";
      return `{"tasks":[${splice(vault, row)}],"nextCursor":${cursor}}`;
    },
  };
}

/** The rows' text with each placeholder replaced by its opened text as a JSON string. */
function splice(vault: Vault, row: ListRow): string {
  if (row.tasks === null) return "";
  return spliceOpened(vault, row.tasks, row.sealed ?? [], row.identities ?? []);
}
