import type { Db } from "./client.ts";
import { type JsonAnswer, PLACEHOLDER, spliceTexts } from "./json-text.ts";
import { openName } from "./users.ts";
import type { Vault } from "./vault.ts";

/**
 * A team's members as the API's JSON, written by PostgreSQL (json-text.ts) in one statement
 * with the viewer's membership. Names are sealed, so the database cannot order by them: it
 * writes each member's JSON, and the opened first names order those texts here (first name,
 * then id, as listMembers orders members).
 */
export type MembersJson = JsonAnswer;

interface Row {
  member: boolean;
  ids: number[] | null;
  texts: string[] | null;
  /** Empty for a null name (a sealed value never is). */
  firstNames: Buffer[] | null;
  usernames: Buffer[] | null;
  digest: string;
}

/** Keys and order as MemberJson (bot/teams/contract.ts); the first 100 who joined, as listMembers. */
export async function teamMembersJson(
  db: Db,
  teamId: number,
  viewerId: number,
  limit = 100,
): Promise<MembersJson> {
  const [row] = await db<Row[]>`
    with shown as (
      select u.id, u.first_name, u.username,
        row_number() over (order by m.joined_at, u.id) as n
      from team_members m join users u on u.id = m.user_id
      where m.team_id = ${teamId}
        and exists (select 1 from team_members v where v.team_id = ${teamId} and v.user_id = ${viewerId})
      order by m.joined_at, u.id
      limit ${limit}
    ),
    rows as (
      select n, id, first_name, username,
        '{"id":' || id
        || ',"firstName":' || case when first_name is null then '""' else ${PLACEHOLDER}::text end
        || ',"username":' || case when username is null then 'null' else ${PLACEHOLDER}::text end
        || '}' as json
      from shown
    )
    select
      exists (select 1 from team_members v where v.team_id = ${teamId} and v.user_id = ${viewerId})
        as member,
      array_agg(id order by n) as ids, array_agg(json order by n) as texts,
      -- postgres.js reads a null inside a bytea[] as an empty Buffer: say so explicitly.
      array_agg(coalesce(first_name, ''::bytea) order by n) as first_names,
      array_agg(coalesce(username, ''::bytea) order by n) as usernames,
      md5(convert_to(coalesce(string_agg(json, ',' order by n), ''), 'UTF8')
          || coalesce(string_agg(coalesce(first_name, ''::bytea) || coalesce(username, ''::bytea),
                                 ''::bytea order by n), ''::bytea)) as digest
    from rows
  `;
  if (!row) throw new Error("the members query returned no row");
  return {
    member: row.member,
    etag: `W/"${row.digest}"`,
    body: (vault) => `{"members":[${ordered(vault, row).join(",")}]}`,
  };
}

function ordered(vault: Vault, row: Row): string[] {
  const members = (row.ids ?? []).map((id, i) => {
    const firstName = openName(vault, id, "first_name", present(row.firstNames?.[i]));
    const username = openName(vault, id, "username", present(row.usernames?.[i]));
    const texts = [firstName, username].filter((text): text is string => text !== null);
    return { id, firstName: firstName ?? "", json: spliceTexts(row.texts?.[i] ?? "", texts) };
  });
  members.sort((a, b) => a.firstName.localeCompare(b.firstName) || a.id - b.id);
  return members.map((m) => m.json);
}

const present = (sealed: Buffer | undefined) =>
  sealed === undefined || sealed.length === 0 ? null : sealed;
