import { describe, expect, it } from "vitest";
import { apiClient } from "#test/helpers/api";
import { giveConsent, useBotHarness } from "#test/helpers/bot";
import { chatWith } from "#test/helpers/chat";
import { alice, type TestUser } from "#test/helpers/updates";

const ROOT: TestUser = { id: 9009, first_name: "Root" };
const DEPUTY: TestUser = { id: 9010, first_name: "Deputy" };
const h = useBotHarness({ env: { ADMIN_IDS: `${ROOT.id},${DEPUTY.id}` } });
const call = apiClient(h);

const say = (user: TestUser, text: string) => h.bot.send(h.updates.privateText(user, text));
const { press } = chatWith(h);

/** Root lengthens the retention period, purges, then erases themselves. */
async function rootActsThenErases() {
  await say(ROOT, "/retention 120");
  await say(ROOT, "/purge");
  await press(ROOT, "Purge 0 messages");
  await giveConsent(h, alice);
  await say(ROOT, "/delete");
  await press(ROOT, "Delete everything");
  expect(h.telegram.lastMessageTo(ROOT.id).text).toContain("Done. Your data is deleted:");
}

describe("an admin's erasure", () => {
  it("keeps the records of their retention changes and purges, by an erased admin", async () => {
    await rootActsThenErases();

    const rows = await h.sql<{ action: string; actor: string; target: string }[]>`
      select action, actor, target from audit_log order by id`;
    const erasure = rows.find((row) => row.action === "erasure.done");
    expect(rows).toEqual([
      { action: "retention.changed", actor: "erased-admin", target: "global" },
      { action: "retention.purged", actor: "erased-admin", target: "admin" },
      { action: "consent.given", actor: expect.stringMatching(/^[\w-]{16}$/), target: null },
      { action: "erasure.done", actor: erasure?.actor, target: erasure?.actor },
    ]);
    expect(erasure?.actor).toMatch(/^[\w-]{16}$/);
    // Nothing else names the erased admin.
    expect(rows.filter((row) => row.actor === erasure?.actor)).toHaveLength(1);
  });

  it("shows as an erased admin in /audit and in the admin API", async () => {
    await rootActsThenErases();

    await say(DEPUTY, "/audit");
    const lines = (h.telegram.lastMessageTo(DEPUTY.id).text ?? "").split("\n");
    expect(lines.find((line) => line.includes("retention.changed"))).toContain(
      "<b>retention.changed</b> · by an erased admin · on global",
    );
    expect(lines.find((line) => line.includes("retention.purged"))).toContain(
      "<b>retention.purged</b> · by an erased admin · on admin",
    );

    const response = await call(DEPUTY, "GET", "/api/admin/audit");
    const entries = (response.body as { entries: Array<Record<string, unknown>> }).entries;
    expect(entries.filter((entry) => String(entry.action).startsWith("retention."))).toEqual([
      expect.objectContaining({ action: "retention.purged", actor: "erased-admin" }),
      expect.objectContaining({ action: "retention.changed", actor: "erased-admin" }),
    ]);
  });
});
