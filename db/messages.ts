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

/**
 * A person's messages still within their retention period at `now`, in batches, oldest
 * first, decrypted batch by batch. Expired ones are left out even before the purge has
 * removed them.
 */
export async function* messagesBy(
  db: Db,
  vault: Vault,
  authorId: number,
  kept: { rules: RetentionRules; now: Date },
  batchSize = 1000,
): AsyncGenerator<StoredMessage[]> {
  const cursor = db<SealedMessageRow[]>`
    select m.chat_id, m.message_id, m.author_id, m.text, m.date, m.reply_to_message_id,
           m.edited_at
    from messages m join teams t on t.id = m.team_id
    where m.author_id = ${authorId} and ${keptSql(db, kept.rules, kept.now)}
    order by m.id
  `.cursor(batchSize);
  for await (const rows of cursor) yield rows.map((row) => openMessage(vault, row));
}
