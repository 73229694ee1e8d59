import {
  type ApiContext,
  apiRouter,
  parseWith,
  readBody,
  teamIdParam,
} from "#bot/http/route-helpers";
import type { Services } from "#bot/telegram/context";
import {
  type RetentionJson,
  retentionBody,
  type TeamRetentionJson,
  teamRetentionBody,
} from "./contract.ts";
import { retentionPolicy, setPeriod, teamRetention } from "./core/period.ts";
import type { RetentionChange } from "./core/types.ts";
import { retentionOperation } from "./effects.ts";

/**
 * /api/admin/retention and /api/admin/teams/:id/retention: the policy /retention manages,
 * for admins only (the API mounts these behind its admin check, and the core checks again).
 * Groups whose period changed are told after the commit, as with the command.
 */
export function retentionRoutes(services: Services) {
  const routes = apiRouter();
  const op = (c: ApiContext) => retentionOperation(c.get("unit"), services.vault);

  const policy = async (c: ApiContext): Promise<RetentionJson> => {
    const { global, teams, minDays, maxDays } = await retentionPolicy(op(c), services);
    return {
      days: global.days,
      minDays,
      maxDays,
      teams: teams.map((team) => ({ teamId: team.teamId, days: team.days })),
    };
  };

  // The request itself is the admin's confirmation: a shorter period applies at once.
  const change = (c: ApiContext, wanted: RetentionChange) =>
    setPeriod(op(c), services, { change: wanted, confirmed: true });

  routes.get("/admin/retention", async (c) => c.json(await policy(c)));

  routes.put("/admin/retention", async (c) => {
    const { days } = await readBody(c, retentionBody);
    await change(c, { scope: "global", days });
    return c.json(await policy(c));
  });

  const teamJson = async (c: ApiContext, teamId: number): Promise<TeamRetentionJson> => {
    const period = await teamRetention(op(c), services, teamId);
    return { teamId, days: period.setDays };
  };

  routes.get("/admin/teams/:id/retention", async (c) => {
    return c.json(await teamJson(c, parseWith(teamIdParam, c.req.param("id"))));
  });

  routes.put("/admin/teams/:id/retention", async (c) => {
    const teamId = parseWith(teamIdParam, c.req.param("id"));
    const { days } = await readBody(c, teamRetentionBody);
    await change(c, { scope: "team", teamId, days });
    return c.json(await teamJson(c, teamId));
  });

  return routes;
}
