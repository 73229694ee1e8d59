import { describe, expect, it } from "vitest";
import { useBotHarness } from "#test/helpers/bot";
import { alice, team } from "#test/helpers/updates";

const h = useBotHarness();

const callsToTeam = () => h.telegram.calls.filter((c) => c.payload.chat_id === team.id);
const digestsIn = (chatId: number) =>
  h.telegram.textsTo(chatId).filter((text) => text.startsWith("📋"));

describe("the bot removed from a group", () => {
  for (const removal of ["left", "kicked"] as const) {
    it(`(${removal}) stops the group's digest, and added back the group works as before`, async () => {
      await h.bot.send(h.updates.groupText(team, alice, "/newtask Order coffee today 17:00"));
      h.telegram.setChatMember(team.id, alice.id, "creator");
      await h.bot.send(h.updates.groupText(team, alice, "/digest 09:00"));
      h.bot.clock.set("2026-11-28T09:00:00Z");
      expect(await h.bot.app.deliverDigests()).toBe(1);

      await h.bot.send(h.updates.botMembership(team, alice, removal));
      h.telegram.clear();
      for (const day of ["2026-11-29", "2026-11-30"]) {
        h.bot.clock.set(`${day}T09:00:00Z`);
        expect(await h.bot.app.deliverDigests()).toBe(0);
        await h.bot.app.deliverReminders();
      }
      expect(callsToTeam()).toEqual([]);

      await h.bot.send(h.updates.botMembership(team, alice, "member"));
      h.bot.clock.set("2026-12-01T09:00:00Z");
      expect(await h.bot.app.deliverDigests()).toBe(1);
      expect(digestsIn(team.id)).toHaveLength(1);
      expect(digestsIn(team.id)[0]).toContain("Order coffee");
      await h.bot.send(h.updates.groupText(team, alice, "/tasks"));
      expect(h.telegram.lastMessageTo(team.id).text).toContain("Order coffee");
      expect(await h.sql`select at_minute from digests where chat_id = ${team.id}`).toEqual([
        { atMinute: 9 * 60 },
      ]);
    });
  }
});
