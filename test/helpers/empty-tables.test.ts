import { describe, expect, it } from "vitest";
import { emptyTables, useTestDatabase } from "./db.ts";

const db = useTestDatabase();

describe("emptyTables", () => {
  it("empties a table a later migration adds, keeps the migration ledger, and keeps ids counting", async () => {
    await db.sql`create table later_feature (id int generated always as identity, note text)`;
    await db.sql`insert into later_feature (note) values ('first'), ('second')`;
    await db.sql`insert into users (id, first_name) values (1, 'Alice')`;
    const ledger = await db.sql`select version from schema_migrations order by version`;

    await emptyTables(db.sql);

    expect(await db.sql`select * from later_feature`).toEqual([]);
    expect(await db.sql`select * from users`).toEqual([]);
    expect(await db.sql`select version from schema_migrations order by version`).toEqual(ledger);
    // As the hard-coded list did: no `restart identity`.
    await db.sql`insert into later_feature (note) values ('third')`;
    expect(await db.sql`select id from later_feature`).toEqual([{ id: 3 }]);
  });
});
