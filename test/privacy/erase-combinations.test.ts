import { describe, expect, it } from "vitest";
import { apiClient } from "#test/helpers/api";
import { useBotHarness } from "#test/helpers/bot";
import { pressOn } from "#test/helpers/buttons";
import { nextTaskId, sealedTaskText } from "#test/helpers/tasks";
import { alice, bob, team } from "#test/helpers/updates";

const h = useBotHarness();
const call = apiClient(h);

/**
 * Who stands on each side of a task when Alice erases herself: Alice, Bob (still here),
 * nobody ever (absent), or someone erased before (the link already gone, marked).
 */
type Side = "alice" | "bob" | "absent" | "erased";

const idOf = (side: Side) => (side === "alice" ? alice.id : side === "bob" ? bob.id : null);

/** Every pairing that involves Alice, in a team and in private. */
const COMBINATIONS = (["team", "private"] as const).flatMap((scope) => [
  ...(["alice", "bob", "absent", "erased"] as const).map((assignee) => ({
    scope,
    creator: "alice" as Side,
    assignee: assignee as Side,
  })),
  ...(["bob", "absent", "erased"] as const).map((creator) => ({
    scope,
    creator: creator as Side,
    assignee: "alice" as Side,
  })),
]);

const SURFACES = {
  bot: async () => {
    await h.bot.send(h.updates.privateText(alice, "/delete"));
    await h.bot.send(pressOn(h.telegram, h.updates, alice, alice.id, "Delete everything"));
    expect(h.telegram.lastMessageTo(alice.id).text).toContain("Done. Your data is deleted:");
  },
  api: async () => {
    const response = await call(alice, "DELETE", "/api/me", { json: { confirm: "DELETE" } });
    expect(response.status).toBe(200);
  },
} as const;

/** What stays of a task after Alice's erasure: the sides' links and whether each was erased. */
function expected(scope: "team" | "private", creator: Side, assignee: Side) {
  const after = (side: Side) => ({
    id: side === "bob" ? bob.id : null,
    erased: side === "alice" || side === "erased",
  });
  const c = after(creator);
  const a = after(assignee);
  // A private task goes with its creator, and with its last person: nobody could see it.
  if (scope === "private" && (creator === "alice" || c.id === null)) return [];
  return [{ creatorId: c.id, creatorErased: c.erased, assigneeId: a.id, assigneeErased: a.erased }];
}

describe.each(Object.keys(SURFACES) as (keyof typeof SURFACES)[])(
  "erasure through the %s",
  (surface) => {
    it.each(COMBINATIONS)(
      "a $scope task created by $creator for $assignee",
      async ({ scope, creator, assignee }) => {
        await h.bot.send(h.updates.groupText(team, bob, "hi"));
        await h.bot.send(h.updates.groupText(team, alice, "hello"));
        await h.bot.send(h.updates.privateText(alice, "/start"));
        const id = await nextTaskId(h.sql);
        await h.sql`
          insert into tasks (id, team_id, title, creator_id, assignee_id, creator_erased,
                             assignee_erased)
          values (${id}, ${scope === "team" ? team.id : null},
                  ${sealedTaskText(id, "title", "The task")}, ${idOf(creator)},
                  ${idOf(assignee)}, ${creator === "erased"}, ${assignee === "erased"})`;

        await SURFACES[surface]();

        expect(await h.sql`select id from users where id = ${alice.id}`).toEqual([]);
        expect(
          await h.sql`
            select creator_id, creator_erased, assignee_id, assignee_erased from tasks`,
        ).toEqual(expected(scope, creator, assignee));
        expect(await h.sql`select action from audit_log`).toEqual([{ action: "erasure.done" }]);
      },
    );
  },
);
