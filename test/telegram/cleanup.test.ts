import { describe, expect, it } from "vitest";
import { forgetOldUpdateState } from "#bot/telegram/cleanup";
import { FakeClock } from "#test/helpers/clock";
import { useTestDatabase } from "#test/helpers/db";

const db = useTestDatabase();

describe("forgetting old update state", () => {
  it("keeps update ids for 48 hours, abandoned forms for 7 days, confirmations until they expire", async () => {
    const clock = new FakeClock("2026-11-28T12:00:00Z");
    await db.sql`
      insert into processed_updates (update_id, processed_at) values
        (1, '2026-11-26T11:59:00Z'), (2, '2026-11-26T12:01:00Z'), (3, '2026-11-28T11:00:00Z')`;
    await db.sql`
      insert into conversations (chat_id, user_id, state, updated_at) values
        (1, 1, '{}', '2026-11-21T11:00:00Z'), (1, 2, '{}', '2026-11-21T13:00:00Z')`;
    await db.sql`
      insert into confirmations (token, user_id, action, expires_at) values
        ('expired', 1, 'erase', '2026-11-28T11:59:00Z'), ('valid', 1, 'erase', '2026-11-28T12:04:00Z')`;
    expect(await forgetOldUpdateState(db.sql, clock)).toEqual({
      updates: 1,
      conversations: 1,
      confirmations: 1,
    });
    const tokens = await db.sql`select token from confirmations`;
    expect(tokens).toEqual([{ token: "valid" }]);
    const ids = await db.sql`select update_id from processed_updates order by update_id`;
    expect(ids.map((r) => r.updateId)).toEqual([2, 3]);
    const forms = await db.sql`select user_id from conversations`;
    expect(forms.map((r) => r.userId)).toEqual([2]);

    clock.advance(2 * 60 * 60 * 1000);
    expect(await forgetOldUpdateState(db.sql, clock)).toEqual({
      updates: 1,
      conversations: 1,
      confirmations: 1,
    });
  });
});
