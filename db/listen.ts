import type { Sql } from "postgres";

/**
 * Calls `onNotice` for each notification on `channel` (sent by a committed transaction, on
 * any instance) and whenever the listening connection (re)connects, since a notification
 * may have been missed meanwhile. Resolves once listening, with the way to stop.
 */
export async function listenTo(
  sql: Sql,
  channel: string,
  onNotice: () => void,
): Promise<() => Promise<void>> {
  return listenWithPayloads(sql, channel, () => onNotice(), onNotice);
}

/**
 * Calls `onPayload` with each notification's payload on `channel`, over postgres.js's
 * dedicated connection, which reconnects by itself; `onListen` runs on the first connect
 * and after every reconnect. Resolves once listening, with the way to stop.
 */
export async function listenWithPayloads(
  sql: Sql,
  channel: string,
  onPayload: (payload: string) => void,
  onListen: () => void,
): Promise<() => Promise<void>> {
  const { unlisten } = await sql.listen(channel, onPayload, onListen);
  return unlisten;
}

/**
 * Sends `marker` on `channel`. Notifications reach a listener in commit order, so once it
 * arrives, every change committed before this call has arrived too.
 */
export async function announceMarker(sql: Sql, channel: string, marker: string): Promise<void> {
  await sql`select pg_notify(${channel}, ${marker})`;
}
