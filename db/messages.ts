import type { Db } from "./client.ts";
import { keptSql, type RetentionRules } from "./retention.ts";
import type { Vault } from "./vault.ts";

/** A group message as Telegram gave it, before it is sealed. */
export interface IncomingMessage {
  chatId: number;
  messageId: number;
  teamId: number;
  authorId: number;
  text: string;
  date: Date;
  replyToMessageId: number | null;
  editedAt: Date | null;
}

export interface StoredMessage {
  chatId: number;
  messageId: number;
  authorId: number;
  text: string;
  date: Date;
  replyToMessageId: number | null;
  editedAt: Date | null;
}

export const messageIdentity = (chatId: number, messageId: number) =>
  `messages:${chatId}:${messageId}:text`;

/**
 * Stores a message, or an edit of one, only if its author consents to the current policy
 * version right now: the check and the write are one statement, so a withdrawal that has
 * committed stops recording at once. An edit from someone who no longer consents removes
 * the stored copy: it no longer says what they wrote, and we may not keep the new text.
 * Returns whether the message is stored.
 */
export async function storeMessage(
  db: Db,
  vault: Vault,
  message: IncomingMessage,
  policyVersion: number,
): Promise<boolean> {
  const sealed = vault.seal(message.text, messageIdentity(message.chatId, message.messageId));
  const [row] = await db<{ stored: boolean }[]>`
    with consenting as (
      select 1 from users where id = ${message.authorId} and consent_version = ${policyVersion}
    ),
    written as (
      insert into messages (chat_id, message_id, team_id, author_id, text, date,
                            reply_to_message_id, edited_at)
      select ${message.chatId}, ${message.messageId}, ${message.teamId}, ${message.authorId},
             ${sealed}, ${message.date}, ${message.replyToMessageId}, ${message.editedAt}
      from consenting
      on conflict (chat_id, message_id) do update
        set text = excluded.text, edited_at = excluded.edited_at
        where messages.author_id = excluded.author_id
      returning 1
    ),
    -- Data-modifying CTEs run whether or not the final select reads them.
    dropped as (
      delete from messages
      where ${message.editedAt !== null} and chat_id = ${message.chatId}
        and message_id = ${message.messageId} and author_id = ${message.authorId}
        and not exists (select 1 from consenting)
      returning 1
    )
    select exists (select 1 from written) as stored
  `;
  return row?.stored ?? false;
}

/** A person's stored messages that are still within their retention period at `now`. */
export async function countMessagesBy(
  db: Db,
  authorId: number,
  kept: { rules: RetentionRules; now: Date },
): Promise<number> {
  const [row] = await db<{ count: number }[]>`
    select count(*)::int as count from messages m join teams t on t.id = m.team_id
    where m.author_id = ${authorId} and ${keptSql(db, kept.rules, kept.now)}
  `;
  return row?.count ?? 0;
}

export async function deleteMessagesBy(db: Db, authorId: number): Promise<number> {
  const result = await db`delete from messages where author_id = ${authorId}`;
  return result.count;
}

interface SealedMessageRow extends Omit<StoredMessage, "text"> {
  text: Buffer;
}

export function openMessage(vault: Vault, row: SealedMessageRow): StoredMessage {
  return { ...row, text: vault.open(row.text, messageIdentity(row.chatId, row.messageId)) };
}

/** What reads of other people's messages need: the retention rules and the notice version. */
export interface MessageReading {
  rules: RetentionRules;
  now: Date;
  /** Only messages of authors who consent to this notice version now are shown. */
  policyVersion: number;
}

/** Stored messages by their Telegram identity, if within their period and still consented. */
export async function storedMessagesByKey(
  db: Db,
  vault: Vault,
  reading: MessageReading,
  keys: ReadonlyArray<{ chatId: number; messageId: number }>,
): Promise<Map<string, StoredMessage>> {
  if (keys.length === 0) return new Map();
  const rows = await db<SealedMessageRow[]>`
    select m.chat_id, m.message_id, m.author_id, m.text, m.date, m.reply_to_message_id,
           m.edited_at
    from unnest(${keys.map((k) => k.chatId)}::bigint[], ${keys.map((k) => k.messageId)}::bigint[])
      as k(chat_id, message_id)
    join messages m on m.chat_id = k.chat_id and m.message_id = k.message_id
    join teams t on t.id = m.team_id
    join users u on u.id = m.author_id and u.consent_version = ${reading.policyVersion}
    where ${keptSql(db, reading.rules, reading.now)}
  `;
  return new Map(
    rows.map((row) => [`${row.chatId}:${row.messageId}`, openMessage(vault, row)] as const),
  );
}

/**
 * A team's stored messages as `viewerId` may read them, newest first, after the keyset
 * position `before`: only those within their period, of authors who consent now, and
 * written since the viewer joined (a newcomer does not get the group's earlier talk).
 * Their own messages are theirs whenever written: the first one is often what told us
 * they joined, stamped a moment after Telegram dated it.
 */
export async function teamMessages(
  db: Db,
  vault: Vault,
  reading: MessageReading,
  teamId: number,
  viewerId: number,
  page: { limit: number; before: { date: Date; id: number } | null },
): Promise<{ messages: Array<StoredMessage & { id: number }>; more: boolean }> {
  const before = page.before
    ? db`and (m.date, m.id) < (${page.before.date}::timestamptz, ${page.before.id}::bigint)`
    : db``;
  const rows = await db<(SealedMessageRow & { id: number })[]>`
    select m.id, m.chat_id, m.message_id, m.author_id, m.text, m.date, m.reply_to_message_id,
           m.edited_at
    from messages m
    join teams t on t.id = m.team_id
    join users u on u.id = m.author_id and u.consent_version = ${reading.policyVersion}
    join team_members viewer on viewer.team_id = m.team_id and viewer.user_id = ${viewerId}
    where m.team_id = ${teamId} and ${keptSql(db, reading.rules, reading.now)} ${before}
      and (m.date >= viewer.joined_at or m.author_id = ${viewerId})
    order by m.date desc, m.id desc
    limit ${page.limit + 1}
  `;
  return {
    messages: rows.slice(0, page.limit).map((row) => ({ ...openMessage(vault, row), id: row.id })),
    more: rows.length > page.limit,
  };
}

/** Where a task made from a stored message comes from, and whose words it copies. */
export interface MessageSource {
  chatId: number;
  messageId: number;
  authorId: number;
  date: Date;
}

/**
 * A team's stored message that `viewerId` may make a task from: the same messages
 * teamMessages shows them (within their period, of authors who consent now, written since
 * the viewer joined, or their own).
 */
export async function messageSource(
  db: Db,
  reading: MessageReading,
  teamId: number,
  viewerId: number,
  key: { chatId: number; messageId: number },
): Promise<MessageSource | null> {
  const [row] = await db<MessageSource[]>`
    select m.chat_id, m.message_id, m.author_id, m.date
    from messages m
    join teams t on t.id = m.team_id
    join users u on u.id = m.author_id and u.consent_version = ${reading.policyVersion}
    join team_members viewer on viewer.team_id = m.team_id and viewer.user_id = ${viewerId}
    where m.chat_id = ${key.chatId} and m.message_id = ${key.messageId}
      and m.team_id = ${teamId} and ${keptSql(db, reading.rules, reading.now)}
      and (m.date >= viewer.joined_at or m.author_id = ${viewerId})
  `;
  return row ?? null;
}
