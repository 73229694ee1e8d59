import type { Api } from "grammy";
import { z } from "zod";
import { apiRouter, parseWith, readBody, teamIdParam } from "#bot/http/route-helpers";
import { invalid, notFound } from "#bot/lib/errors";
import type { Services } from "#bot/telegram/context";
import { globalPeriod, type RetentionChange, teamPeriod, teamPeriods } from "#db/retention";
import { announcePeriod, tellGroups } from "./announce.ts";
import { changeRetention } from "./change.ts";

const daysBody = z.strictObject({ days: z.number({ error: "must be a whole number of days" }) });
const teamDaysBody = z.strictObject({
  days: z.number({ error: "must be a whole number of days, or null" }).nullable(),
});

/**
 * /api/admin/retention and /api/admin/teams/:id/retention: the policy /retention manages,
 * for admins only (the API mounts these behind its admin check). Groups whose period
 * changed are told, as with the command.
 */
export function retentionRoutes(services: Services, telegram: Api) {
  const { sql, clock, log } = services;
  const { rules } = services.retention;
  const routes = apiRouter();

  const checkBounds = (days: number) => {
    if (!Number.isInteger(days) || days < rules.minDays || days > rules.maxDays) {
      throw invalid(`days: must be a whole number from ${rules.minDays} to ${rules.maxDays}.`);
    }
  };

  const policy = async () => {
    const global = await globalPeriod(sql, rules);
    const teams = await teamPeriods(sql, rules);
    return {
      days: global.days,
      minDays: rules.minDays,
      maxDays: rules.maxDays,
      teams: teams.map((team) => ({ teamId: team.teamId, days: team.days })),
    };
  };

  const change = async (callerId: number, wanted: RetentionChange) => {
    const outcome = await sql.begin((tx) =>
      changeRetention(tx, services, wanted, callerId, clock.now()),
    );
    if (outcome.kind === "unknown_team") throw notFound("No such team.");
    if (outcome.kind === "changed" && outcome.affected.length > 0) {
      // Told in the background: the admin's answer does not wait for every group.
      const text = announcePeriod(outcome.after, outcome.before);
      void tellGroups(telegram, log, outcome.affected, text);
    }
  };

  routes.get("/admin/retention", async (c) => c.json(await policy()));

  routes.put("/admin/retention", async (c) => {
    const { days } = await readBody(c, daysBody);
    checkBounds(days);
    await change(c.get("caller").id, { scope: "global", days });
    return c.json(await policy());
  });

  const teamJson = async (teamId: number) => {
    const period = await teamPeriod(sql, rules, teamId);
    if (!period) throw notFound("No such team.");
    return { teamId, days: period.setDays };
  };

  routes.get("/admin/teams/:id/retention", async (c) => {
    return c.json(await teamJson(parseWith(teamIdParam, c.req.param("id"))));
  });

  routes.put("/admin/teams/:id/retention", async (c) => {
    const teamId = parseWith(teamIdParam, c.req.param("id"));
    const { days } = await readBody(c, teamDaysBody);
    if (days !== null) checkBounds(days);
    await change(c.get("caller").id, { scope: "team", teamId, days });
    return c.json(await teamJson(teamId));
  });

  return routes;
}
