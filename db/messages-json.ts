import type { Db } from "./client.ts";
import { isoTimeSql, type JsonAnswer, PLACEHOLDER, spliceOpened } from "./json-text.ts";
import type { MessageReading } from "./messages.ts";
import { keptSql } from "./retention.ts";

/**
 * A team's stored messages as the API's JSON, written by PostgreSQL (json-text.ts) in one
 * statement with the viewer's membership: the same messages teamMessages reads, each text a
 * placeholder opened only when the body is sent.
 */
export type TeamMessagesJson = JsonAnswer;

interface Row {
  member: boolean;
  messages: string | null;
  sealed: Buffer[] | null;
  identities: string[] | null;
  more: boolean;
  lastDate: string | null;
  lastId: number | null;
  digest: string;
}

/** Keys and order as StoredMessageJson (bot/teams/contract.ts), as JSON.stringify writes them. */
export async function teamMessagesJson(
  db: Db,
  reading: MessageReading,
  teamId: number,
  viewerId: number,
  page: { limit: number; before: { date: Date; id: number } | null },
  cursorOf: (last: { date: string; id: number }) => string,
): Promise<TeamMessagesJson> {
  const before = page.before
    ? db`and (m.date, m.id) < (${page.before.date}::timestamptz, ${page.before.id}::bigint)`
    : db``;
  const [row] = await db<Row[]>`
    with viewer as (
      select joined_at from team_members where team_id = ${teamId} and user_id = ${viewerId}
    ),
    page as (
      select m.id, m.chat_id, m.message_id, m.author_id, m.text, m.date
      from messages m
      join teams t on t.id = m.team_id
      join users u on u.id = m.author_id and u.consent_version = ${reading.policyVersion}
      join viewer on true
      where m.team_id = ${teamId} and ${keptSql(db, reading.rules, reading.now)} ${before}
        and (m.date >= viewer.joined_at or m.author_id = ${viewerId})
      order by m.date desc, m.id desc
      limit ${page.limit + 1}
    ),
    shown as (
      select p.*, row_number() over (order by p.date desc, p.id desc) as n from page p
      order by p.date desc, p.id desc limit ${page.limit}
    ),
    rows as (
      select n, id, date, text,
        '{"chatId":' || chat_id || ',"messageId":' || message_id || ',"authorId":' || author_id
        || ',"text":' || ${PLACEHOLDER}::text || ',"date":"' || ${isoTimeSql(db, "date")}
        || '"}' as json,
        -- The identity the text was sealed with: messageIdentity.
        'messages:' || chat_id || ':' || message_id || ':text' as identity
      from shown
    ),
    body as (
      select string_agg(json, ',' order by n) as messages,
        array_agg(text order by n) as sealed, array_agg(identity order by n) as identities,
        coalesce(string_agg(text, ''::bytea order by n), ''::bytea) as sealed_bytes
      from rows
    ),
    last as (select ${isoTimeSql(db, "date")} as last_date, id as last_id from rows order by n desc limit 1)
    select exists (select 1 from viewer) as member, body.messages, body.sealed, body.identities,
      (select count(*) from page) > ${page.limit} as more, last.last_date, last.last_id,
      md5(convert_to(coalesce(body.messages, '') || ((select count(*) from page) > ${page.limit})::text, 'UTF8')
          || body.sealed_bytes) as digest
    from body left join last on true
  `;
  if (!row) throw new Error("the messages query returned no row");
  return {
    member: row.member,
    etag: `W/"${row.digest}"`,
    body: (vault) => {
      const messages =
        row.messages === null
          ? ""
          : spliceOpened(vault, row.messages, row.sealed ?? [], row.identities ?? []);
      const cursor =
        row.more && row.lastDate !== null && row.lastId !== null
          ? JSON.stringify(cursorOf({ date: row.lastDate, id: Number(row.lastId) }))
          : "null";
      return `{"messages":[${messages}],"nextCursor":${cursor}}`;
    },
  };
}
