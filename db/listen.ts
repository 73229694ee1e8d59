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
  const { unlisten } = await sql.listen(channel, onNotice, onNotice);
  return unlisten;
}
