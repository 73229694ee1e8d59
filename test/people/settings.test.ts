import { describe, expect, it } from "vitest";
import { setTimeZone } from "#bot/people/settings";
import { ALICE, BOB, useCoreFixture } from "../tasks/core-fixture.ts";

const { db, op } = useCoreFixture();

describe("setTimeZone", () => {
  it("stores an IANA name in its usual spelling, keeping a newer name as written", async () => {
    expect(await setTimeZone(op(ALICE), "america/new_york")).toBe("America/New_York");
    expect(await setTimeZone(op(BOB), " Europe/Kyiv ")).toBe("Europe/Kyiv");
    const rows =
      await db.sql`select id, timezone from users where id in (${ALICE}, ${BOB}) order by id`;
    expect(rows).toEqual([
      { id: ALICE, timezone: "America/New_York" },
      { id: BOB, timezone: "Europe/Kyiv" },
    ]);
  });

  it("refuses a name it does not know and keeps the one stored", async () => {
    await expect(setTimeZone(op(ALICE), "Mars/Olympus")).rejects.toMatchObject({
      kind: "invalid",
      message: expect.stringMatching(/^I don't know the timezone “Mars\/Olympus”/),
    });
    const [row] = await db.sql`select timezone from users where id = ${ALICE}`;
    expect(row?.timezone).toBe("Europe/Berlin");
  });
});
