import type { Sql } from "postgres";

/**
 * The channel on which the database announces that a person changed: migration 0007's
 * triggers send the person's id on every committed update or delete of their user row or
 * memberships. Other payloads are markers an instance sends itself (see `announceMarker`).
 */
export const PEOPLE_CHANNEL = "people_changed";

/**
 * Listens on the people channel over postgres.js's dedicated connection, which reconnects
 * by itself; `onListen` runs on the first connect and after every reconnect.
 */
export async function listenForPeople(
  sql: Sql,
  onPayload: (payload: string) => void,
  onListen: () => void,
): Promise<() => Promise<void>> {
  const { unlisten } = await sql.listen(PEOPLE_CHANNEL, onPayload, onListen);
  return async () => {
    await unlisten();
  };
}

/**
 * Sends `marker` on the people channel. Notifications reach a listener in commit order,
 * so once it arrives, every change committed before this call has arrived too.
 */
export async function announceMarker(sql: Sql, marker: string): Promise<void> {
  await sql`select pg_notify(${PEOPLE_CHANNEL}, ${marker})`;
}
